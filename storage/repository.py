"""The encrypted queue: transactions (an outbox), audit trail, settings and the card block list.

One `Store` per process owns the one connection; every write is a single SQLite transaction that
also writes its audit row, so a crash leaves either all of a change or none of it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from edge_app.domain.blocklist import pending_operation
from edge_app.domain.card import mask_card_number
from edge_app.domain.money import MINOR_UNITS
from edge_app.domain.transactions import (
    FINAL_STATES,
    CardData,
    SaleStatus,
    TxKind,
    TxState,
    check_transition,
)
from storage.db import Connection, classify_sqlite_error

UNSENT = ("queued", "uploading", "pending")
TX_COLUMNS = (
    "id, uuid, kind, state, amount, currency, tips, origin_uuid, origin_brn, masked_card, "
    "auth_code, captured_at, captured_ts, brn, error_code, error_desc, duplicate, attempts, "
    "next_attempt_ts, updated_ts, sn, sent_ts"
)


@dataclass(frozen=True)
class TxRecord:
    """A queued transaction as shown to people: the card appears masked only."""

    id: int
    uuid: str
    kind: TxKind
    state: TxState
    amount: Decimal | None
    currency: str | None
    tips: Decimal | None
    origin_uuid: str | None
    origin_brn: str | None
    masked_card: str | None
    auth_code: str | None
    captured_at: str
    captured_ts: float
    brn: str | None
    error_code: str | None
    error_desc: str | None
    duplicate: bool
    attempts: int
    next_attempt_ts: float
    updated_ts: float
    sn: str | None = None
    sent_ts: float | None = None  # first put on the wire; None: never sent

    @property
    def ever_sent(self) -> bool:
        """Whether the gateway may have it: only a record never sent can be cancelled locally."""
        return self.sent_ts is not None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> TxRecord:
        return cls(
            id=row[0],
            uuid=row[1],
            kind=TxKind(row[2]),
            state=TxState(row[3]),
            amount=Decimal(row[4]) if row[4] is not None else None,
            currency=row[5],
            tips=Decimal(row[6]) if row[6] is not None else None,
            origin_uuid=row[7],
            origin_brn=row[8],
            masked_card=row[9],
            auth_code=row[10],
            captured_at=row[11],
            captured_ts=row[12],
            brn=row[13],
            error_code=row[14],
            error_desc=row[15],
            duplicate=bool(row[16]),
            attempts=row[17],
            next_attempt_ts=row[18],
            updated_ts=row[19],
            sn=row[20],
            sent_ts=row[21],
        )


@dataclass(frozen=True)
class TxFilter:
    """What the transactions list shows; all conditions are ANDed."""

    states: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    text: str = ""
    since_ts: float | None = None
    until_ts: float | None = None


@dataclass(frozen=True)
class BlockEntry:
    masked: str
    desired: bool
    on_gateway: bool
    failed_reason: str | None
    in_doubt: bool = False

    @property
    def pending(self) -> str | None:
        return pending_operation(self.desired, self.on_gateway, self.in_doubt)


# (at_ts, event, from_state, to_state, detail) of one audit entry
AuditRow = tuple[float, str, str | None, str | None, str | None]


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(MINOR_UNITS[currency]))


def from_minor(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-MINOR_UNITS[currency])


class Store:
    """All reads and writes of the queue database.

    Thread-safe: one lock serialises the connection.
    """

    def __init__(self, conn: Connection, clock: Any = time.time) -> None:
        self.conn = conn
        self._lock = threading.RLock()
        self._clock = clock

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # -- plumbing -----------------------------------------------------------------------------

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

    # -- settings and secrets (inside the encrypted database) ---------------------------------

    def get_setting(self, name: str) -> str | None:
        rows = self.query("SELECT value FROM settings WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set_setting(self, name: str, value: str | None, *, audit_detail: str | None = None) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE name = ?", (name,))
            else:
                conn.execute(
                    "INSERT INTO settings (name, value) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    (name, value),
                )
            self.audit(conn, "setting", detail=audit_detail or name)

    # -- capture ------------------------------------------------------------------------------

    def insert_sale(
        self,
        conn: Connection,
        *,
        uuid: str,
        amount: Decimal,
        currency: str,
        tips: Decimal | None,
        card: CardData,
        auth_code: str | None,
        captured_at: datetime,
        sn: str | None = None,
    ) -> None:
        """Insert a queued sale inside the caller's transaction (with its audit row).

        Everything its upload ITEM holds is stored here, `sn` (the device) included, so a resend
        after a lost answer is the same content even if the settings changed meanwhile.
        """
        exposure = to_minor(amount + (tips or Decimal(0)), currency)
        conn.execute(
            "INSERT INTO transactions (uuid, kind, state, amount, currency, tips, exposure_minor, "
            "masked_card, card_data, auth_code, captured_at, captured_ts, updated_ts, sn) "
            "VALUES (?, 'sale', 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid,
                str(amount),
                currency,
                str(tips) if tips is not None else None,
                exposure,
                card.masked,
                card.to_json(),
                auth_code,
                captured_at.isoformat(),
                captured_at.timestamp(),
                self.now(),
                sn,
            ),
        )
        self.audit(conn, "captured", tx_uuid=uuid, to_state="queued", detail=f"sale {card.masked}")

    def insert_follow_up(
        self,
        conn: Connection,
        *,
        uuid: str,
        kind: TxKind,
        origin: TxRecord | None,
        origin_brn: str | None,
        amount: Decimal | None,
        currency: str | None,
        captured_at: datetime,
        state: TxState = TxState.QUEUED,
    ) -> None:
        """Insert a void or refund of `origin` (a local sale) or of a BRN only the gateway knows."""
        conn.execute(
            "INSERT INTO transactions (uuid, kind, state, amount, currency, origin_uuid, "
            "origin_brn, masked_card, captured_at, captured_ts, updated_ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid,
                kind.value,
                state.value,
                str(amount) if amount is not None else None,
                currency,
                origin.uuid if origin else None,
                origin_brn,
                origin.masked_card if origin else None,
                captured_at.isoformat(),
                captured_at.timestamp(),
                self.now(),
            ),
        )
        self.audit(conn, "captured", tx_uuid=uuid, to_state=state.value, detail=kind.value)

    def set_state(
        self,
        conn: Connection,
        record: TxRecord,
        new_state: TxState,
        *,
        detail: str | None = None,
        erase_card: bool = False,
    ) -> None:
        """Move one record to `new_state` (checked against the state machine) with an audit row."""
        check_transition(record.state, new_state)
        erase = erase_card or new_state in FINAL_STATES
        conn.execute(
            "UPDATE transactions SET state = ?, updated_ts = ?"
            + (", card_data = NULL" if erase else "")
            + " WHERE uuid = ?",
            (new_state.value, self.now(), record.uuid),
        )
        self.audit(
            conn,
            "state",
            tx_uuid=record.uuid,
            from_state=record.state.value,
            to_state=new_state.value,
            detail=detail,
        )

    def fix_legacy_sn(self, device_sn: str) -> int:
        """Give sales captured before `sn` was stored (schema 5) the device id they were sent
        with, so that a resend of them is the same content."""
        waiting = self.query(
            "SELECT count(*) FROM transactions WHERE state IN "
            "('queued', 'uploading', 'pending', 'held') AND kind = 'sale' AND sn IS NULL"
        )
        if not waiting[0][0]:
            return 0
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE transactions SET sn = ? WHERE kind = 'sale' AND sn IS NULL AND state IN "
                "('queued', 'uploading', 'pending', 'held')",
                (device_sn,),
            )
            return int(cur.rowcount)

    def requeue_for_retry(self, record: TxRecord) -> None:
        """A manager's Retry: queued again with its tries and last error cleared, same uuid."""
        with self.transaction() as conn:
            self.set_state(conn, record, TxState.QUEUED, detail="retry requested")
            conn.execute(
                "UPDATE transactions SET attempts = 0, next_attempt_ts = 0, error_code = NULL, "
                "error_desc = NULL WHERE uuid = ?",
                (record.uuid,),
            )

    # -- reading transactions -----------------------------------------------------------------

    def find(self, ident: str) -> TxRecord | None:
        """A transaction by uuid or by the BRN the gateway gave it."""
        rows = self.query(
            f"SELECT {TX_COLUMNS} FROM transactions WHERE uuid = ? OR brn = ? LIMIT 1",
            (ident.lower(), ident),
        )
        return TxRecord.from_row(rows[0]) if rows else None

    def get(self, uuid: str) -> TxRecord | None:
        rows = self.query(f"SELECT {TX_COLUMNS} FROM transactions WHERE uuid = ?", (uuid,))
        return TxRecord.from_row(rows[0]) if rows else None

    def follow_ups(self, sale_uuid: str) -> list[TxRecord]:
        rows = self.query(
            f"SELECT {TX_COLUMNS} FROM transactions WHERE origin_uuid = ? ORDER BY id", (sale_uuid,)
        )
        return [TxRecord.from_row(r) for r in rows]

    def sale_status(self, sale: TxRecord) -> SaleStatus:
        """What is known locally about a sale: voided, and how much was refunded (not failed)."""
        voided = False
        refunded = Decimal(0)
        for follow in self.follow_ups(sale.uuid):
            if follow.state in (TxState.FAILED, TxState.CANCELLED):
                continue
            if follow.kind is TxKind.VOID:
                voided = True
            elif follow.kind is TxKind.REFUND and follow.amount is not None:
                refunded += follow.amount
        assert sale.amount is not None and sale.currency is not None
        return SaleStatus(
            amount=sale.amount,
            currency=sale.currency,
            state=sale.state,
            voided=voided,
            refunded_total=refunded,
        )

    def load_card(self, uuid: str) -> CardData | None:
        """The full card data of a record, only while its outcome is not final."""
        rows = self.query("SELECT card_data FROM transactions WHERE uuid = ?", (uuid,))
        if not rows or rows[0][0] is None:
            return None
        return CardData.from_json(rows[0][0])

    def _filter_sql(
        self, flt: TxFilter, *, older_than: int | None = None, newer_than: int | None = None
    ) -> tuple[str, list[Any]]:
        """WHERE clause of `flt`, optionally bounded by id (a key, for paging without OFFSET)."""
        clauses: list[str] = []
        params: list[Any] = []
        if older_than is not None:
            clauses.append("id < ?")
            params.append(older_than)
        if newer_than is not None:
            clauses.append("id > ?")
            params.append(newer_than)
        if flt.states:
            clauses.append(f"state IN ({','.join('?' * len(flt.states))})")
            params.extend(flt.states)
        if flt.kinds:
            clauses.append(f"kind IN ({','.join('?' * len(flt.kinds))})")
            params.extend(flt.kinds)
        if flt.since_ts is not None:
            clauses.append("captured_ts >= ?")
            params.append(flt.since_ts)
        if flt.until_ts is not None:
            clauses.append("captured_ts < ?")
            params.append(flt.until_ts)
        text = flt.text.strip()
        if text:
            like = f"%{text}%"
            clauses.append(
                "(uuid LIKE ? OR brn LIKE ? OR masked_card LIKE ? OR amount LIKE ? OR "
                "currency LIKE ? OR error_desc LIKE ?)"
            )
            params.extend([like] * 6)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return where, params

    def count_transactions(
        self, flt: TxFilter = TxFilter(), *, newer_than: int | None = None
    ) -> int:
        """How many records match `flt`; with `newer_than`, only those with a larger id (so the
        position, newest first, of the record with that id)."""
        where, params = self._filter_sql(flt, newer_than=newer_than)
        return int(self.query(f"SELECT count(*) FROM transactions{where}", params)[0][0])

    def list_transactions(
        self,
        flt: TxFilter = TxFilter(),
        *,
        offset: int = 0,
        limit: int = 200,
        older_than: int | None = None,
        newer_than: int | None = None,
        oldest_first: bool = False,
    ) -> list[TxRecord]:
        """One page of the records matching `flt`, always returned newest first.

        The page starts `offset` records after the newest match, or - with `oldest_first` - it
        ends `offset` records before the oldest match. `older_than` / `newer_than` (ids) bound
        the matches first, so a window can page from a record it already has (keyset) instead of
        counting from either end. Only ids are ordered and skipped (a covering index serves
        them when the filter has one); the full rows are read for the page alone.
        """
        where, params = self._filter_sql(flt, older_than=older_than, newer_than=newer_than)
        order = "ASC" if oldest_first else "DESC"
        rows = self.query(
            f"SELECT {TX_COLUMNS} FROM transactions WHERE id IN "
            f"(SELECT id FROM transactions{where} ORDER BY id {order} LIMIT ? OFFSET ?) "
            "ORDER BY id DESC",
            [*params, limit, offset],
        )
        return [TxRecord.from_row(r) for r in rows]

    def audit_trail(self, uuid: str) -> list[AuditRow]:
        rows = self.query(
            "SELECT at_ts, event, from_state, to_state, detail FROM audit "
            "WHERE tx_uuid = ? ORDER BY id",
            (uuid,),
        )
        return [tuple(r) for r in rows]

    # -- status -------------------------------------------------------------------------------

    def counts_by_state(self) -> dict[str, int]:
        counts = {state.value: 0 for state in TxState}
        for state, count in self.query("SELECT state, count(*) FROM transactions GROUP BY state"):
            counts[str(state)] = int(count)
        return counts

    def unsent_totals(self) -> dict[str, Decimal]:
        """Amount (with tips) of sales not yet accepted by the gateway, per currency.

        Held sales count too: until a manager resolves them the store carries their risk.
        Read from the covering `transactions_state` index alone (no row reads).
        """
        rows = self.query(
            "SELECT currency, sum(exposure_minor) FROM transactions WHERE state IN "
            "('queued', 'uploading', 'pending', 'held') AND kind = 'sale' GROUP BY currency"
        )
        return {str(cur): from_minor(int(total), str(cur)) for cur, total in rows}

    def oldest_unsent_ts(self) -> float | None:
        rows = self.query(
            "SELECT min(captured_ts) FROM transactions "
            "WHERE state IN ('queued', 'uploading', 'pending')"
        )
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    # -- card block list ----------------------------------------------------------------------

    def blocklist_change(self, conn: Connection, numbers: Iterable[str], *, desired: bool) -> int:
        """Set the wanted state of each card (already validated) inside the caller's transaction.

        The pending operation is derived from `desired` vs `on_gateway`, so an add followed by a
        delete before any sync leaves nothing to send; a card whose request went out without a
        known answer (`in_doubt`) keeps its row, since the gateway may hold it. Returns how
        many cards changed.
        """
        changed = 0
        now = self.now()
        for number in numbers:
            row = conn.execute(
                "SELECT desired, on_gateway, in_doubt FROM blocklist WHERE card_number = ?",
                (number,),
            ).fetchone()
            if row is None:
                if not desired:
                    continue  # deleting a card we never had: nothing to do
                conn.execute(
                    "INSERT INTO blocklist (card_number, masked, desired, on_gateway, updated_ts) "
                    "VALUES (?, ?, 1, 0, ?)",
                    (number, mask_card_number(number), now),
                )
            elif bool(row[0]) == desired:
                continue
            elif not desired and not row[1] and not row[2]:
                conn.execute("DELETE FROM blocklist WHERE card_number = ?", (number,))
            else:
                conn.execute(
                    "UPDATE blocklist SET desired = ?, failed_reason = NULL, updated_ts = ? "
                    "WHERE card_number = ?",
                    (int(desired), now, number),
                )
            changed += 1
        if changed:
            self.audit(
                conn, "blocklist_add" if desired else "blocklist_del", detail=f"{changed} card(s)"
            )
        return changed

    def blocklist_is_listed(self, number: str) -> bool:
        rows = self.query("SELECT desired FROM blocklist WHERE card_number = ?", (number,))
        return bool(rows and rows[0][0])

    def blocklist_counts(self) -> dict[str, int]:
        rows = self.query(
            "SELECT "
            "coalesce(sum(desired), 0), "
            "coalesce(sum((desired != on_gateway OR in_doubt = 1) AND failed_reason IS NULL), 0), "
            "coalesce(sum(failed_reason IS NOT NULL), 0) FROM blocklist"
        )
        cards, pending, failed = rows[0]
        return {"cards": int(cards), "pending": int(pending), "failed": int(failed)}

    def blocklist_entries(
        self, *, text: str = "", offset: int = 0, limit: int = 500
    ) -> list[BlockEntry]:
        """Entries for display: masked numbers only, including pending deletes."""
        like = f"%{text.strip()}%"
        rows = self.query(
            "SELECT masked, desired, on_gateway, failed_reason, in_doubt FROM blocklist "
            "WHERE masked LIKE ? ORDER BY masked LIMIT ? OFFSET ?",
            (like, limit, offset),
        )
        return [BlockEntry(r[0], bool(r[1]), bool(r[2]), r[3], bool(r[4])) for r in rows]

    def blocklist_numbers(self, chunk: int = 1000) -> Iterator[str]:
        """Every card on the local list (full numbers, for export), streamed in chunks."""
        last = ""
        while True:
            rows = self.query(
                "SELECT card_number FROM blocklist WHERE desired = 1 AND card_number > ? "
                "ORDER BY card_number LIMIT ?",
                (last, chunk),
            )
            if not rows:
                return
            for (number,) in rows:
                yield str(number)
            last = str(rows[-1][0])

    def blocklist_pending_chunk(self, op: str, after: str, limit: int) -> list[str]:
        """Up to `limit` card numbers needing `op` ('add' or 'del'), after `after` (keyset)."""
        desired = 1 if op == "add" else 0
        rows = self.query(
            "SELECT card_number FROM blocklist WHERE desired = ? "
            "AND (on_gateway = ? OR in_doubt = 1) "
            "AND failed_reason IS NULL AND card_number > ? ORDER BY card_number LIMIT ?",
            (desired, 1 - desired, after, limit),
        )
        return [str(r[0]) for r in rows]

    def blocklist_mark_sending(self, numbers: Sequence[str]) -> None:
        """A request about these cards is about to go: until its answer, they are in doubt."""
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE blocklist SET in_doubt = 1 WHERE card_number = ?", [(n,) for n in numbers]
            )

    def blocklist_mark_synced(self, op: str, numbers: Sequence[str]) -> None:
        """The gateway applied `op` to these cards: one transaction for the whole chunk.

        What is recorded is what the gateway now holds (`on_gateway`), whatever the local list
        wants by now: an edit made while the chunk was on the wire is kept and becomes the next
        sync's change. A card deleted locally while its add was in flight gets its row back (as
        a pending delete), so the gateway never keeps a card the store no longer lists.
        """
        on_gateway = 1 if op == "add" else 0
        now = self.now()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO blocklist (card_number, masked, desired, on_gateway, updated_ts) "
                "VALUES (?, ?, 0, ?, ?) ON CONFLICT(card_number) DO UPDATE SET "
                "on_gateway = excluded.on_gateway, in_doubt = 0, "
                "updated_ts = excluded.updated_ts",
                [(n, mask_card_number(n), on_gateway, now) for n in numbers],
            )
            conn.executemany(
                "DELETE FROM blocklist WHERE card_number = ? AND desired = 0 AND on_gateway = 0 "
                "AND in_doubt = 0",
                [(n,) for n in numbers],
            )
            self.audit(conn, f"blocklist_synced_{op}", detail=f"{len(numbers)} card(s)")

    def blocklist_mark_failed(self, numbers: Sequence[str], reason: str) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE blocklist SET failed_reason = ?, updated_ts = ? WHERE card_number = ?",
                [(reason, self.now(), n) for n in numbers],
            )
            self.audit(conn, "blocklist_failed", detail=f"{len(numbers)} card(s): {reason}")

    def blocklist_retry_failed(self) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE blocklist SET failed_reason = NULL WHERE failed_reason IS NOT NULL"
            )
            return int(cur.rowcount)

    # -- sync history -------------------------------------------------------------------------

    def start_sync_run(self, trigger: str) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO sync_runs (started_ts, trigger) VALUES (?, ?)", (self.now(), trigger)
            )
            return int(cur.lastrowid)

    def finish_sync_run(self, run_id: int, outcome: str, summary: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sync_runs SET finished_ts = ?, outcome = ?, summary = ? WHERE id = ?",
                (self.now(), outcome, json.dumps(summary), run_id),
            )

    def sync_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT id, started_ts, finished_ts, trigger, outcome, summary FROM sync_runs "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            {
                "id": r[0],
                "started_ts": r[1],
                "finished_ts": r[2],
                "trigger": r[3],
                "outcome": r[4],
                "summary": json.loads(r[5]) if r[5] else None,
            }
            for r in rows
        ]
