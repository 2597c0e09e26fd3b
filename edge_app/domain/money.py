"""Currencies and amounts: amounts are `Decimal` in major units with the ISO 4217 minor digits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Context, Decimal, InvalidOperation
from types import MappingProxyType

from edge_app.domain.errors import ValidationError, refusal
from edge_app.domain.messages import Msg, msg

# ISO 4217 active currency codes and their minor unit digits. Codes whose minor unit is "N.A."
# (precious metals, SDR, test and "no currency" codes such as XAU, XDR, XTS, XXX) are left out:
# nobody pays by card in them.
MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    {
        "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2,
        "AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0,
        "BMD": 2, "BND": 2, "BOB": 2, "BOV": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2,
        "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2, "CHW": 2, "CLF": 4,
        "CLP": 0, "CNY": 2, "COP": 2, "COU": 2, "CRC": 2, "CUC": 2, "CUP": 2, "CVE": 2,
        "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2,
        "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2,
        "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2,
        "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0,
        "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2,
        "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2,
        "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
        "MVR": 2, "MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2,
        "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2,
        "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2,
        "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2,
        "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2,
        "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2,
        "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "USN": 2, "UYI": 0, "UYU": 2, "UYW": 4,
        "UZS": 2, "VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2,
        "XCG": 2, "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2, "ZWL": 2,
    }
)  # fmt: skip

MAX_INTEGER_DIGITS = 12

_PLAIN = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_EXPONENT = re.compile(r"[0-9.]*[0-9][0-9.]*[eE][+-]?[0-9]+")
# Wide enough for 12 integer digits plus any minor unit, whatever the thread's decimal context.
_CONTEXT = Context(prec=40)
_LABELS = {"amount": "label.amount", "tips": "label.tips", "refund_amount": "label.refund_amount"}


def validate_currency(text: str, field: str = "currency") -> str:
    """The upper-case ISO 4217 code, or a refusal."""
    code = text.strip().upper()
    if code not in MINOR_UNITS:
        shown = text.strip()[:10]
        raise refusal("currency.unknown", field, code=shown)
    return code


def _label(field: str) -> Msg | str:
    known = _LABELS.get(field)
    return msg(known) if known else field.replace("_", " ").capitalize()


def _decimal_places_sentence(currency: str, digits: int) -> Msg:
    if digits == 0:
        return msg("amount.no_decimals", currency=currency)
    if digits == 1:
        return msg("amount.one_decimal", currency=currency)
    return msg("amount.decimals", currency=currency, digits=digits)


def _plain_text(value: str | Decimal, label: Msg | str, field: str) -> str:
    """The amount as plain digits with an optional fraction, or a refusal of its shape."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise refusal("amount.not_number", field, label=label)
        if value.is_signed():
            raise refusal("amount.signed", field, label=label)
        text = format(value, "f")
        # A Decimal from arithmetic may carry trailing zeros; its value is what counts.
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    text = value.strip()
    if not text:
        raise refusal("amount.required", field, label=label)
    if text[0] in "+-":
        raise refusal("amount.signed", field, label=label)
    if any(sep in text for sep in ", _'"):
        raise refusal("amount.separators", field, label=label)
    if _EXPONENT.fullmatch(text):
        raise refusal("amount.exponent", field, label=label)
    if not _PLAIN.fullmatch(text):
        raise refusal("amount.not_number", field, label=label)
    return text


def check_amount_shape(
    text: str | Decimal, *, field: str = "amount", allow_zero: bool = False
) -> Decimal:
    """Every amount rule that does not depend on the currency (used when the currency is bad)."""
    label = _label(field)
    plain = _plain_text(text, label, field)
    match = _PLAIN.fullmatch(plain)
    if match is None:  # only a Decimal input can get here, e.g. Decimal("0") -> "0" matches
        raise refusal("amount.not_number", field, label=label)
    integer = match.group(1).lstrip("0")
    if len(integer) > MAX_INTEGER_DIGITS:
        raise refusal("amount.too_large", field, label=label, digits=MAX_INTEGER_DIGITS)
    value = Decimal(plain)
    if value == 0 and not allow_zero:
        raise refusal("amount.zero", field, label=label)
    return value


def parse_amount(
    text: str | Decimal, currency: str, *, field: str = "amount", allow_zero: bool = False
) -> Decimal:
    """A plain decimal amount quantized to the currency's minor digits ("12.5" HKD -> 12.50).

    Refuses signs, exponents, separators, NaN/Infinity, zero (unless `allow_zero`), more
    decimal places than the currency has and more than 12 integer digits. A bad currency is
    refused with field "currency".
    """
    code = validate_currency(currency)
    digits = MINOR_UNITS[code]
    value = check_amount_shape(text, field=field, allow_zero=allow_zero)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > digits:
        raise ValidationError(_decimal_places_sentence(code, digits), field)
    return value.quantize(Decimal(1).scaleb(-digits), context=_CONTEXT)


def format_amount(amount: Decimal, currency: str) -> str:
    """The amount as the gateway wants it: exactly the minor digits, never exponent notation.

    Refuses (rather than rounds) an amount with more decimal places than the currency has.
    """
    code = validate_currency(currency)
    digits = MINOR_UNITS[code]
    if not amount.is_finite():
        raise refusal("amount.not_finite", "amount")
    try:
        quantized = amount.quantize(Decimal(1).scaleb(-digits), context=_CONTEXT)
    except InvalidOperation:
        raise refusal("amount.unwritable", "amount") from None
    if quantized != amount:
        raise ValidationError(_decimal_places_sentence(code, digits), "amount")
    if quantized == 0:
        quantized = abs(quantized)  # never "-0.00"
    return format(quantized, "f")
