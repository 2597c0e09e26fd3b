"""The shop-close report as data: what was taken, what the gateway confirmed, what needs a person.

Pure functions over the rows storage reads (records captured in the period, card-list audit
entries, sync runs, open reconciliation differences, the audit chain's check); the formats (text,
CSV, JSON, PDF, the window) only render a `ShopCloseReport`. Amounts include tips. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from edge_app.domain.transactions import TxKind, TxState

WAITING_STATES = (TxState.QUEUED, TxState.UPLOADING, TxState.PENDING)
KINDS = (TxKind.SALE, TxKind.VOID, TxKind.REFUND)
NO_CURRENCY = "-"  # a void sent by BRN only: this PC never knew its amount


class RecordRow(Protocol):
    """What the report reads of one record (storage's `TxRecord` has these)."""

    @property
    def uuid(self) -> str: ...
    @property
    def kind(self) -> TxKind: ...
    @property
    def state(self) -> TxState: ...
    @property
    def amount(self) -> Decimal | None: ...
    @property
    def tips(self) -> Decimal | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def masked_card(self) -> str | None: ...
    @property
    def captured_ts(self) -> float: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def error_desc(self) -> str | None: ...


@dataclass(frozen=True)
class Tally:
    count: int = 0
    amount: Decimal = Decimal(0)

    def add(self, amount: Decimal) -> Tally:
        return Tally(self.count + 1, self.amount + amount)


@dataclass(frozen=True)
class Line:
    """One record in a list to act on (declined, held): masked card only."""

    uuid: str
    kind: str
    amount: Decimal
    masked_card: str
    captured_ts: float
    reason: str


@dataclass(frozen=True)
class CurrencySection:
    currency: str
    captured: dict[str, Tally]  # kind -> what was taken in the period
    confirmed: dict[str, Tally]  # kind -> what the gateway accepted
    declined: tuple[Line, ...]
    held: tuple[Line, ...]
    waiting: Tally
    oldest_waiting_ts: float | None
    cancelled: Tally


@dataclass(frozen=True)
class CardListChanges:
    added: int = 0
    removed: int = 0
    sent_added: int = 0
    sent_removed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class SyncLine:
    started_ts: float
    finished_ts: float | None
    trigger: str
    outcome: str
    uploaded: int
    failed: int
    left: int


@dataclass(frozen=True)
class Difference:
    id: int
    tx_uuid: str
    kind: str
    detail: str
    found_ts: float


@dataclass(frozen=True)
class AuditHead:
    verified: bool
    entries: int
    head_id: int
    head_mac: str
    problem: str | None = None  # the first entry that does not match, in words


@dataclass(frozen=True)
class ShopCloseReport:
    store_id: str
    device_id: str
    first_day: date
    last_day: date
    generated_ts: float
    currencies: tuple[CurrencySection, ...]
    card_list: CardListChanges
    syncs: tuple[SyncLine, ...]
    audit: AuditHead
    differences: tuple[Difference, ...] = field(default=())

    @property
    def period(self) -> str:
        if self.first_day == self.last_day:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"

    @property
    def needs_attention(self) -> int:
        """Lines a manager must act on: declines to chase, held records, differences, a
        broken audit chain."""
        lists = sum(len(c.declined) + len(c.held) for c in self.currencies)
        return lists + len(self.differences) + (0 if self.audit.verified else 1)


def _total(record: RecordRow) -> Decimal:
    return (record.amount or Decimal(0)) + (record.tips or Decimal(0))


def _line(record: RecordRow) -> Line:
    reason = record.error_desc or (f"error {record.error_code}" if record.error_code else "")
    return Line(
        uuid=record.uuid,
        kind=record.kind.value,
        amount=_total(record),
        masked_card=record.masked_card or "-",
        captured_ts=record.captured_ts,
        reason=reason,
    )


def currency_sections(records: Iterable[RecordRow]) -> tuple[CurrencySection, ...]:
    """Per currency (sorted; voids by BRN only under "-"): the period's records by outcome."""
    groups: dict[str, list[RecordRow]] = {}
    for record in records:
        groups.setdefault(record.currency or NO_CURRENCY, []).append(record)
    ordered = sorted(groups.items(), key=lambda item: (item[0] == NO_CURRENCY, item[0]))
    return tuple(_section(cur, rows) for cur, rows in ordered)


def _section(currency: str, rows: Sequence[RecordRow]) -> CurrencySection:
    captured = {kind.value: Tally() for kind in KINDS}
    confirmed = {kind.value: Tally() for kind in KINDS}
    waiting, cancelled = Tally(), Tally()
    oldest: float | None = None
    declined: list[Line] = []
    held: list[Line] = []
    for record in sorted(rows, key=lambda r: r.captured_ts):
        kind, amount = record.kind.value, _total(record)
        captured[kind] = captured[kind].add(amount)
        if record.state is TxState.UPLOADED:
            confirmed[kind] = confirmed[kind].add(amount)
        elif record.state is TxState.FAILED:
            declined.append(_line(record))
        elif record.state is TxState.HELD:
            held.append(_line(record))
        elif record.state is TxState.CANCELLED and record.kind is TxKind.SALE:
            cancelled = cancelled.add(amount)  # (the void that cancelled it is counted as taken)
        elif record.state in WAITING_STATES:
            waiting = waiting.add(amount)
            oldest = record.captured_ts if oldest is None else min(oldest, record.captured_ts)
    return CurrencySection(
        currency, captured, confirmed, tuple(declined), tuple(held), waiting, oldest, cancelled
    )


# The card-list audit events and what each counts (the detail starts with the number of cards).
_CARD_EVENTS = {
    "blocklist_add": "added",
    "blocklist_del": "removed",
    "blocklist_synced_add": "sent_added",
    "blocklist_synced_del": "sent_removed",
    "blocklist_failed": "failed",
}
CARD_LIST_EVENTS = tuple(_CARD_EVENTS)


def card_list_changes(events: Iterable[tuple[str, str | None]]) -> CardListChanges:
    """(event, detail) audit entries of the card list -> how many cards were changed and sent."""
    counts = dict.fromkeys(_CARD_EVENTS.values(), 0)
    for event, detail in events:
        name = _CARD_EVENTS.get(event)
        first = (detail or "").split(" ", 1)[0]
        if name is not None and first.isdigit():
            counts[name] += int(first)
    return CardListChanges(**counts)


def sync_lines(runs: Iterable[Mapping[str, Any]]) -> tuple[SyncLine, ...]:
    """The sync history rows of the period, oldest first."""
    lines = []
    for run in runs:
        summary = run.get("summary") or {}
        lines.append(
            SyncLine(
                started_ts=float(run["started_ts"]),
                finished_ts=run.get("finished_ts"),
                trigger=str(run.get("trigger") or "?"),
                outcome=str(run.get("outcome") or "running or stopped"),
                uploaded=int(summary.get("uploaded", 0) or 0),
                failed=int(summary.get("failed", 0) or 0),
                left=int(summary.get("left_queued", 0) or 0),
            )
        )
    return tuple(sorted(lines, key=lambda line: line.started_ts))


def age_hours(oldest_ts: float | None, now_ts: float) -> float | None:
    """How long the oldest waiting record has waited (never negative after a clock change)."""
    if oldest_ts is None:
        return None
    return round(max(now_ts - oldest_ts, 0.0) / 3600, 1)
