"""Recovery of a damaged queue, for `edge-app db check` and `db export-recovered`.

These work without opening the installation (which refuses a damaged file): only its key is
needed. The copy is written only where `outputs.check_output_path` allows, never over a file of
the home. May import config and storage.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

from edge_app.config import DATABASE_FILE
from edge_app.services.outputs import check_output_path
from storage.keys import PassphraseProvider, load_key
from storage.recovery import CheckReport, RecoveryReport, check_database, export_recovered


def check_queue(
    home: Path,
    *,
    env: Mapping[str, str] | None = None,
    passphrase_provider: PassphraseProvider | None = None,
) -> CheckReport:
    """Every page and the structure of the home's queue, read-only."""
    key = load_key(home, env=env, passphrase_provider=passphrase_provider).key
    return check_database(home / DATABASE_FILE, key)


def recover_queue(
    home: Path,
    target: Path,
    *,
    force: bool = False,
    env: Mapping[str, str] | None = None,
    passphrase_provider: PassphraseProvider | None = None,
) -> RecoveryReport:
    """Copy what can be read of the queue into the new file `target` (same key, same schema
    version); nothing in the home is changed. A half-written copy is removed."""
    out = check_output_path(home, target, force=force)
    key = load_key(home, env=env, passphrase_provider=passphrase_provider).key
    _remove(out)
    try:
        return export_recovered(home / DATABASE_FILE, key, out)
    except BaseException:
        _remove(out)
        raise


def _remove(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        with contextlib.suppress(FileNotFoundError):
            (path.parent / name).unlink()
