"""The outbox's rows: capture, state changes, reading and the unsent totals."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from edge_app.domain.transactions import (
    FINAL_STATES,
    CardData,
    SaleStatus,
    TxKind,
    TxState,
    check_transition,
)
from storage import unsent
from storage.base import StoreBase
from storage.db import Connection
from storage.records import (
    ERASE_CARD_DATA,
    EVERY_RECORD,
    TX_COLUMNS,
    AuditRow,
    TxFilter,
    TxRecord,
    from_minor,
    to_minor,
)

LEGACY_SN_DONE = "legacy_sn_fixed"
# A search of exactly four digits means the card's last four (the search field says so).
LAST_FOUR = re.compile(r"[0-9]{4}")


def mark_legacy_sn_done(conn: Connection) -> None:
    """A database with no sale from before schema 5 left to give its device id."""
    conn.execute("INSERT OR IGNORE INTO settings (name, value) VALUES (?, '1')", (LEGACY_SN_DONE,))


class TransactionRows(StoreBase):
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
        upload_item: str,
        sn: str | None = None,
    ) -> None:
        """Insert a queued sale inside the caller's transaction (with its audit row).

        `upload_item` is its request ITEM as the adapter encoded it: the one copy of its card
        data (`card` gives the masked number), sent as it is, so a resend after a lost answer is
        the same bytes even if the settings changed meanwhile. `card_data` stays empty; it holds
        the card data of sales stored before schema 10.
        """
        exposure = to_minor(amount + (tips or Decimal(0)), currency)
        conn.execute(
            "INSERT INTO transactions (uuid, kind, state, amount, currency, tips, exposure_minor, "
            "masked_card, card_data, auth_code, captured_at, captured_ts, updated_ts, sn, "
            "upload_item) VALUES (?, 'sale', 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid,
                str(amount),
                currency,
                str(tips) if tips is not None else None,
                exposure,
                card.masked,
                None,
                auth_code,
                captured_at.isoformat(),
                captured_at.timestamp(),
                self.now(),
                sn,
                upload_item,
            ),
        )
        unsent.add(conn, {(currency, "sale"): (exposure, 1)})
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
        if unsent.is_unsent(state.value):
            unsent.add(conn, {(currency or "", kind.value): (0, 1)})
        self.audit(conn, "captured", tx_uuid=uuid, to_state=state.value, detail=kind.value)

    def set_state(
        self,
        conn: Connection,
        record: TxRecord,
        new_state: TxState,
        *,
        detail: str | None = None,
        erase_card: bool = False,
        seen: bool = False,
    ) -> None:
        """Move one record to `new_state` (checked against the state machine) with an audit row.

        `seen`: a manager made this change, so it needs nobody's attention afterwards."""
        check_transition(record.state, new_state)
        erase = erase_card or new_state in FINAL_STATES
        now = self.now()
        was, becomes = unsent.is_unsent(record.state.value), unsent.is_unsent(new_state.value)
        if was and not becomes:
            unsent.shift(conn, "uuid = ?", (record.uuid,), -1)
        conn.execute(
            "UPDATE transactions SET state = ?, updated_ts = ?"
            + (f", {ERASE_CARD_DATA}" if erase else "")
            + ", seen_ts = CASE WHEN ? THEN ? ELSE seen_ts END WHERE uuid = ?",
            (new_state.value, now, seen, now, record.uuid),
        )
        if becomes and not was:
            unsent.shift(conn, "uuid = ?", (record.uuid,), 1)
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
        with, so that a resend of them is the same content. Done once per database (a settings
        mark), so opening the queue afterwards costs one key lookup."""
        if self.query("SELECT 1 FROM settings WHERE name = ?", (LEGACY_SN_DONE,)):
            return 0
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE transactions SET sn = ? WHERE kind = 'sale' AND sn IS NULL AND state IN "
                "('queued', 'uploading', 'pending', 'held')",
                (device_sn,),
            )
            mark_legacy_sn_done(conn)
            return int(cur.rowcount)

    def requeue_for_retry(self, record: TxRecord) -> None:
        """A manager's Retry: queued again with its tries and last error cleared, same uuid."""
        with self.transaction() as conn:
            self.set_state(conn, record, TxState.QUEUED, detail="retry requested")
            conn.execute(
                "UPDATE transactions SET attempts = 0, next_attempt_ts = 0, error_code = NULL, "
                "error_desc = NULL, seen_ts = NULL WHERE uuid = ?",
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

    def live_void_of_brn(self, brn: str) -> str | None:
        """The uuid of a void of an online sale's BRN that is not failed, if one is stored (read
        through the state index: only void entries are visited)."""
        rows = self.query(
            "SELECT uuid FROM transactions WHERE state IN "
            "('queued', 'uploading', 'pending', 'held', 'uploaded') AND kind = 'void' "
            "AND origin_uuid IS NULL AND origin_brn = ? LIMIT 1",
            (brn,),
        )
        return str(rows[0][0]) if rows else None

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

    def has_card_data(self, uuid: str) -> bool:
        """Whether the record still holds card data (its stored request ITEM, or the card data
        of a sale stored before schema 10): only while its outcome is not final."""
        rows = self.query(
            "SELECT 1 FROM transactions WHERE uuid = ? "
            "AND (upload_item IS NOT NULL OR card_data IS NOT NULL)",
            (uuid,),
        )
        return bool(rows)

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
        if LAST_FOUR.fullmatch(text):
            # The card's last four (index `transactions_last4`; the same expression as its key).
            clauses.append("masked_card IS NOT NULL AND substr(masked_card, -4) = ?")
            params.append(text)
        elif text:
            like = f"%{text}%"
            clauses.append(
                "(uuid LIKE ? OR brn LIKE ? OR masked_card LIKE ? OR amount LIKE ? OR "
                "currency LIKE ? OR error_desc LIKE ?)"
            )
            params.extend([like] * 6)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return where, params

    def count_transactions(
        self, flt: TxFilter = EVERY_RECORD, *, newer_than: int | None = None
    ) -> int:
        """How many records match `flt`; with `newer_than`, only those with a larger id (so the
        position, newest first, of the record with that id)."""
        where, params = self._filter_sql(flt, newer_than=newer_than)
        return int(self.query(f"SELECT count(*) FROM transactions{where}", params)[0][0])

    def list_transactions(
        self,
        flt: TxFilter = EVERY_RECORD,
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
            "SELECT at_ts, event, from_state, to_state, detail FROM audit WHERE tx_id = "
            "(SELECT id FROM transactions WHERE uuid = ?1) AND tx_uuid = ?1 ORDER BY id",
            (uuid,),
        )
        return [tuple(r) for r in rows]

    # -- status -------------------------------------------------------------------------------

    def counts_by_state(self, *, final: bool = True) -> dict[str, int]:
        """How many records are in each state. With `final` False only the states a record can
        still leave, read from their ranges of the state index: the same however long the
        history. The final states count the whole history (200 ms at a million records, with
        the store's connection busy meanwhile)."""
        states = [s for s in TxState if final or s not in FINAL_STATES]
        counts = {state.value: 0 for state in states}
        where = "" if final else f" WHERE state IN ({', '.join(repr(s.value) for s in states)})"
        for state, count in self.query(
            f"SELECT state, count(*) FROM transactions{where} GROUP BY state"
        ):
            counts[str(state)] = int(count)
        return counts

    def unsent_totals(self) -> dict[str, Decimal]:
        """Amount (with tips) of sales not yet accepted by the gateway, per currency.

        Held sales count too: until a manager resolves them the store carries their risk.
        Kept as running totals (`storage.unsent`): one short read however many records wait.
        """
        rows = self.query(
            "SELECT currency, total_minor FROM unsent_totals WHERE kind = 'sale' AND records > 0"
        )
        return {str(cur): from_minor(int(total), str(cur)) for cur, total in rows}

    def oldest_unsent_ts(self) -> float | None:
        """The capture time of the oldest record not yet sent or answered (held ones aside):
        the first entry of the partial index `transactions_unsent_age`."""
        rows = self.query(
            "SELECT captured_ts FROM transactions INDEXED BY transactions_unsent_age "
            "WHERE state IN ('queued', 'uploading', 'pending') ORDER BY captured_ts LIMIT 1"
        )
        return float(rows[0][0]) if rows else None
