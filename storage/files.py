"""Owner-only files and atomic writes.

A file that will hold secrets is created with mode 0600 *before* any byte is written, and config
and key files are replaced atomically (temp file, fsync, rename, fsync of the directory) so a
power cut leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) readable by the owner only; tighten an existing one."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # e.g. a directory owned by someone else, or Windows
        os.chmod(path, PRIVATE_DIR_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty owner-only file; fails if it already exists."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
    os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the file is owner-only from its first byte."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def describe_os_error(exc: OSError, path: Path | str | None = None, verb: str = "used") -> str:
    """One sentence for an error of the operating system, sorted by its errno, that says the one
    thing to do. `verb` is what was tried ("read", "written", "created")."""
    where = str(path if path is not None else (exc.filename or "a file"))
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"{where} cannot be {verb} by this user (permission denied); run Edge Uploader as "
            "the user who set it up, or give that user access to the folder."
        )
    if code == errno.ENOENT:
        return f"{where} does not exist; check the path."
    if code == errno.ENOTDIR:
        return f"{where} is below a file, not a folder; check the path (--home)."
    if code == errno.EISDIR:
        return f"{where} is a folder, not a file; give a file name."
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return f"The disk holding {where} is full; free some space and try again."
    if code == errno.EROFS:
        return f"{where} is on a read-only disk; use a folder that can be written."
    if code == errno.EIO:
        return f"The disk failed while {where} was {verb}; check the disk."
    if code in (errno.ELOOP, errno.ENAMETOOLONG):
        return f"{where} is not a usable path ({exc.strerror}); check it."
    reason = exc.strerror or type(exc).__name__
    return f"{where} cannot be {verb} ({reason}); check the path and the disk."
