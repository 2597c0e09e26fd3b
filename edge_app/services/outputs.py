"""Where a report or a recovered copy may be written: never over a file of the installation.

Every command that writes a file the person names (`blocklist export`, `db export-recovered`)
asks `check_output_path` first, so a slip of the keyboard cannot replace the encrypted queue,
its -wal, the key, the settings or the logs, and an existing file is replaced only when asked
(`--force`). May import config and storage.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from edge_app.config import CONFIG_FILE, DATABASE_FILE
from edge_app.domain.errors import ValidationError
from storage.files import atomic_write, describe_os_error
from storage.keys import KEY_FILE, KEYSTORE_FILE

# Names that belong to the installation in its home, whether they exist right now or not.
_HOME_NAMES = frozenset({CONFIG_FILE, KEY_FILE, KEYSTORE_FILE, "sync.lock", "logs"})


def _is_home_name(home: Path, target: Path) -> bool:
    if target == home or home not in target.parents:
        return target == home
    first = target.relative_to(home).parts[0]
    return first in _HOME_NAMES or first.startswith(DATABASE_FILE)


def _same_file_as_home(home: Path, info: os.stat_result) -> bool:
    """Whether an existing target is one of the home's files under another name (a link)."""
    try:
        paths = list(home.rglob("*")) if home.is_dir() else []
        return any((s := p.stat()).st_ino == info.st_ino and s.st_dev == info.st_dev for p in paths)
    except OSError:
        return False


def check_output_path(home: Path, path: Path, *, force: bool = False) -> Path:
    """The resolved file to write, or a refusal in one sentence (nothing was written)."""
    target = path.expanduser().resolve()
    home = home.resolve()
    if _is_home_name(home, target):
        raise ValidationError(
            f"{path} is a file of the installation in {home}; write the export somewhere else."
        )
    if not target.parent.is_dir():
        raise ValidationError(f"The folder {target.parent} does not exist; nothing was written.")
    try:
        info = target.stat()
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise ValidationError(describe_os_error(exc, path, "written")) from None
    if _same_file_as_home(home, info):
        raise ValidationError(
            f"{path} is a file of the installation in {home}; write the export somewhere else."
        )
    if not stat.S_ISREG(info.st_mode):
        raise ValidationError(f"{path} is not a plain file; give a file name to write.")
    if not force:
        raise ValidationError(
            f"{path} already exists; give another name, or --force to replace it."
        )
    return target


def write_output(home: Path, path: Path, data: bytes, *, force: bool = False) -> None:
    """Write `data` to `path` atomically (owner-only), after `check_output_path`."""
    target = check_output_path(home, path, force=force)
    try:
        atomic_write(target, data)
    except OSError as exc:
        raise ValidationError(describe_os_error(exc, path, "written")) from None
