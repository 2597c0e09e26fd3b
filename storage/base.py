"""The one connection of a process and its plumbing: write transactions, queries, audit rows.

Every write is one SQLite transaction (BEGIN IMMEDIATE) that also writes its audit row, so a crash
leaves either all of a change or none of it; one re-entrant lock serialises the connection.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from storage.db import Connection, classify_sqlite_error


class StoreBase:
    """The connection and its lock; the parts of `Store` add the queries."""

    def __init__(self, conn: Connection, clock: Any = time.time) -> None:
        self.conn = conn
        self._lock = threading.RLock()
        self._clock = clock

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One SQLite write transaction (BEGIN IMMEDIATE); errors become plain StorageErrors."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlcipher.Error as exc:
                raise classify_sqlite_error(exc) from None
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except sqlcipher.Error as exc:
                self._rollback()
                raise classify_sqlite_error(exc) from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        with contextlib.suppress(sqlcipher.Error):
            self.conn.execute("ROLLBACK")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return list(self.conn.execute(sql, params).fetchall())
            except sqlcipher.Error as exc:
                raise classify_sqlite_error(exc) from None

    def now(self) -> float:
        return float(self._clock())

    def audit(
        self,
        conn: Connection,
        event: str,
        *,
        tx_uuid: str | None = None,
        from_state: str | None = None,
        to_state: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append an audit row inside the caller's transaction. `detail` must hold no card data."""
        conn.execute(
            "INSERT INTO audit (at_ts, tx_uuid, event, from_state, to_state, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (self.now(), tx_uuid, event, from_state, to_state, detail),
        )
