"""A large import without holding the write lock: rows checked and staged in short
transactions; all of them or none.

When every row passed, the import is *decided* in one transaction (its audit entry written):
from then on its rows become visible in short steps, and an open after a crash finishes them
(roll forward). An import that dies before that point is dropped by the next open. A file with
voids or refunds is made visible in one transaction instead (`publish_import`), with them.

Each import stages into a table of its own (`import_staging_<id>`), so that captures, syncs
and the window's writes go on between its short transactions and never see a staged row, and
so that its staged copies go with one DROP TABLE (freed pages are zeroed: `secure_delete`)
instead of a delete per row. Which process stages under which id is kept in `settings`
(`import:<id>` -> its pid): an open drops only the tables of imports whose process is gone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from storage import unsent
from storage.base import StoreBase
from storage.db import Connection

STAGE_COLUMNS = (
    "uuid, amount, currency, tips, exposure_minor, masked_card, card_data, auth_code, "
    "captured_at, captured_ts, sn, upload_item"
)
# One staged sale: the columns above, in order.
StagedSale = tuple[
    str, str, str, str | None, int, str, str | None, str | None, str, float, str, str
]
# The columns a staged row gives its queued sale (`updated_ts` is the time it is published).
_PUBLISHED = (
    "uuid, kind, state, amount, currency, tips, exposure_minor, masked_card, card_data, "
    "auth_code, captured_at, captured_ts, updated_ts, sn, upload_item"
)
_FROM_STAGED = (
    "uuid, 'sale', 'queued', amount, currency, tips, exposure_minor, masked_card, card_data, "
    "auth_code, captured_at, captured_ts, ?, sn, upload_item"
)
_MARK = "import:"
IMPORT_CACHE_KIB = -32768  # negative: KiB (32 MiB), while an import runs
PUBLISH_ROWS = 4000  # staged rows made visible per short transaction after a crash
_TABLE = "import_staging_"
_ID = re.compile(r"[0-9a-f]{32}")


def _table(import_id: str) -> str:
    if not _ID.fullmatch(import_id):
        raise ValueError("an import id is 32 hexadecimal digits")
    return _TABLE + import_id


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists (another user's) or cannot tell: leave its rows alone
    return True


class ImportStaging(StoreBase):
    _cache_before: int | None = None  # the page cache size before this process's import

    def begin_import(self, import_id: str) -> None:
        """Mark the import as this process's and make its staging table. Until it is dropped,
        the connection keeps a larger page cache: making staged rows visible updates the
        indexes of `transactions` at random places (uuids), and pages kept in memory are not
        read and decrypted again."""
        with self._lock:
            self._cache_before = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
            self.conn.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?)",
                (_MARK + import_id, str(os.getpid())),
            )
            conn.execute(
                f"CREATE TABLE {_table(import_id)} (seq INTEGER PRIMARY KEY, uuid TEXT NOT NULL, "
                "amount TEXT, currency TEXT, tips TEXT, exposure_minor INTEGER NOT NULL, "
                "masked_card TEXT, card_data TEXT, auth_code TEXT, captured_at TEXT NOT NULL, "
                "captured_ts REAL NOT NULL, sn TEXT, upload_item TEXT)"
            )

    def stage_sales(self, import_id: str, rows: Sequence[StagedSale]) -> None:
        """One short write transaction of staged rows (nobody else sees them)."""
        with self.transaction() as conn:
            conn.executemany(
                f"INSERT INTO {_table(import_id)} ({STAGE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def known_uuids(self, uuids: Sequence[str]) -> set[str]:
        """Which of these uuids are stored already."""
        found: set[str] = set()
        for start in range(0, len(uuids), 500):
            chunk = list(uuids[start : start + 500])
            rows = self.query(
                f"SELECT uuid FROM transactions WHERE uuid IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update(str(r[0]) for r in rows)
        return found

    def publish_import(
        self, conn: Connection, import_id: str, deltas: unsent.Deltas, detail: str
    ) -> int:
        """Inside the caller's transaction: every staged row of the import becomes a queued
        sale (one statement), the unsent totals take them, one audit entry says so. Returns
        how many rows moved; refuses (ValueError) when a uuid was stored meanwhile."""
        table = _table(import_id)
        clash = conn.execute(
            f"SELECT count(*) FROM {table} s JOIN transactions t ON t.uuid = s.uuid"
        ).fetchone()[0]
        if clash:
            raise ValueError(f"{clash} uuid(s) of the file were stored meanwhile")
        cur = conn.execute(
            f"INSERT INTO transactions ({_PUBLISHED}) SELECT {_FROM_STAGED} FROM {table} "
            "ORDER BY seq",
            (self.now(),),
        )
        unsent.add(conn, deltas)
        self.audit(conn, "imported", detail=detail)
        return int(cur.rowcount)

    def decide_import(self, import_id: str, detail: str, given: Sequence[str] = ()) -> None:
        """The import is decided: every staged row will become a queued sale, in steps of
        steps (`publish_step`), continued by the next open after a crash. Refuses
        (ValueError) when a uuid the file gave was stored meanwhile (the others are new random
        ones); the audit entry says what was imported."""
        with self.transaction() as conn:
            for start in range(0, len(given), 500):
                chunk = list(given[start : start + 500])
                if conn.execute(
                    f"SELECT 1 FROM transactions WHERE uuid IN ({','.join('?' * len(chunk))}) "
                    "LIMIT 1",
                    chunk,
                ).fetchone():
                    raise ValueError("a uuid of the file was stored meanwhile")
            conn.execute(
                "UPDATE settings SET value = ? WHERE name = ?",
                (f"{os.getpid()}:decided:0", _MARK + import_id),
            )
            self.audit(conn, "imported", detail=detail)

    def publish_step(self, import_id: str, rows: int | None = None) -> bool:
        """Move the next `rows` (`PUBLISH_ROWS` unless given) staged rows of a decided import into
        `transactions` (a short transaction: captures wait at most this long); True when none
        are left, and then the staging table is dropped. A uuid stored by someone else since
        the decision is the same record at the gateway (its id): that staged copy is skipped."""
        rows = PUBLISH_ROWS if rows is None else rows
        table = _table(import_id)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT value FROM settings WHERE name = ?", (_MARK + import_id,)
            ).fetchone()
            if row is None or ":decided:" not in str(row[0]):
                raise ValueError("the import is not decided")
            pid, _, start = str(row[0]).split(":")
            first = int(start)
            last_id = conn.execute("SELECT coalesce(max(id), 0) FROM transactions").fetchone()[0]
            conn.execute(
                f"INSERT INTO transactions ({_PUBLISHED}) SELECT {_FROM_STAGED} FROM {table} s "
                "WHERE seq > ? AND seq <= ? AND NOT EXISTS "
                "(SELECT 1 FROM transactions t WHERE t.uuid = s.uuid) ORDER BY seq",
                (self.now(), first, first + rows),
            )
            unsent.shift(conn, "id > ?", (last_id,), 1)
            # The moved copies go now (a contiguous range: its pages are freed and zeroed in
            # order), so that the end of the import has no large table left to drop.
            conn.execute(
                f"DELETE FROM {table} WHERE seq > ? AND seq <= ?", (first, first + rows)
            )
            more = conn.execute(
                f"SELECT 1 FROM {table} WHERE seq > ? LIMIT 1", (first + rows,)
            ).fetchone()
            if more:
                conn.execute(
                    "UPDATE settings SET value = ? WHERE name = ?",
                    (f"{pid}:decided:{first + rows}", _MARK + import_id),
                )
                return False
        self.drop_staged(import_id)
        return True

    def import_decided(self, import_id: str) -> bool:
        rows = self.query("SELECT value FROM settings WHERE name = ?", (_MARK + import_id,))
        return bool(rows and ":decided:" in str(rows[0][0]))

    def drop_staged(self, import_id: str) -> None:
        """Drop an import's staging table (its pages zeroed) and its mark."""
        with self.transaction() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {_table(import_id)}")
            conn.execute("DELETE FROM settings WHERE name = ?", (_MARK + import_id,))
        with self._lock:
            if self._cache_before is not None:
                self.conn.execute(f"PRAGMA cache_size = {self._cache_before}")
                self._cache_before = None

    def clear_abandoned_imports(self) -> int:
        """On open: the staged rows of imports whose process is gone (a crash) are removed.
        One read of the schema when nothing is staged."""
        tables = self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'import_staging_%'"
        )
        marks = self.query("SELECT name, value FROM settings WHERE name LIKE 'import:%'")
        if not tables and not marks:
            return 0
        live, decided = set(), set()
        for name, value in marks:
            import_id, pid = str(name)[len(_MARK) :], str(value).split(":")[0]
            if pid.isdigit() and _alive(int(pid)):
                live.add(import_id)
            elif ":decided:" in str(value):
                decided.add(import_id)
        ids = {str(r[0])[len(_TABLE) :] for r in tables} | {str(n)[len(_MARK) :] for n, _ in marks}
        dead = sorted(i for i in ids - live if _ID.fullmatch(i))
        for import_id in dead:
            if import_id in decided:  # decided before the crash: it is finished, not undone
                while not self.publish_step(import_id):
                    pass
            else:
                self.drop_staged(import_id)
        return len(dead)
