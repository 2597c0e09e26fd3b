"""Transaction kinds, outbox states and their transitions, sale validation, void/refund rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from os import urandom
from types import MappingProxyType

from edge_app.domain.card import CardData, looks_like_card_number, validate_card
from edge_app.domain.errors import FieldProblems, FormErrors, ValidationError, refusal
from edge_app.domain.money import (
    check_amount_shape,
    format_amount,
    parse_amount,
    validate_currency,
)

__all__ = [
    "CARD_KEPT_STATES",
    "FINAL_STATES",
    "HELD_DAYS",
    "TRANSITIONS",
    "UNSENT_STATES",
    "CardData",
    "InvalidTransition",
    "Outgoing",
    "ReadyItem",
    "Sale",
    "SaleStatus",
    "TxKind",
    "TxState",
    "UploadItem",
    "check_refund",
    "check_transition",
    "check_void",
    "new_uuid",
    "validate_auth_code",
    "validate_brn",
    "validate_sale",
    "validate_uuid",
]


class TxKind(StrEnum):
    SALE = "sale"
    VOID = "void"
    REFUND = "refund"


class TxState(StrEnum):
    QUEUED = "queued"
    UPLOADING = "uploading"
    PENDING = "pending"
    HELD = "held"
    UPLOADED = "uploaded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES: frozenset[TxState] = frozenset({TxState.UPLOADED, TxState.FAILED, TxState.CANCELLED})
UNSENT_STATES: frozenset[TxState] = frozenset({TxState.QUEUED, TxState.UPLOADING, TxState.PENDING})
# States in which a record may still be sent, so its card data is kept (encrypted).
CARD_KEPT_STATES: frozenset[TxState] = UNSENT_STATES | {TxState.HELD}
# A record held for a manager keeps its card data at most this long, then it is given up
# (failed, card data erased): card data is kept only while the record can still be sent.
HELD_DAYS = 7

# The outbox's state machine (docs/architecture.md draws it). Final states erase card data.
# - queued -> cancelled: voided before it was ever put on the wire (nothing is sent).
# - queued -> failed: a void or refund whose sale was declined or cancelled, never sent.
# - uploading -> queued: a transient error, an unknown outcome or a refusal of the whole request;
#   sent again with the same uuid.
# - uploading -> pending: the gateway has it without a final answer (or said success without
#   a BRN); a query decides.
# - uploading / pending -> held: the gateway refused this record for a reason that is not a
#   decision about the card (parameters, no record, too many transient refusals); a manager
#   decides, card data still encrypted.
# - pending -> queued: the gateway no longer knows it, or asks for it again; same uuid.
# - held -> queued / failed -> queued: a manager's Retry (same uuid).
# - held -> failed: a manager gives it up, or it was held longer than card data may be kept.
TRANSITIONS: Mapping[TxState, frozenset[TxState]] = MappingProxyType(
    {
        TxState.QUEUED: frozenset({TxState.UPLOADING, TxState.CANCELLED, TxState.FAILED}),
        TxState.UPLOADING: frozenset(
            {TxState.UPLOADED, TxState.FAILED, TxState.PENDING, TxState.QUEUED, TxState.HELD}
        ),
        TxState.PENDING: frozenset(
            {TxState.UPLOADED, TxState.FAILED, TxState.PENDING, TxState.QUEUED, TxState.HELD}
        ),
        TxState.HELD: frozenset({TxState.QUEUED, TxState.FAILED}),
        TxState.FAILED: frozenset({TxState.QUEUED}),
        TxState.UPLOADED: frozenset(),
        TxState.CANCELLED: frozenset(),
    }
)


class InvalidTransition(ValueError):
    """A state change the outbox does not allow (a bug in the caller, not bad input)."""


def check_transition(old: TxState, new: TxState) -> None:
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(f"A {old.value} transaction cannot become {new.value}.")


@dataclass(frozen=True)
class Sale:
    """A validated sale, ready to be stored. Its repr shows the card masked only."""

    uuid: str
    amount: Decimal
    currency: str
    tips: Decimal | None
    card: CardData
    auth_code: str | None


@dataclass(frozen=True)
class SaleStatus:
    """What is known locally about a sale when a void or refund of it is asked for."""

    amount: Decimal
    currency: str
    state: TxState
    voided: bool
    refunded_total: Decimal


@dataclass(frozen=True)
class UploadItem:
    """One record as the gateway adapter turns it into a request ITEM.

    Every field is fixed when the record is captured (the device's `sn` included; a void's or
    refund's `origin_brn` once its sale has one), so a resend is byte-for-byte the same request
    ITEM. `captured_at` must be timezone-aware (the adapter refuses a naive one). Sales carry
    `card`; voids and refunds carry `origin_brn`. The repr shows the card masked only.
    """

    uuid: str
    kind: TxKind
    captured_at: datetime
    amount: Decimal | None
    currency: str | None
    tips: Decimal | None
    card: CardData | None
    auth_code: str | None
    origin_brn: str | None
    sn: str | None = None


@dataclass(frozen=True, slots=True)
class ReadyItem:
    """A sale's request ITEM as the adapter encoded it when the sale was captured (stored, and
    erased, with its card data): sent as it is, so every resend is the same bytes, and a sync
    decodes no card data and builds no ITEM. Never in a log: the repr leaves the ITEM out."""

    uuid: str
    kind: TxKind
    item_json: str = field(repr=False)


Outgoing = UploadItem | ReadyItem  # what an upload request is made of


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_AUTH_CODE = re.compile(r"[0-9A-Z]{1,12}")


def validate_uuid(text: str, field: str = "uuid") -> str:
    """A UUID (any version) in its canonical lower-case hyphenated form."""
    value = text.strip().lower()
    if not _UUID.fullmatch(value):
        raise refusal("uuid.shape", field)
    return value


BRN_MAX_LENGTH = 64
_BRN = re.compile(rf"[A-Za-z0-9_-]{{1,{BRN_MAX_LENGTH}}}")


def validate_brn(text: str, field: str = "original") -> str:
    """A gateway reference (BRN): 1 to 64 letters, digits, '-' or '_', and not a card number.

    It is stored and shown in full, so a card number given as a BRN is refused (by its shape:
    `looks_like_card_number`), and so is anything that could not be a reference or would
    change the query path it goes into.
    """
    value = text.strip()
    if not _BRN.fullmatch(value):
        raise ValidationError(
            f"A BRN is 1 to {BRN_MAX_LENGTH} letters, digits, '-' or '_'; give the original "
            "sale's uuid or its BRN.",
            field,
        )
    if looks_like_card_number(value):
        raise ValidationError(
            "That is a card number, not a BRN; give the original sale's uuid or its BRN.", field
        )
    return value


def new_uuid() -> str:
    """A random version-4 uuid in its canonical text (as `str(uuid4())`, without the object)."""
    raw = bytearray(urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def validate_auth_code(text: str) -> str:
    """An offline approval code: 1 to 12 letters or digits, upper-cased."""
    value = text.strip().upper()
    if not _AUTH_CODE.fullmatch(value):
        raise refusal("auth_code.shape", "auth_code")
    return value


def validate_sale(
    *,
    amount: str,
    currency: str,
    tips: str | None = None,
    reader_mode: str = "manual",
    card_number: str | None = None,
    expiry: str | None = None,
    cvv: str | None = None,
    track2: str | None = None,
    card_sn: str | None = None,
    icc: str | None = None,
    holder_name: str | None = None,
    auth_code: str | None = None,
    uuid: str | None = None,
    today: date,
) -> Sale:
    """Check a sale as the capture form gives it; `FormErrors` names every field's problem.

    Blank optional inputs count as missing; a missing uuid gets a new random one.
    """
    found = FieldProblems()
    currency_problem = FieldProblems()
    code = currency_problem.check("currency", validate_currency, currency)
    # Field order in the result: amount, currency, tips, then the card, then the rest.
    value = found.check("amount", _amount_rule(code, "amount", allow_zero=False), amount)
    found.errors.update(currency_problem.errors)
    tips_value = found.check("tips", _amount_rule(code, "tips", allow_zero=True), _given(tips))
    card: CardData | None = None
    try:
        card = validate_card(
            reader_mode=reader_mode,
            card_number=card_number,
            expiry=expiry,
            cvv=cvv,
            track2=track2,
            card_sn=card_sn,
            icc_request=icc,
            holder_name=holder_name,
            today=today,
        )
    except FormErrors as exc:
        found.errors.update(exc.messages)
    code_value = found.check("auth_code", validate_auth_code, _given(auth_code))
    uuid_text = _given(uuid)
    sale_uuid = found.check("uuid", validate_uuid, uuid_text) if uuid_text else new_uuid()
    found.raise_if_any()
    assert value is not None
    assert code is not None
    assert card is not None
    assert sale_uuid is not None
    return Sale(
        uuid=sale_uuid,
        amount=value,
        currency=code,
        tips=tips_value,
        card=card,
        auth_code=code_value,
    )


def _given(text: str | None) -> str | None:
    """A form input, or None when it is missing or blank."""
    return text if text is not None and text.strip() else None


def _amount_rule(
    currency: str | None, field: str, *, allow_zero: bool
) -> Callable[[str], Decimal | None]:
    """Parse an amount in `currency`; without a valid currency, still check the number itself."""

    def rule(text: str) -> Decimal | None:
        if currency is None:
            check_amount_shape(text, field=field, allow_zero=allow_zero)
            return None
        return parse_amount(text, currency, field=field, allow_zero=allow_zero)

    return rule


def check_void(sale: SaleStatus) -> None:
    """Refuse a void that cannot apply: a void is of the full amount of a live, unrefunded sale."""
    if sale.state in (TxState.FAILED, TxState.CANCELLED):
        raise refusal("void.dead_sale", "original")
    if sale.voided:
        raise refusal("void.already", "original")
    if sale.refunded_total > 0:
        raise refusal("void.refunded", "original")


def _money_text(amount: Decimal, currency: str) -> str:
    try:
        return f"{currency} {format_amount(amount, currency)}"
    except ValidationError:
        return f"{currency} {amount}"


def check_refund(sale: SaleStatus, amount: Decimal) -> None:
    """Refuse a refund of a voided, declined or cancelled sale, or one beyond what is left."""
    if sale.state in (TxState.FAILED, TxState.CANCELLED):
        raise refusal("refund.dead_sale", "original")
    if sale.voided:
        raise refusal("refund.voided", "original")
    if amount <= 0:
        raise refusal("refund.zero", "amount")
    remaining = sale.amount - sale.refunded_total
    if remaining <= 0:
        raise refusal("refund.done", "original")
    if amount > remaining:
        raise refusal("refund.too_much", "amount", left=_money_text(remaining, sale.currency))
