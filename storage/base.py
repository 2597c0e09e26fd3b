"""The one connection of a process and its plumbing: write transactions, queries, audit rows.

Every write is one SQLite transaction (BEGIN IMMEDIATE) that also writes its audit row, so a crash
leaves either all of a change or none of it; one re-entrant lock serialises the connection. Audit
rows are chained (`storage.audit`) and say who acted: the store's actor, or for a short while
after a manager's PIN, the manager.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from storage import audit as chain
from storage.audit import SYSTEM, Actor, NewEntry
from storage.db import BUSY_TIMEOUT_MS, Connection, classify_sqlite_error
from storage.errors import DatabaseBusyError

# While waiting for the write lock, SQLite's own busy handler is held to this many milliseconds
# and retried from here: its back-off grows to 100 ms between tries, so a writer waiting behind
# an import's short steps would miss the gaps between them (a capture waited 400 ms, not 150).
# Within this bound it tries again after 1, 2, 5 and 10 ms.
WRITE_LOCK_POLL_MS = 20


class StoreBase:
    """The connection and its lock; the parts of `Store` add the queries.

    `audit_key` (`keys.audit_key` of the database key) signs the audit trail; a store opened
    without it can read but not write audit rows.
    """

    def __init__(
        self, conn: Connection, clock: Any = time.time, *, audit_key: bytes | None = None
    ) -> None:
        self.conn = conn
        self._lock = threading.RLock()
        self._clock = clock
        self._audit_key = audit_key
        self.actor: Actor = SYSTEM  # who this process acts for (the window: cashier)
        self._elevated: tuple[Actor, float] | None = None  # (manager, until monotonic time)
        self.busy_timeout_ms = BUSY_TIMEOUT_MS  # as open_database set it on the connection

    def set_busy_timeout(self, milliseconds: int) -> None:
        """How long a statement waits for another connection's lock before "busy"."""
        with self._lock:
            self.conn.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
            self.busy_timeout_ms = int(milliseconds)

    def act_as(self, actor: Actor) -> None:
        """Who the audit rows of this process name from now on."""
        self.actor = actor

    def elevate(self, actor: Actor, seconds: float) -> None:
        """For `seconds`, audit rows name `actor` (a manager who just gave the PIN)."""
        self._elevated = (actor, time.monotonic() + seconds)

    def current_actor(self) -> Actor:
        elevated = self._elevated
        if elevated is not None and time.monotonic() < elevated[1]:
            return elevated[0]
        return self.actor

    @property
    def audit_key(self) -> bytes:
        if self._audit_key is None:
            raise RuntimeError("this store was opened without the audit key")
        return self._audit_key

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One SQLite write transaction (BEGIN IMMEDIATE); errors become plain StorageErrors."""
        with self._lock:
            try:
                self._begin_immediate()
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

    def _begin_immediate(self) -> None:
        """BEGIN IMMEDIATE, waiting up to the busy timeout for another writer, trying often."""
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        self.conn.execute(f"PRAGMA busy_timeout = {WRITE_LOCK_POLL_MS}")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlcipher.OperationalError as exc:
                    busy = isinstance(classify_sqlite_error(exc), DatabaseBusyError)
                    if not busy or time.monotonic() >= deadline:
                        raise
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")

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
        actor: Actor | None = None,
    ) -> None:
        """Append an audit row inside the caller's transaction. `detail` must hold no card data."""
        entry = (self.now(), tx_uuid, event, from_state, to_state, detail)
        chain.append(conn, self.audit_key, [entry], actor or self.current_actor())

    def audit_many(
        self, conn: Connection, entries: Sequence[NewEntry], actor: Actor | None = None
    ) -> None:
        """Append many audit rows (a batch) inside the caller's transaction, chained in order."""
        chain.append(conn, self.audit_key, entries, actor or self.current_actor())
