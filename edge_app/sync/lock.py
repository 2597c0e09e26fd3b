"""One sync per installation at a time, across processes (the window and the scheduled run).

An OS file lock on ``sync.lock`` in the home: the OS releases it when the holder dies, even by
kill -9, so a crashed run never blocks the next one. The holder writes who it is and since when
into the file, so a second caller can say so.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

LOCK_FILE = "sync.lock"


@dataclass(frozen=True)
class LockHolder:
    pid: int
    trigger: str
    since: float

    def describe(self) -> str:
        started = time.strftime("%H:%M:%S", time.localtime(self.since))
        return f"a sync is already running ({self.trigger}, process {self.pid}, since {started})"


class SyncLocked(Exception):
    """Another process holds the sync lock."""

    def __init__(self, holder: LockHolder | None) -> None:
        self.holder = holder
        text = holder.describe() if holder else "a sync is already running"
        super().__init__(text[0].upper() + text[1:] + ".")


def _try_lock(handle: IO[Any]) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: IO[Any]) -> None:
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_holder(home: Path) -> LockHolder | None:
    try:
        doc = json.loads((home / LOCK_FILE).read_text("utf-8")[1:])
        return LockHolder(int(doc["pid"]), str(doc["trigger"]), float(doc["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class SyncLock:
    """`with SyncLock(home, "unattended"):` — raises SyncLocked when another process syncs."""

    def __init__(self, home: Path, trigger: str) -> None:
        self.path = home / LOCK_FILE
        self.trigger = trigger
        self._handle: IO[Any] | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+", encoding="utf-8")
        if not _try_lock(handle):
            handle.close()
            raise SyncLocked(read_holder(self.path.parent))
        # Byte 0 is the locked byte on Windows; the holder's details follow it.
        handle.seek(0)
        handle.truncate()
        handle.write(
            " " + json.dumps({"pid": os.getpid(), "trigger": self.trigger, "since": time.time()})
        )
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(1)
            self._handle.truncate()
            self._handle.flush()
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> SyncLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def is_locked(home: Path) -> LockHolder | None:
    """Who holds the lock right now, or None: a probe for the window's status bar.

    It only reads the holder file and never takes the lock, so a run starting at the same
    moment (the unattended one at shop close) is never refused because of it. A holder that
    died without releasing (kill -9) leaves its details behind; its process is gone, so it does
    not count. A reused process id can make the probe show a run that is not there, which only
    affects what the window shows: a real sync takes the lock itself.
    """
    holder = read_holder(home)
    if holder is None:
        return None
    if holder.pid == os.getpid() or _process_alive(holder.pid):
        return holder
    return None


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def _windows_process_alive(pid: int) -> bool:
    """OpenProcess + GetExitCodeProcess (os.kill on Windows would terminate the process)."""
    import ctypes

    query_limited_information, still_active = 0x1000, 259
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
