"""The queue's rows as people and the sync engine see them: transactions, card-list entries.

Plain data, read from SQL rows; the card appears masked only. Imports the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from edge_app.domain.blocklist import pending_operation
from edge_app.domain.money import MINOR_UNITS
from edge_app.domain.transactions import TxKind, TxState

# What a final state (or a held record given up) erases: the card data and the sale's stored
# request ITEM, which holds the same card data.
ERASE_CARD_DATA = "card_data = NULL, upload_item = NULL"

TX_COLUMNS = (
    "id, uuid, kind, state, amount, currency, tips, origin_uuid, origin_brn, masked_card, "
    "auth_code, captured_at, captured_ts, brn, error_code, error_desc, duplicate, attempts, "
    "next_attempt_ts, updated_ts, sn, sent_ts, seen_ts"
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
    seen_ts: float | None = None  # a manager saw it (a failed record); None: not yet

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
            seen_ts=row[22],
        )


@dataclass(frozen=True)
class TxFilter:
    """What the transactions list shows; all conditions are ANDed."""

    states: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    text: str = ""  # four digits: the card's last four; else reference, amount, currency, error
    since_ts: float | None = None
    until_ts: float | None = None


EVERY_RECORD = TxFilter()


@dataclass(frozen=True)
class BlockEntry:
    """One card of the list as screens see it: masked; `ref` names the row without the number
    (a keyed hash valid in this process only, for `Store.blocklist_numbers`)."""

    masked: str
    desired: bool
    on_gateway: bool
    failed_reason: str | None
    in_doubt: bool = False
    ref: str = ""

    @property
    def pending(self) -> str | None:
        return pending_operation(self.desired, self.on_gateway, self.in_doubt)


# (at_ts, event, from_state, to_state, detail) of one audit entry
AuditRow = tuple[float, str, str | None, str | None, str | None]


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(MINOR_UNITS[currency]))


def from_minor(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-MINOR_UNITS[currency])
