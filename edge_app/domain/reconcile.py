"""Reconciliation rules: what this PC holds as confirmed versus what the gateway now shows.

`compare` lists every difference of one record; nothing here (or anywhere in reconciliation)
changes a local record - a manager decides. Stdlib and the domain only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from edge_app.domain.errors import ValidationError
from edge_app.domain.money import format_amount


@dataclass(frozen=True)
class LocalView:
    """A record this PC holds as uploaded, and (for a sale) what it knows of its follow-ups."""

    uuid: str
    kind: str
    brn: str | None
    amount: Decimal | None
    currency: str | None
    voided_any: bool = False  # a void here that is not failed or cancelled
    voided_confirmed: bool = False  # ... that the gateway accepted
    refunded_any: Decimal = Decimal(0)
    refunded_confirmed: Decimal = Decimal(0)


@dataclass(frozen=True)
class GatewayView:
    """What the gateway's query answers about the record (None: it has no record of it)."""

    state: str
    amount: Decimal | None
    currency: str | None
    is_voided: bool
    refunded: Decimal | None


@dataclass(frozen=True)
class Finding:
    tx_uuid: str
    kind: str  # unknown_to_gateway, state, amount, currency, voided, refunded
    local: str
    gateway: str
    detail: str


def _money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "-"
    if currency:
        try:
            return f"{currency} {format_amount(amount, currency)}"
        except ValidationError:
            return f"{currency} {amount}"
    return str(amount)


def compare(local: LocalView, gateway: GatewayView | None) -> list[Finding]:
    """Every difference between a confirmed local record and the gateway's record of it."""
    what = f"{local.kind} {local.uuid}"
    if gateway is None:
        return [
            Finding(
                local.uuid,
                "unknown_to_gateway",
                "uploaded",
                "no record",
                f"The gateway no longer knows the {what}, which it confirmed earlier.",
            )
        ]
    found: list[Finding] = []
    if gateway.state != "success":
        found.append(
            Finding(
                local.uuid,
                "state",
                "uploaded",
                gateway.state,
                f"The gateway shows the {what} as {gateway.state}; this PC has it as accepted.",
            )
        )
    if local.currency and gateway.currency and local.currency != gateway.currency:
        found.append(
            Finding(
                local.uuid,
                "currency",
                local.currency,
                gateway.currency,
                f"The {what} is in {local.currency} here but {gateway.currency} at the gateway.",
            )
        )
    elif (
        local.kind != "void"
        and local.amount is not None
        and gateway.amount is not None
        and local.amount != gateway.amount
    ):
        here, there = _money(local.amount, local.currency), _money(gateway.amount, local.currency)
        found.append(
            Finding(
                local.uuid,
                "amount",
                here,
                there,
                f"The {what} is {here} here but {there} at the gateway.",
            )
        )
    if local.kind == "sale":
        found.extend(_follow_ups(local, gateway, what))
    return found


def _follow_ups(local: LocalView, gateway: GatewayView, what: str) -> list[Finding]:
    found: list[Finding] = []
    if gateway.is_voided and not local.voided_any:
        found.append(
            Finding(
                local.uuid,
                "voided",
                "not voided",
                "voided",
                f"The gateway shows the {what} voided; this PC knows of no void.",
            )
        )
    elif local.voided_confirmed and not gateway.is_voided:
        found.append(
            Finding(
                local.uuid,
                "voided",
                "voided",
                "not voided",
                f"The void of the {what} was confirmed, but the gateway shows the sale not voided.",
            )
        )
    refunded = gateway.refunded if gateway.refunded is not None else Decimal(0)
    if refunded > local.refunded_any or refunded < local.refunded_confirmed:
        here = _money(local.refunded_any, local.currency)
        there = _money(refunded, local.currency)
        found.append(
            Finding(
                local.uuid,
                "refunded",
                here,
                there,
                f"The gateway shows {there} refunded of the {what}; this PC knows of {here}.",
            )
        )
    return found
