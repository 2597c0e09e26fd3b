"""Capturing sales, voids and refunds, and a manager's Retry or Give up of a record.

Every capture runs its checks and its insert inside one SQLite write transaction, so the checks
(limits, block list, uniqueness) see exactly what the insert will be added to, and bad input
stores nothing. May import domain and storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from edge_app.domain.blocklist import ListMode, check_card_against_list
from edge_app.domain.card import looks_like_card_number
from edge_app.domain.errors import ValidationError, refusal
from edge_app.domain.limits import OfflineLimits, check_capture_limits
from edge_app.domain.messages import Msg
from edge_app.domain.money import parse_amount
from edge_app.domain.transactions import (
    Sale,
    SaleStatus,
    TxKind,
    TxState,
    check_refund,
    check_void,
    new_uuid,
    validate_brn,
    validate_sale,
    validate_uuid,
)
from edge_app.services.base import AppBase
from storage.db import Connection
from storage.repository import AuditRow, TxRecord


@dataclass(frozen=True)
class Capture:
    uuid: str
    state: TxState
    warnings: tuple[str | Msg, ...] = ()  # sentences by id: the window translates them
    note: str | None = None


@dataclass(frozen=True)
class CheckedSale:
    sale: Sale
    captured_at: datetime
    exposure: Decimal  # amount plus tips
    warnings: tuple[str | Msg, ...]


@dataclass
class CaptureContext:
    """What the checks need, read once per write transaction and kept current while importing."""

    limits: OfflineLimits
    list_mode: ListMode
    now: datetime
    totals: dict[str, Decimal] = field(default_factory=dict)
    oldest_unsent: datetime | None = None
    listed: frozenset[str] | None = None  # the card list in memory (an import), else per card


class Capturing(AppBase):
    """Sales, voids, refunds; Retry and Give up; the records as the window shows them."""

    # -- reading ----------------------------------------------------------------------------

    def transaction(self, uuid: str) -> TxRecord | None:
        """One record as people see it (the card masked only)."""
        return self.store.get(uuid)

    def sale_status(self, uuid: str) -> SaleStatus | None:
        """A sale's local follow-ups: voided, and how much of it was refunded (None: no sale)."""
        record = self.store.get(uuid)
        if record is None or record.kind is not TxKind.SALE or record.amount is None:
            return None
        return self.store.sale_status(record)

    def audit_trail(self, uuid: str) -> list[AuditRow]:
        return self.store.audit_trail(uuid)

    def transaction_count(self) -> int:
        """How many records the queue holds, in every state."""
        return self.store.count_transactions()

    # -- capture ------------------------------------------------------------------------------

    def capture_context(self, now: datetime) -> CaptureContext:
        oldest_ts = self.store.oldest_unsent_ts()
        return CaptureContext(
            limits=self.limits,
            list_mode=self.list_mode,
            now=now,
            totals=self.store.unsent_totals(),
            oldest_unsent=(
                datetime.fromtimestamp(oldest_ts).astimezone() if oldest_ts is not None else None
            ),
        )

    def capture_sale(self, **fields: Any) -> Capture:
        """Validate and queue one sale. Fields as `validate_sale` takes them, less `today`."""
        now = self.clock()
        with self.store.transaction() as conn:
            ctx = self.capture_context(now)
            return self.capture_sale_in(conn, ctx, fields)

    def capture_sale_in(
        self, conn: Connection, ctx: CaptureContext, fields: Mapping[str, Any]
    ) -> Capture:
        """`capture_sale` inside the caller's transaction (an import adds many)."""
        checked = self.check_sale(ctx, fields)
        sale = checked.sale
        self._refuse_known_uuid(sale.uuid)
        self.store.insert_sale(
            conn,
            uuid=sale.uuid,
            amount=sale.amount,
            currency=sale.currency,
            tips=sale.tips,
            card=sale.card,
            auth_code=sale.auth_code,
            captured_at=checked.captured_at,
            sn=self.config.device_id,
            upload_item=self.upload_item_of(checked),
        )
        return Capture(sale.uuid, TxState.QUEUED, checked.warnings)

    def upload_item_of(self, checked: CheckedSale) -> str:
        """The sale's request ITEM, encoded now and stored with it: what every sync of it sends.
        A sale the adapter cannot encode is refused here, not at the sync."""
        from edge_app.gateway.adapter import sale_item_json  # here: start-up stays cheap

        return sale_item_json(checked.sale, checked.captured_at, self.config.device_id)

    def check_sale(self, ctx: CaptureContext, fields: Mapping[str, Any]) -> CheckedSale:
        """Every check of a sale but the uuid's (validation, block list, offline limits); the
        context's totals take the sale."""
        fields = dict(fields)
        captured_at = fields.pop("captured_at", None) or ctx.now
        sale = validate_sale(**fields, today=ctx.now.date())
        number = sale.card.card_number
        listed = (
            number in ctx.listed
            if ctx.listed is not None
            else self.store.blocklist_is_listed(number)
        )
        check_card_against_list(ctx.list_mode, listed)
        exposure = sale.amount + (sale.tips or Decimal(0))
        warnings = check_capture_limits(
            ctx.limits,
            currency=sale.currency,
            amount=exposure,
            stored_total=ctx.totals.get(sale.currency, Decimal(0)),
            oldest_unsent=ctx.oldest_unsent,
            now=ctx.now,
        )
        ctx.totals[sale.currency] = ctx.totals.get(sale.currency, Decimal(0)) + exposure
        if ctx.oldest_unsent is None or captured_at < ctx.oldest_unsent:
            ctx.oldest_unsent = captured_at
        return CheckedSale(sale, captured_at, exposure, tuple(warnings))

    def capture_void(self, original: str, *, uuid: str | None = None) -> Capture:
        now = self.clock()
        with self.store.transaction() as conn:
            return self.capture_void_in(conn, now, original, uuid)

    def capture_void_in(
        self, conn: Connection, now: datetime, original: str, uuid: str | None
    ) -> Capture:
        new_id = self._new_id(uuid)
        sale = self._original(original)
        if sale is None:
            brn = original.strip()
            if _looks_like_uuid(brn):
                raise ValidationError(f"No sale with uuid {brn} is stored on this PC.", "original")
            brn = validate_brn(brn)
            earlier = self.store.live_void_of_brn(brn)
            if earlier is not None:
                raise ValidationError(
                    f"A void of BRN {brn} is already stored ({earlier}); it is not queued twice.",
                    "original",
                )
            # A sale taken online earlier: only the gateway knows it; the void goes by its BRN.
            self.store.insert_follow_up(
                conn,
                uuid=new_id,
                kind=TxKind.VOID,
                origin=None,
                origin_brn=brn,
                amount=None,
                currency=None,
                captured_at=now,
            )
            return Capture(new_id, TxState.QUEUED)
        check_void(self.store.sale_status(sale))
        if sale.state is TxState.QUEUED and not sale.ever_sent:
            return self._cancel_unsent(conn, sale, new_id, now)
        # A sale that was sent, even without an answer, may be charged: the void waits for the
        # sale's BRN and is uploaded.
        self.store.insert_follow_up(
            conn,
            uuid=new_id,
            kind=TxKind.VOID,
            origin=sale,
            origin_brn=_confirmed_brn(sale),
            amount=sale.amount,
            currency=sale.currency,
            captured_at=now,
        )
        return Capture(new_id, TxState.QUEUED)

    def _cancel_unsent(
        self, conn: Connection, sale: TxRecord, void_id: str, now: datetime
    ) -> Capture:
        """A void of a sale never put on the wire: both cancelled here, nothing is sent."""
        self.store.insert_follow_up(
            conn,
            uuid=void_id,
            kind=TxKind.VOID,
            origin=sale,
            origin_brn=None,
            amount=sale.amount,
            currency=sale.currency,
            captured_at=now,
            state=TxState.CANCELLED,
        )
        self.store.set_state(
            conn, sale, TxState.CANCELLED, detail=f"voided by {void_id} before upload"
        )
        return Capture(
            void_id,
            TxState.CANCELLED,
            note="The sale was not sent yet, so it and this void were cancelled locally.",
        )

    def capture_refund(self, original: str, amount: str, *, uuid: str | None = None) -> Capture:
        now = self.clock()
        with self.store.transaction() as conn:
            return self.capture_refund_in(conn, now, original, amount, uuid)

    def capture_refund_in(
        self, conn: Connection, now: datetime, original: str, amount: str, uuid: str | None
    ) -> Capture:
        new_id = self._new_id(uuid)
        sale = self._original(original)
        if sale is None:
            shown = "with that number" if looks_like_card_number(original) else original.strip()
            raise ValidationError(
                f"No sale {shown[:80]} is stored on this PC; a refund needs its amount "
                "and currency, so refund it where it was taken.",
                "original",
            )
        assert sale.currency is not None
        value = parse_amount(amount, sale.currency)
        check_refund(self.store.sale_status(sale), value)
        self.store.insert_follow_up(
            conn,
            uuid=new_id,
            kind=TxKind.REFUND,
            origin=sale,
            origin_brn=_confirmed_brn(sale),
            amount=value,
            currency=sale.currency,
            captured_at=now,
        )
        return Capture(new_id, TxState.QUEUED)

    def _new_id(self, uuid: str | None) -> str:
        new_id = validate_uuid(uuid) if uuid else new_uuid()
        self._refuse_known_uuid(new_id)
        return new_id

    def _refuse_known_uuid(self, uuid: str) -> None:
        if self.store.get(uuid) is not None:
            raise ValidationError(f"A transaction with uuid {uuid} is already stored.", "uuid")

    def _original(self, ident: str) -> TxRecord | None:
        text = ident.strip()
        if not text:
            raise ValidationError("Give the uuid or BRN of the original sale.", "original")
        record = self.store.find(text)
        if record is not None and record.kind is not TxKind.SALE:
            raise ValidationError(
                f"{text} is a {record.kind.value}, not a sale; give the original sale.", "original"
            )
        return record

    # -- a manager's decisions ----------------------------------------------------------------

    def retry_failed(self, uuid: str) -> None:
        """A manager sends a held or failed record again (same uuid: the gateway's idempotency
        holds)."""
        record = self._existing(uuid)
        if record.state not in (TxState.FAILED, TxState.HELD):
            raise refusal("retry.state")
        if record.kind is TxKind.SALE and not self.store.has_card_data(uuid):
            raise refusal("retry.erased")
        self.store.requeue_for_retry(record)

    def give_up_held(self, uuid: str) -> None:
        """A manager decides a held record will never be sent: it fails and its card data is
        erased now (instead of after the held time)."""
        record = self._existing(uuid)
        if record.state is not TxState.HELD:
            raise refusal("give_up.state")
        with self.store.transaction() as conn:
            self.store.set_state(
                conn, record, TxState.FAILED, detail="given up by a manager", seen=True
            )

    def _existing(self, uuid: str) -> TxRecord:
        record = self.store.get(uuid)
        if record is None:
            raise ValidationError(f"No transaction with uuid {uuid} is stored.")
        return record


def _confirmed_brn(sale: TxRecord) -> str | None:
    """The BRN a void or refund may carry: only that of a sale the gateway accepted. A pending
    sale may have a BRN already, but its follow-ups wait until it is uploaded."""
    return sale.brn if sale.state is TxState.UPLOADED else None


def _looks_like_uuid(text: str) -> bool:
    try:
        validate_uuid(text)
    except ValidationError:
        return False
    return True
