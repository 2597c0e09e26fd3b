"""Offline risk limits: how much may be taken offline before a sync, and for how long."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from edge_app.domain.errors import ValidationError, refusal
from edge_app.domain.messages import Msg, msg
from edge_app.domain.money import format_amount, parse_amount, validate_currency

_FIELD = "limits"
# A warning when the unsent total reaches this share of the currency's offline total.
NEAR_TOTAL_SHARE = Decimal("0.8")


@dataclass(frozen=True)
class OfflineLimits:
    """Caps on offline exposure. Amounts are amount plus tips, per currency.

    A currency missing from one mapping has no cap of that kind; a currency missing from both
    is not taken offline at all.
    """

    per_transaction: Mapping[str, Decimal]
    total_per_currency: Mapping[str, Decimal]
    warn_after: timedelta = field(default=timedelta(hours=24))
    refuse_after: timedelta = field(default=timedelta(hours=72))

    def __post_init__(self) -> None:
        if self.warn_after <= timedelta(0) or self.refuse_after <= timedelta(0):
            raise ValidationError("The offline age limits must be more than zero hours.", _FIELD)
        if self.warn_after >= self.refuse_after:
            raise ValidationError(
                "The offline warning age must be shorter than the age at which new payments "
                "are refused.",
                _FIELD,
            )


def _amounts(values: Mapping[str, str]) -> Mapping[str, Decimal]:
    return MappingProxyType({code: Decimal(text) for code, text in values.items()})


DEFAULT_LIMITS = OfflineLimits(
    per_transaction=_amounts(
        {
            "HKD": "5000.00", "USD": "1000.00", "EUR": "1000.00", "GBP": "1000.00",
            "JPY": "150000", "CNY": "5000.00", "SGD": "1000.00", "AUD": "1000.00",
        }
    ),
    total_per_currency=_amounts(
        {
            "HKD": "50000.00", "USD": "10000.00", "EUR": "10000.00", "GBP": "10000.00",
            "JPY": "1500000", "CNY": "50000.00", "SGD": "10000.00", "AUD": "10000.00",
        }
    ),
)  # fmt: skip


class AgeLevel(StrEnum):
    OK = "ok"
    WARN = "warn"
    REFUSE = "refuse"


def _age(oldest_unsent: datetime, now: datetime) -> timedelta:
    # A record "from the future" (the clock was moved back) counts as brand new.
    return max(now - oldest_unsent, timedelta(0))


def age_level(oldest_unsent: datetime | None, now: datetime, limits: OfflineLimits) -> AgeLevel:
    """The oldest unsent record's age against the limits (strictly older than a limit counts)."""
    if oldest_unsent is None:
        return AgeLevel.OK
    age = _age(oldest_unsent, now)
    if age > limits.refuse_after:
        return AgeLevel.REFUSE
    if age > limits.warn_after:
        return AgeLevel.WARN
    return AgeLevel.OK


def age_parts(seconds: float) -> tuple[int, int, int]:
    """(days, hours, minutes) of an age, for "3 h 20 min" (days only from two days on)."""
    minutes = max(int(seconds // 60), 0)
    hours, minutes = divmod(minutes, 60)
    days = hours // 24 if hours >= 48 else 0
    return days, hours - 24 * days, minutes


def age_words(seconds: float) -> str:
    """ "3 h 20 min", "12 min", "2 days 5 h", "less than a minute" (English: the command line
    and the report files; the window words ages through its translations)."""
    days, hours, minutes = age_parts(seconds)
    if days:
        return f"{days} days {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "less than a minute"


def _hours_text(span: timedelta) -> Msg:
    hours = span.total_seconds() / 3600
    if hours == 1:
        return msg("hours.one")
    return msg("hours.n", n=int(hours) if hours == int(hours) else f"{hours:.1f}")


def _money(amount: Decimal, currency: str) -> str:
    try:
        return f"{currency} {format_amount(amount, currency)}"
    except ValidationError:
        return f"{currency} {amount}"


def check_capture_limits(
    limits: OfflineLimits,
    *,
    currency: str,
    amount: Decimal,
    stored_total: Decimal,
    oldest_unsent: datetime | None,
    now: datetime,
) -> list[Msg]:
    """Refuse an offline sale over a limit; return warnings (sentences by id) for one that is
    near one.

    `amount` is the sale's amount plus tips; `stored_total` is the unsent amount plus tips
    already stored in that currency.
    """
    level = age_level(oldest_unsent, now, limits)
    if level is AgeLevel.REFUSE:
        raise refusal("limits.too_old", None, hours=_hours_text(limits.refuse_after))
    cap = limits.per_transaction.get(currency)
    total = limits.total_per_currency.get(currency)
    if cap is None and total is None:
        # An unknown exposure is not allowed by default: a store decides which currencies it
        # takes offline, and how much of each.
        raise refusal("limits.no_limit", "currency", currency=currency)
    if cap is not None and amount > cap:
        raise refusal("limits.over_each", "amount", currency=currency, cap=_money(cap, currency))
    if total is not None and stored_total + amount > total:
        raise refusal(
            "limits.over_total",
            "amount",
            stored=_money(stored_total, currency),
            total=_money(total, currency),
        )
    warnings: list[Msg] = []
    if level is AgeLevel.WARN:
        warnings.append(
            msg(
                "limits.warn_old",
                warn=_hours_text(limits.warn_after),
                refuse=_hours_text(limits.refuse_after),
            )
        )
    if total is not None and stored_total + amount >= total * NEAR_TOTAL_SHARE:
        warnings.append(
            msg(
                "limits.warn_total",
                currency=currency,
                sum=_money(stored_total + amount, currency),
                total=_money(total, currency),
            )
        )
    return warnings


def _hours_json(span: timedelta) -> int | float:
    hours = span.total_seconds() / 3600
    return int(hours) if hours == int(hours) else hours


def limits_to_json(limits: OfflineLimits) -> dict[str, object]:
    """The limits as the config file stores them (amounts as strings)."""

    def amounts(values: Mapping[str, Decimal]) -> dict[str, str]:
        out: dict[str, str] = {}
        for code, value in values.items():
            try:
                out[code] = format_amount(value, code)
            except ValidationError:
                out[code] = format(value, "f")
        return out

    return {
        "per_transaction": amounts(limits.per_transaction),
        "total_per_currency": amounts(limits.total_per_currency),
        "warn_after_hours": _hours_json(limits.warn_after),
        "refuse_after_hours": _hours_json(limits.refuse_after),
    }


_NAMES = {
    "per_transaction": "per-transaction",
    "total_per_currency": "total",
}
_KEYS = ("per_transaction", "total_per_currency", "warn_after_hours", "refuse_after_hours")


def _amounts_from_json(data: Mapping[str, object], key: str) -> Mapping[str, Decimal]:
    raw = data.get(key, {})
    if not isinstance(raw, dict):
        raise ValidationError(
            f"Offline limits: '{key}' must map currency codes to amounts, like "
            '{"HKD": "5000.00"}.',
            _FIELD,
        )
    out: dict[str, Decimal] = {}
    for code_text, value in raw.items():
        code = validate_currency(str(code_text), _FIELD)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(
                f'The {_NAMES[key]} offline limit for {code} must be an amount such as "5000.00".',
                _FIELD,
            )
        try:
            out[code] = parse_amount(str(value), code, field="amount")
        except ValidationError as exc:
            raise ValidationError(
                f"The {_NAMES[key]} offline limit for {code} is not valid: {exc.message}", _FIELD
            ) from None
    return out


def _hours_from_json(data: Mapping[str, object], key: str, default: timedelta) -> timedelta:
    if key not in data:
        return default
    value = data[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(
            f"Offline limits: '{key}' must be a number of hours greater than zero, like 24.",
            _FIELD,
        )
    return timedelta(hours=value)


def limits_from_json(data: object) -> OfflineLimits:
    """Read the config's offline limits; a bad setting is refused with one plain sentence.

    Missing keys take the defaults of `OfflineLimits` (no caps, 24 h warning, 72 h refusal).
    """
    if not isinstance(data, dict):
        raise ValidationError("Offline limits must be a JSON object.", _FIELD)
    for key in data:
        if key not in _KEYS:
            raise ValidationError(
                f"Unknown offline limit setting '{key}'; use one of {', '.join(_KEYS)}.", _FIELD
            )
    return OfflineLimits(
        per_transaction=_amounts_from_json(data, "per_transaction"),
        total_per_currency=_amounts_from_json(data, "total_per_currency"),
        warn_after=_hours_from_json(data, "warn_after_hours", timedelta(hours=24)),
        refuse_after=_hours_from_json(data, "refuse_after_hours", timedelta(hours=72)),
    )
