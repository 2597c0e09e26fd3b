"""A damaged queue: check every page, and copy every row that can still be read into a new file.

Built on the same sqlcipher3 as the program (a distribution's `sqlcipher` shell may be too old
to open SQLCipher 4 files, and its `sqlcipher_export` leaves the schema version at 0). The copy
gets the schema of the damaged file's version from `db.MIGRATIONS`, keeps `user_version`, and
is encrypted with the same key, so it can take the place of `queue.db`. Rows are read in key
order; when a damaged page stops the scan, the copy skips ahead to the next key it can read and
counts the gap (never naming a key: the card list's keys are card numbers). Imports only
storage and sqlcipher3.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from storage import unsent
from storage.db import Connection, _apply_key, open_database
from storage.errors import DatabaseDamagedError, DatabaseTooNewError
from storage.schema import SCHEMA_VERSION

CHUNK = 500
_PAGE1 = (
    "The start of the database file (its first page) is damaged, so nothing in it can be read; "
    "restore the last backup of the home (see 'Damaged database' in docs/operations.md)."
)


@dataclass
class CheckReport:
    version: int
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


@dataclass
class TableCopy:
    name: str
    copied: int = 0
    gaps: int = 0  # damaged stretches skipped
    lost_rowids: int = 0  # rows known lost (rowid tables: the ids skipped over)
    last_rowid: int | None = None  # the last rowid read before an unreadable end, if any


@dataclass
class RecoveryReport:
    version: int
    tables: list[TableCopy] = field(default_factory=list)
    dangling: int = 0  # records that point at a record that was lost

    @property
    def complete(self) -> bool:
        return not any(t.gaps for t in self.tables) and not self.dangling


class _Source:
    """The damaged file, read-only, without the page check that refuses it in normal use.

    SQLCipher leaves a connection unusable after a page fails its HMAC, so every read error
    is followed by `reset()`: a fresh connection for the next read.
    """

    def __init__(self, path: Path, key: bytes) -> None:
        if not path.is_file():
            raise DatabaseDamagedError(f"There is no database file at {path}.")
        self.path, self._key = path, key
        self.conn = self._connect()
        self.version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if self.version > SCHEMA_VERSION:
            self.close()
            raise DatabaseTooNewError(
                f"This database has schema version {self.version}, newer than this program "
                f"understands ({SCHEMA_VERSION}); use the newer Edge Uploader to recover it."
            )

    def _connect(self) -> Connection:
        conn = sqlcipher.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            _apply_key(conn, self._key)
            conn.execute("PRAGMA query_only = ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.DatabaseError:
            conn.close()
            raise DatabaseDamagedError(_PAGE1) from None
        return conn

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> Any:
        return self.conn.execute(sql, params)

    def reset(self) -> None:
        self.conn.close()
        self.conn = self._connect()

    def close(self) -> None:
        self.conn.close()


def check_database(path: Path, key: bytes) -> CheckReport:
    """Every page's HMAC (SQLCipher) and the structure of every table and index (SQLite)."""
    source = _Source(path, key)
    conn = source.conn
    try:
        report = CheckReport(source.version)
        bad_pages = conn.execute("PRAGMA cipher_integrity_check").fetchall()
        if bad_pages:
            report.problems.append(f"{len(bad_pages)} page(s) fail their integrity check")
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
        except sqlcipher.DatabaseError as exc:
            rows = [f"the structure cannot be read ({getattr(exc, 'sqlite_errorname', 'error')})"]
        if rows != ["ok"]:
            report.problems.append(f"{len(rows)} structure problem(s)")
        return report
    finally:
        source.close()


def export_recovered(path: Path, key: bytes, target: Path) -> RecoveryReport:
    """Copy what can be read of `path` into the new file `target` (same key and version)."""
    source = _Source(path, key)
    try:
        version = source.version
        out = open_database(target, key, create=True, key_known_good=True, target_version=version)
        try:
            report = RecoveryReport(version)
            out.execute("PRAGMA foreign_keys = OFF")
            out.execute("BEGIN IMMEDIATE")
            for table in _tables(out):
                report.tables.append(_copy_table(source, out, table))
            _count_lost_tails(source, report.tables)
            _copy_sequence(source, out)
            if version >= 8:  # the running totals are of the rows that could be read
                unsent.recompute(out)
            out.execute("COMMIT")
            report.dangling = len(out.execute("PRAGMA foreign_key_check").fetchall())
            out.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            out.close()
    finally:
        source.close()
    return report


def _tables(conn: Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _columns(conn: Connection, table: str) -> tuple[list[str], list[str], bool]:
    """(columns, primary key columns, whether the table has a rowid)."""
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    columns = [str(r[1]) for r in info]
    keys = [str(r[1]) for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    return columns, keys, "WITHOUT ROWID" not in str(sql).upper()


def _copy_table(source: _Source, out: Connection, table: str) -> TableCopy:
    columns, keys, has_rowid = _columns(out, table)
    copy = TableCopy(table)
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    rows = (
        _rowid_rows(source, table, names, copy)
        if has_rowid
        else _keyed_rows(source, table, columns, keys, copy)
    )
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            out.executemany(insert, batch)
            copy.copied += len(batch)
            batch.clear()
    out.executemany(insert, batch)
    copy.copied += len(batch)
    return copy


def _rowid_rows(
    source: _Source, table: str, names: str, copy: TableCopy
) -> Iterator[tuple[object, ...]]:
    """Rows in rowid order; past a damaged stretch, from the first rowid that can be read."""
    after = -(2**63)
    while True:
        try:
            cursor = source.execute(
                f'SELECT rowid, {names} FROM "{table}" WHERE rowid > ? ORDER BY rowid', (after,)
            )
            for row in cursor:
                after = int(row[0])
                yield tuple(row[1:])
            return
        except sqlcipher.DatabaseError:
            source.reset()
            resume = _next_readable(source, table, after)
            if resume is None:  # nothing after the damage can be reached
                copy.gaps += 1
                copy.last_rowid = after
                return
            copy.gaps += 1
            copy.lost_rowids += max(0, resume - after - 1)
            after = resume - 1


def _probe(source: _Source, table: str, after: int) -> int | bool | None:
    """The first rowid above `after` (None: none), or False when its page cannot be read."""
    try:
        row = source.execute(
            f'SELECT rowid FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT 1', (after,)
        ).fetchone()
    except sqlcipher.DatabaseError:
        source.reset()
        return False
    return None if row is None else int(row[0])


def _next_readable(source: _Source, table: str, after: int) -> int | None:
    """The lowest rowid above a damaged stretch that starts after `after` (None: no more)."""
    step = 1
    while True:
        if after + step >= 2**63 - 1:
            return None
        found = _probe(source, table, after + step)
        if found is not False:
            break
        step *= 2
    low, high = after + step // 2, after + step  # probing `low` fails, `high` reads
    while high - low > 1:
        middle = (low + high) // 2
        if _probe(source, table, middle) is False:
            low = middle
        else:
            high = middle
    first = _probe(source, table, high)
    return first if isinstance(first, int) and not isinstance(first, bool) else None


def _keyed_rows(
    source: _Source, table: str, columns: list[str], keys: list[str], copy: TableCopy
) -> Iterator[tuple[object, ...]]:
    """A WITHOUT ROWID table: forward in key order until a damaged page, then backward from
    the end down to it (what lies between two damaged pages is lost)."""
    names = ", ".join(f'"{c}"' for c in columns)
    key = ", ".join(f'"{k}"' for k in keys)
    index = [columns.index(k) for k in keys]
    last: tuple[object, ...] | None = None
    try:
        for row in source.execute(f'SELECT {names} FROM "{table}" ORDER BY {key}'):
            last = tuple(row[i] for i in index)
            yield tuple(row)
        return
    except sqlcipher.DatabaseError:
        source.reset()
        copy.gaps += 1
    where = f"WHERE ({key}) > ({', '.join('?' * len(keys))})" if last is not None else ""
    try:
        cursor = source.execute(
            f'SELECT {names} FROM "{table}" {where} ORDER BY {key} DESC', last or ()
        )
        for row in cursor:
            yield tuple(row)
    except sqlcipher.DatabaseError:
        source.reset()


def _count_lost_tails(source: _Source, tables: list[TableCopy]) -> None:
    """Rows lost at the end of an AUTOINCREMENT table: up to its counter (the ids given)."""
    try:
        seqs = dict(source.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    except sqlcipher.DatabaseError:
        source.reset()
        return
    for table in tables:
        if table.last_rowid is not None and table.name in seqs:
            table.lost_rowids += max(0, int(seqs[table.name]) - max(table.last_rowid, 0))


def _copy_sequence(source: _Source, out: Connection) -> None:
    """AUTOINCREMENT counters, so that no lost record's id is ever given to a new one."""
    try:
        rows = source.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
    except sqlcipher.DatabaseError:
        source.reset()
        return
    for name, seq in rows:
        out.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name))
        out.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
            (name, seq, name),
        )
