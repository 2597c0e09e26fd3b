"""Opening the SQLCipher database: key, pragmas, schema migrations, error sorting.

Opening never creates a fresh database over an existing file: a wrong key or a damaged file is an
error and the file is left as it was.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from storage.errors import (
    DatabaseBusyError,
    DatabaseDamagedError,
    DatabaseKeyError,
    DatabaseMissingError,
    DatabaseTooNewError,
    DiskFullError,
    StorageBug,
    StorageError,
)
from storage.files import create_private_file, describe_os_error
from storage.schema import AFTER_MIGRATION, MIGRATIONS, SCHEMA_VERSION

Connection = Any  # sqlcipher3 ships no type information
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000  # how long a statement waits for another connection's lock
# An import beside a sync and a window grew the WAL to 240 MB; SQLite keeps a WAL at its largest
# until the last connection closes, unless a limit cuts it back once a checkpoint restarts it.
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
_CONNECT = {"isolation_level": None, "check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}

# SQLite's primary result codes (the low byte of `sqlite_errorcode`) that come from the
# environment - the disk, the file, another program - and the sentence a person reads for each.
# Any other code (a statement refused as wrong, a constraint, misuse) is a bug in this program.
_BUSY = "The database is busy in another program; try again in a moment."
_DAMAGED = "The database file is damaged; see 'Damaged database' in docs/operations.md."
_IO = (
    "The database file could not be written or read (disk error or no space left); "
    "nothing was stored. Check the disk and free some space."
)
_CANNOT_WRITE = "The database file cannot be written; check its permissions and disk."
_ENVIRONMENT: dict[int, tuple[type[StorageError], str]] = {
    5: (DatabaseBusyError, _BUSY),  # SQLITE_BUSY
    6: (DatabaseBusyError, _BUSY),  # SQLITE_LOCKED
    7: (StorageError, "The computer ran out of memory; nothing was stored."),  # SQLITE_NOMEM
    8: (StorageError, _CANNOT_WRITE),  # SQLITE_READONLY
    10: (StorageError, _IO),  # SQLITE_IOERR: a full disk, a size limit, a failing drive
    11: (DatabaseDamagedError, _DAMAGED),  # SQLITE_CORRUPT
    13: (DiskFullError, "The disk is full; nothing was stored. Free some space and try again."),
    14: (StorageError, _CANNOT_WRITE),  # SQLITE_CANTOPEN
    15: (DatabaseBusyError, _BUSY),  # SQLITE_PROTOCOL: a lock race with another program
    23: (StorageError, _CANNOT_WRITE),  # SQLITE_AUTH
    26: (DatabaseDamagedError, _DAMAGED),  # SQLITE_NOTADB
    3: (StorageError, _CANNOT_WRITE),  # SQLITE_PERM
}


_ACCESS_CODES = frozenset({3, 8, 14, 23})  # PERM, READONLY, CANTOPEN, AUTH


def classify_sqlite_error(
    exc: BaseException, path: Path | None = None
) -> StorageError | StorageBug:
    """Sort an SQLite error by its result code: an environment error in plain words (disk,
    damage, lock, permissions), or a `StorageBug` (a wrong statement: exit 1, logged).

    With the database's `path`, a refused open or write names what this user cannot access
    (the folder, the file or its -wal/-shm), found with the OS's own access check.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _ENVIRONMENT:
        if path is not None and (code & 0xFF) in _ACCESS_CODES:
            denied = _denied_path(path)
            if denied is not None:
                return StorageError(
                    describe_os_error(PermissionError(13, "denied"), denied, "written")
                )
        kind, sentence = _ENVIRONMENT[code & 0xFF]
        return kind(sentence)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    return StorageBug(f"The database refused a statement of this program ({name}).")


def _denied_path(path: Path) -> Path | None:
    """The first of the database's folder, file, -wal and -shm that this user may not write."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return path.parent
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists() and not os.access(candidate, os.R_OK | os.W_OK):
            return candidate
    return None


def _apply_key(conn: Connection, key: bytes) -> None:
    conn.execute("PRAGMA cipher_log_level = NONE")
    # Raw key: SQLCipher uses these 32 bytes directly, so no key derivation on every open.
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")


def _looks_plaintext(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == SQLITE_HEADER


def _statements(script: str) -> list[str]:
    """Split a migration into statements; a trigger's BEGIN ... END holds its own semicolons."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlcipher.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


# Told (from version, to version) before an existing queue is upgraded: it takes longer, once.
UpgradeNotice = Callable[[int, int], object]


def migrate(
    conn: Connection,
    target: int = SCHEMA_VERSION,
    *,
    key: bytes,
    on_upgrade: UpgradeNotice | None = None,
) -> int:
    """Apply forward migrations up to `target`, each in its own transaction (`key`: the
    database key, for the steps that need it). `on_upgrade(from, to)` is called once before
    an existing database is upgraded (not a new one), so that a person can be told why this
    start takes longer."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise DatabaseTooNewError(
            f"This database has schema version {version}, newer than this program understands "
            f"({SCHEMA_VERSION}); install the newer Edge Uploader."
        )
    if version >= target:
        return version
    if on_upgrade is not None and version > 0:
        on_upgrade(version, target)
    # A table rebuild (migration 5) drops and renames tables: foreign keys are checked once,
    # before each commit, instead of on every statement (the pragma is a no-op in a transaction).
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        while version < target:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                step = AFTER_MIGRATION.get(version + 1)
                if step is not None:
                    step(conn, key)
                if conn.execute("PRAGMA foreign_key_check").fetchall():
                    raise DatabaseDamagedError(
                        "The database has records that point at missing ones; it was not "
                        "upgraded. See 'Damaged database' in docs/operations.md."
                    )
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return version


def open_database(
    path: Path,
    key: bytes,
    *,
    create: bool = False,
    key_known_good: bool = False,
    target_version: int = SCHEMA_VERSION,
    connect: Callable[..., Connection] = sqlcipher.connect,
    on_upgrade: UpgradeNotice | None = None,
) -> Connection:
    """Open (or with `create`, create) the encrypted queue and bring its schema up to date.

    `key_known_good` says the key matched the installation's key check, so a failure to read
    page 1 means damage rather than a wrong key. `on_upgrade` as `migrate` takes it.
    """
    try:
        is_new = _check_file(path, create)
    except OSError as exc:
        raise StorageError(describe_os_error(exc, path, "read")) from None
    conn = connect(str(path), **_CONNECT)
    try:
        _apply_key(conn, key)
        _first_read(conn, path, key_known_good)
        if not is_new:
            _check_pages(conn)
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}").fetchone()
        migrate(conn, target_version, key=key, on_upgrade=on_upgrade)
    except sqlcipher.Error as exc:
        conn.close()
        raise classify_sqlite_error(exc, path) from None
    except BaseException:
        conn.close()
        raise
    _tighten_sidecars(path)
    return conn


def _check_file(path: Path, create: bool) -> bool:
    """Whether the database is new (missing or empty); refuses a missing or plaintext file."""
    is_new = not path.exists() or path.stat().st_size == 0
    if not path.exists():
        if not create:
            raise DatabaseMissingError(f"No queue database at {path}; run 'edge-app init' first.")
        create_private_file(path)
    elif not is_new and _looks_plaintext(path):
        raise DatabaseDamagedError(f"{path} is not an encrypted Edge Uploader database.")
    return is_new


def _first_read(conn: Connection, path: Path, key_known_good: bool) -> None:
    """Read page 1: a wrong key, damage, or (by its result code) permissions, a lock, the disk.

    `key_known_good` says the key matched the installation's key check, so a page 1 that does
    not decrypt means damage rather than a wrong key.
    """
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) not in (11, 26):  # not CORRUPT, NOTADB
            raise classify_sqlite_error(exc, path) from None
        if key_known_good:
            raise DatabaseDamagedError(_DAMAGED) from None
        raise DatabaseKeyError(
            "The database key does not open this database (wrong key or damaged file)."
        ) from None


def open_reader(path: Path, key: bytes) -> Connection:
    """A read-only connection to an open installation's queue (the writer migrated it).

    For screens that page through the queue: in WAL mode its reads see the last commit and never
    wait for the writer. It cannot write (`query_only`), so a bug there cannot change a record.
    """
    conn = sqlcipher.connect(str(path), **_CONNECT)
    try:
        _apply_key(conn, key)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.Error as exc:
        conn.close()
        raise classify_sqlite_error(exc, path) from None
    return conn


def _check_pages(conn: Connection) -> None:
    """Refuse a file with any page that fails its HMAC (damage anywhere, not only on page 1).

    Reading page 1 proves the key; a damaged page further in would otherwise show up only when
    a sync reaches it, after new captures were written into the damaged file. The check reads
    the whole file (about 12 ms for 10,000 records). It reads the file directly, so a page being
    checkpointed by another process at that moment could look torn: damage counts only when a
    second look finds it too.
    """
    for attempt in range(2):
        problems = conn.execute("PRAGMA cipher_integrity_check").fetchall()
        if not problems:
            return
        if attempt == 0:
            time.sleep(0.05)
    raise DatabaseDamagedError(
        "The database file is damaged; see 'Damaged database' in docs/operations.md."
    )


def _tighten_sidecars(path: Path) -> None:
    """SQLite creates -wal and -shm with the database's mode; make sure they are owner-only."""
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists() and os.name != "nt":
            os.chmod(sidecar, 0o600)
