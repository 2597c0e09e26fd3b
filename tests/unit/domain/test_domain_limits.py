"""Offline limits: per sale, per currency, and age of the oldest unsent record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from edge_app.domain.errors import ValidationError
from edge_app.domain.limits import (
    DEFAULT_LIMITS,
    AgeLevel,
    OfflineLimits,
    age_level,
    age_words,
    check_capture_limits,
    limits_from_json,
    limits_to_json,
)

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
LIMITS = OfflineLimits(
    per_transaction={"HKD": Decimal("100.00")},
    total_per_currency={"HKD": Decimal("1000.00")},
)


def capture(
    amount: str, stored: str = "0", oldest: datetime | None = None, currency: str = "HKD"
) -> list[str]:
    return check_capture_limits(
        LIMITS,
        currency=currency,
        amount=Decimal(amount),
        stored_total=Decimal(stored),
        oldest_unsent=oldest,
        now=NOW,
    )


def test_defaults() -> None:
    assert DEFAULT_LIMITS.per_transaction["HKD"] == Decimal(5000)
    assert DEFAULT_LIMITS.total_per_currency["HKD"] == Decimal(50000)
    assert DEFAULT_LIMITS.per_transaction["JPY"] == Decimal(150000)
    assert DEFAULT_LIMITS.total_per_currency["USD"] == Decimal(10000)
    assert DEFAULT_LIMITS.warn_after == timedelta(hours=24)
    assert DEFAULT_LIMITS.refuse_after == timedelta(hours=72)


@pytest.mark.parametrize(
    ("age", "level"),
    [
        (None, AgeLevel.OK),
        (timedelta(hours=-5), AgeLevel.OK),  # the clock moved back
        (timedelta(0), AgeLevel.OK),
        (timedelta(hours=24), AgeLevel.OK),
        (timedelta(hours=24, seconds=1), AgeLevel.WARN),
        (timedelta(hours=72), AgeLevel.WARN),
        (timedelta(hours=72, seconds=1), AgeLevel.REFUSE),
    ],
)
def test_age_level(age: timedelta | None, level: AgeLevel) -> None:
    oldest = None if age is None else NOW - age
    assert age_level(oldest, NOW, DEFAULT_LIMITS) is level


def test_a_sale_within_every_limit_has_no_warning() -> None:
    assert capture("100.00", stored="100.00") == []


def test_a_currency_with_no_offline_limit_is_refused_and_the_sentence_says_how_to_allow_it() -> (
    None
):
    with pytest.raises(ValidationError) as info:
        capture("1.00", currency="HNL")
    assert info.value.field == "currency"
    assert info.value.message == (
        "Offline sales in HNL are not allowed on this PC: it has no offline limit for HNL. "
        "A manager can allow them by adding an offline limit for HNL in Settings."
    )


def test_one_kind_of_limit_is_enough_to_allow_a_currency() -> None:
    only_total = OfflineLimits(per_transaction={}, total_per_currency={"USD": Decimal("500")})
    only_each = OfflineLimits(per_transaction={"USD": Decimal("50")}, total_per_currency={})
    for limits, amount in ((only_total, "100"), (only_each, "50")):
        assert (
            check_capture_limits(
                limits,
                currency="USD",
                amount=Decimal(amount),
                stored_total=Decimal(0),
                oldest_unsent=None,
                now=NOW,
            )
            == []
        )


def test_per_transaction_cap() -> None:
    with pytest.raises(ValidationError) as info:
        capture("100.01")
    assert info.value.field == "amount"
    assert info.value.message.startswith("Offline sales in HKD are limited to HKD 100.00 each")


def test_total_per_currency_cap_says_what_is_stored_and_asks_for_a_sync() -> None:
    assert capture("50.00", stored="950.00")  # exactly at the limit: allowed, with a warning
    with pytest.raises(ValidationError) as info:
        capture("50.01", stored="950.00")
    assert info.value.field == "amount"
    assert info.value.message == (
        "This PC already holds HKD 950.00 of unsent payments and the offline limit is "
        "HKD 1000.00; sync before taking this payment."
    )


def test_old_unsent_records_refuse_new_payments() -> None:
    with pytest.raises(ValidationError) as info:
        capture("1.00", oldest=NOW - timedelta(hours=73))
    assert info.value.field is None
    assert info.value.message == (
        "The oldest unsent record is older than 72 hours; sync before taking new offline payments."
    )


def test_warnings_for_age_and_a_nearly_full_total() -> None:
    warnings = [str(w) for w in capture("1.00", oldest=NOW - timedelta(hours=25))]
    assert warnings == [
        "The oldest unsent record is older than 24 hours; sync soon, new offline payments "
        "are refused after 72 hours."
    ]
    near = [str(w) for w in capture("10.00", stored="800.00")]
    assert near == [
        "Unsent HKD payments now add up to HKD 810.00 of the HKD 1000.00 offline limit; sync soon."
    ]
    assert capture("10.00", stored="780.00") == []


def test_limits_json_round_trip() -> None:
    data = limits_to_json(DEFAULT_LIMITS)
    assert data["per_transaction"] == {
        "HKD": "5000.00", "USD": "1000.00", "EUR": "1000.00", "GBP": "1000.00",
        "JPY": "150000", "CNY": "5000.00", "SGD": "1000.00", "AUD": "1000.00",
    }  # fmt: skip
    assert data["warn_after_hours"] == 24
    assert data["refuse_after_hours"] == 72
    again = limits_from_json(json.loads(json.dumps(data)))
    assert dict(again.per_transaction) == dict(DEFAULT_LIMITS.per_transaction)
    assert dict(again.total_per_currency) == dict(DEFAULT_LIMITS.total_per_currency)
    assert (again.warn_after, again.refuse_after) == (timedelta(hours=24), timedelta(hours=72))
    assert limits_to_json(again) == data


def test_limits_from_json_fills_defaults_and_normalises() -> None:
    limits = limits_from_json({"per_transaction": {"hkd": "10"}, "warn_after_hours": 1.5})
    assert dict(limits.per_transaction) == {"HKD": Decimal("10.00")}
    assert dict(limits.total_per_currency) == {}
    assert limits.warn_after == timedelta(minutes=90)
    assert limits.refuse_after == timedelta(hours=72)
    assert limits_to_json(limits)["warn_after_hours"] == 1.5


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "must be a JSON object"),
        ({"per_transaction": ["HKD"]}, "must map currency codes to amounts"),
        ({"per_transaction": {"XYZ": "1"}}, "Unknown currency 'XYZ'"),
        ({"per_transaction": {"HKD": "1.001"}},
         "The per-transaction offline limit for HKD is not valid: HKD amounts have at most 2"),
        ({"total_per_currency": {"HKD": "-1"}}, "The total offline limit for HKD is not valid"),
        ({"total_per_currency": {"HKD": None}}, "must be an amount such as"),
        ({"total_per_currency": {"HKD": True}}, "must be an amount such as"),
        ({"warn_after_hours": 0}, "greater than zero"),
        ({"refuse_after_hours": "72"}, "greater than zero"),
        ({"refuse_after_hours": float("nan")}, "greater than zero"),
        ({"warn_after_hours": 72, "refuse_after_hours": 72}, "warning age must be shorter"),
        ({"per_transction": {}}, "Unknown offline limit setting 'per_transction'"),
    ],
)  # fmt: skip
def test_bad_limits_config_is_refused_with_a_sentence(data: object, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        limits_from_json(data)
    assert fragment in info.value.message
    assert info.value.message.endswith(".")
    assert "\n" not in info.value.message


def test_warn_after_must_be_shorter_than_refuse_after() -> None:
    with pytest.raises(ValidationError, match="shorter"):
        OfflineLimits({}, {}, warn_after=timedelta(hours=80), refuse_after=timedelta(hours=72))


def test_a_nearly_full_total_warns_from_exactly_its_share() -> None:
    assert capture("10.00", stored="790.00")  # 800.00 of 1000.00: the 80 % mark itself
    assert capture("10.00", stored="789.99") == []


def test_a_fresh_record_is_not_old_under_short_limits() -> None:
    short = OfflineLimits({}, {}, warn_after=timedelta(hours=1), refuse_after=timedelta(hours=2))
    assert age_level(NOW - timedelta(minutes=10), NOW, short) is AgeLevel.OK
    assert age_level(NOW - timedelta(minutes=61), NOW, short) is AgeLevel.WARN


@pytest.mark.parametrize("which", ["warn_after", "refuse_after"])
def test_an_age_limit_of_zero_is_refused(which: str) -> None:
    ages = {"warn_after": timedelta(hours=1), "refuse_after": timedelta(hours=2)}
    ages[which] = timedelta(0)
    with pytest.raises(ValidationError, match="more than zero"):
        OfflineLimits({}, {}, **ages)


def test_limits_from_json_takes_half_an_hour_and_defaults_to_24_and_72_hours() -> None:
    limits = limits_from_json({"warn_after_hours": 0.5})
    assert limits.warn_after == timedelta(minutes=30)
    assert limits_from_json({}).warn_after == timedelta(hours=24)
    assert limits_from_json({}).refuse_after == timedelta(hours=72)


def test_limits_to_json_keeps_an_amount_with_more_digits_than_its_currency() -> None:
    odd = OfflineLimits({"HKD": Decimal("1.005")}, {})
    assert limits_to_json(odd)["per_transaction"] == {"HKD": "1.005"}


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "less than a minute"),
        (59, "less than a minute"),
        (12 * 60 + 5, "12 min"),
        (3 * 3600 + 20 * 60, "3 h 20 min"),
        (47 * 3600, "47 h 0 min"),
        (2 * 86400 + 5 * 3600, "2 days 5 h"),
        (-30, "less than a minute"),  # a clock set back never reads as a negative age
    ],
)
def test_ages_read_in_hours_and_minutes_never_as_a_decimal(seconds: float, words: str) -> None:
    assert age_words(seconds) == words
