"""Currencies and amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_app.domain.errors import ValidationError
from edge_app.domain.money import (
    MINOR_UNITS,
    check_amount_shape,
    format_amount,
    parse_amount,
    validate_currency,
)

EXPONENT = "Amount must be a plain number such as 12.50, without exponent notation."
SEPARATORS = "Amount must be written without thousands separators, for example 1200.50."


def assert_sentence(message: str) -> None:
    assert message[0].isupper()
    assert message.endswith(".")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("HKD", 2), ("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("VND", 0), ("CLP", 0),
        ("ISK", 0), ("XOF", 0), ("KWD", 3), ("BHD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3),
        ("IQD", 3), ("LYD", 3), ("CLF", 4), ("UYW", 4), ("CNY", 2), ("IDR", 2),
    ],
)  # fmt: skip
def test_minor_units_follow_iso_4217(code: str, digits: int) -> None:
    assert MINOR_UNITS[code] == digits


def test_minor_units_are_three_letter_codes_with_sensible_digits() -> None:
    assert len(MINOR_UNITS) > 150
    for code, digits in MINOR_UNITS.items():
        assert len(code) == 3
        assert code.isalpha()
        assert code.isupper()
        assert digits in (0, 2, 3, 4)
    for not_a_card_currency in ("XAU", "XXX", "XTS", "XDR"):
        assert not_a_card_currency not in MINOR_UNITS


def test_validate_currency_normalises() -> None:
    assert validate_currency(" hkd ") == "HKD"


@pytest.mark.parametrize("text", ["XYZ", "", "HK", "HKDD", "dollars"])
def test_unknown_currency_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_currency(text, "currency")
    assert info.value.field == "currency"
    assert "use a three-letter ISO 4217 code such as HKD" in info.value.message
    assert_sentence(info.value.message)


def test_unknown_currency_names_the_code() -> None:
    with pytest.raises(ValidationError) as info:
        validate_currency("xyz")
    assert str(info.value) == (
        "Unknown currency 'xyz'; use a three-letter ISO 4217 code such as HKD."
    )


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.5", "HKD", "12.50"),
        ("12.50", "HKD", "12.50"),
        ("1200", "HKD", "1200.00"),
        (" 7 ", "USD", "7.00"),
        ("0012.5", "HKD", "12.50"),
        ("1200", "JPY", "1200"),
        ("1.234", "KWD", "1.234"),
        ("1.2", "KWD", "1.200"),
        ("0.0001", "CLF", "0.0001"),
        ("999999999999.99", "HKD", "999999999999.99"),
    ],
)
def test_parse_amount_accepts_plain_decimals(text: str, currency: str, expected: str) -> None:
    value = parse_amount(text, currency)
    assert str(value) == expected
    assert format_amount(value, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("", "HKD", "Amount is required."),
        ("   ", "HKD", "Amount is required."),
        ("abc", "HKD", "Amount must be a number such as 12.50."),
        ("12.", "HKD", "Amount must be a number such as 12.50."),
        (".5", "HKD", "Amount must be a number such as 12.50."),
        ("1.2.3", "HKD", "Amount must be a number such as 12.50."),
        ("NaN", "HKD", "Amount must be a number such as 12.50."),
        ("Infinity", "HKD", "Amount must be a number such as 12.50."),
        ("inf", "HKD", "Amount must be a number such as 12.50."),
        ("١٢", "HKD", "Amount must be a number such as 12.50."),
        ("1e3", "HKD", EXPONENT),
        ("1.5E-2", "HKD", EXPONENT),
        ("+1", "HKD", "Amount must not have a sign; type it as 12.50."),
        ("-1", "HKD", "Amount must not have a sign; type it as 12.50."),
        ("-0", "HKD", "Amount must not have a sign; type it as 12.50."),
        ("1,000", "HKD", SEPARATORS),
        ("1 000", "HKD", SEPARATORS),
        ("1_000", "HKD", SEPARATORS),
        ("0", "HKD", "Amount must be greater than zero."),
        ("0.00", "HKD", "Amount must be greater than zero."),
        ("1.234", "HKD", "HKD amounts have at most 2 decimal places."),
        ("12.500", "HKD", "HKD amounts have at most 2 decimal places."),
        ("1.5", "JPY", "JPY amounts have no decimal places."),
        ("1.2345", "KWD", "KWD amounts have at most 3 decimal places."),
        ("1000000000000", "HKD",
         "Amount is too large; use at most 12 digits before the decimal point."),
    ],
)  # fmt: skip
def test_parse_amount_refusals(text: str, currency: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_amount(text, currency)
    assert info.value.message == message
    assert info.value.field == "amount"
    assert_sentence(info.value.message)


def test_parse_amount_uses_the_field_name_in_messages() -> None:
    with pytest.raises(ValidationError) as info:
        parse_amount("x", "HKD", field="tips")
    assert info.value.field == "tips"
    assert info.value.message == "Tips must be a number such as 12.50."


def test_zero_is_allowed_only_when_asked() -> None:
    assert parse_amount("0", "HKD", allow_zero=True) == Decimal("0.00")
    assert str(parse_amount("0", "HKD", allow_zero=True)) == "0.00"


def test_parse_amount_refuses_an_unknown_currency_on_the_currency_field() -> None:
    with pytest.raises(ValidationError) as info:
        parse_amount("1.00", "QQQ")
    assert info.value.field == "currency"


def test_parse_amount_accepts_decimals_by_value() -> None:
    assert str(parse_amount(Decimal("12.500"), "HKD")) == "12.50"
    assert str(parse_amount(Decimal("1E+3"), "JPY")) == "1000"
    with pytest.raises(ValidationError, match="at most 2 decimal places"):
        parse_amount(Decimal("12.505"), "HKD")
    with pytest.raises(ValidationError, match="sign"):
        parse_amount(Decimal("-1"), "HKD")
    with pytest.raises(ValidationError, match="must be a number"):
        parse_amount(Decimal("NaN"), "HKD")


def test_format_amount_never_uses_exponent_notation() -> None:
    assert format_amount(Decimal("1E+3"), "JPY") == "1000"
    assert format_amount(Decimal("1E+3"), "HKD") == "1000.00"
    assert format_amount(Decimal("0E-7"), "HKD") == "0.00"
    assert format_amount(Decimal("-0"), "HKD") == "0.00"
    assert format_amount(Decimal("12.5"), "HKD") == "12.50"
    assert format_amount(Decimal("12.500"), "HKD") == "12.50"


def test_format_amount_refuses_to_round() -> None:
    with pytest.raises(ValidationError, match=r"HKD amounts have at most 2 decimal places\."):
        format_amount(Decimal("1.005"), "HKD")
    with pytest.raises(ValidationError):
        format_amount(Decimal("NaN"), "HKD")


CURRENCIES = st.sampled_from(sorted(MINOR_UNITS))


@st.composite
def amount_texts(draw: st.DrawFn) -> tuple[str, str]:
    currency = draw(CURRENCIES)
    digits = MINOR_UNITS[currency]
    integer = draw(st.integers(min_value=0, max_value=10**12 - 1))
    places = draw(st.integers(min_value=0, max_value=digits))
    if places == 0:
        return str(max(integer, 1)), currency
    fraction = draw(st.integers(min_value=1 if integer == 0 else 0, max_value=10**places - 1))
    return f"{integer}.{fraction:0{places}d}", currency


@given(amount_texts())
def test_parse_then_format_is_stable(case: tuple[str, str]) -> None:
    text, currency = case
    value = parse_amount(text, currency)
    formatted = format_amount(value, currency)
    digits = MINOR_UNITS[currency]
    # exactly the currency's minor digits, no exponent, same value
    assert "e" not in formatted.lower()
    assert len(formatted.partition(".")[2]) == digits
    assert ("." in formatted) is (digits > 0)
    assert Decimal(formatted) == Decimal(text)
    assert parse_amount(formatted, currency) == value
    assert format_amount(parse_amount(formatted, currency), currency) == formatted


@given(CURRENCIES, st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=9))
def test_one_decimal_too_many_is_refused(currency: str, integer: int, last: int) -> None:
    digits = MINOR_UNITS[currency]
    text = f"{integer}." + "0" * digits + str(last)
    with pytest.raises(ValidationError) as info:
        parse_amount(text, currency)
    assert info.value.message.startswith(f"{currency} amounts have")


def test_the_shape_of_an_amount_refuses_zero_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="greater than zero"):
        check_amount_shape("0")
    check_amount_shape("0", allow_zero=True)
