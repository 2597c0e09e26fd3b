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
    """Who holds the lock right now, or None (a cheap probe for the window's status bar)."""
    path = home / LOCK_FILE
    if not path.exists():
        return None
    probe = SyncLock(home, "probe")
    try:
        probe.acquire()
    except SyncLocked as locked:
        return locked.holder or LockHolder(0, "unknown", time.time())
    probe.release()
    return None
