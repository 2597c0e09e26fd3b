"""The sandbox's pure request rules: contract limits, card numbers, amounts, item validation.

Nothing here holds state or touches the network; every function answers from its arguments alone.
May import the standard library only (nothing of the project, not even the rest of the sandbox).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

MAX_ITEMS = 1000
MAX_BODY_BYTES = 32 * 1024 * 1024
LIST_MODES = ("blacklist", "whitelist", "none")
KINDS = ("sale", "void", "refund")
READER_MODES = ("manual", "swipe", "contact", "contactless")

# ISO 4217 currencies whose minor unit is not 2 digits; every other code has 2.
_MINOR_DIGITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    "CLF": 4,
    "UYW": 4,
}

_AMOUNT_RE = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)
_EXPIRY_RE = re.compile(r"\d{2}(0[1-9]|1[0-2])")
_DIGITS_RE = re.compile(r"[0-9]{12,19}")


def luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_number_valid(number: object) -> bool:
    return isinstance(number, str) and bool(_DIGITS_RE.fullmatch(number)) and luhn_valid(number)


def mask_card(number: str) -> str:
    """BIN (first six) and last four; everything between is starred."""
    return number[:6] + "*" * max(len(number) - 10, 0) + number[-4:]


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency, 2)


def parse_amount(text: object, currency: str, *, allow_zero: bool = False) -> Decimal | None:
    """A plain decimal string with at most the currency's minor digits, else None."""
    if not isinstance(text, str):
        return None
    match = _AMOUNT_RE.fullmatch(text)
    if match is None:
        return None
    fraction = match.group(2)
    if fraction is not None and len(fraction) - 1 > minor_digits(currency):
        return None
    value = Decimal(text)
    if value == 0 and not allow_zero:
        return None
    return value


def format_amount(value: Decimal, currency: str) -> str:
    return f"{value:.{minor_digits(currency)}f}"


def valid_date_time(text: object) -> bool:
    if not isinstance(text, str) or not _RFC3339_RE.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _check_credit_card(card: object) -> str | None:
    if not isinstance(card, dict):
        return "credit_card must be an object"
    mode = card.get("card_reader_mode")
    if mode not in READER_MODES:
        return "credit_card.card_reader_mode must be manual, swipe, contact or contactless"
    if not card_number_valid(card.get("card_number")):
        return "credit_card.card_number is not a valid card number"
    expiry = card.get("card_exp_date")
    if not isinstance(expiry, str) or not _EXPIRY_RE.fullmatch(expiry):
        return "credit_card.card_exp_date must be YYMM"
    cvv = card.get("cvv")
    if cvv is not None and not (isinstance(cvv, str) and re.fullmatch(r"[0-9]{3,4}", cvv)):
        return "credit_card.cvv must be 3 or 4 digits"
    if mode != "manual" and not _nonempty_str(card.get("card_track2")):
        return f"credit_card.card_track2 is required for {mode}"
    if mode in ("contact", "contactless"):
        for name in ("card_sn", "icc_request"):
            if not _nonempty_str(card.get(name)):
                return f"credit_card.{name} is required for {mode}"
    for name in ("card_holder_name", "card_track2", "card_sn", "icc_request"):
        if card.get(name) is not None and not isinstance(card.get(name), str):
            return f"credit_card.{name} must be a string"
    fallback = card.get("card_fallback")
    if fallback is not None and not isinstance(fallback, bool):
        return "credit_card.card_fallback must be true or false"
    return None


def check_item(kind: str, item: object) -> str | None:
    """Why an upload ITEM of this endpoint's kind is malformed (no card data), or None if fine."""
    if not isinstance(item, dict):
        return "transaction must be an object"
    item_uuid = item.get("uuid")
    if not isinstance(item_uuid, str) or not _UUID_RE.fullmatch(item_uuid):
        return "uuid must be a UUID"
    if item.get("transaction_type") != kind:
        return f"transaction_type must be {kind} on this endpoint"
    if not valid_date_time(item.get("date_time")):
        return "date_time must be RFC 3339 with an offset"
    if kind in ("sale", "refund"):
        currency = item.get("currency")
        if not isinstance(currency, str) or not _CURRENCY_RE.fullmatch(currency):
            return "currency must be a three-letter ISO 4217 code"
        if parse_amount(item.get("amount"), currency) is None:
            return "amount must be a positive decimal string with the currency's minor digits"
    if kind in ("void", "refund") and not _nonempty_str(item.get("origin_brn")):
        return "origin_brn is required"
    if kind == "sale":
        if item.get("payment_method") != "credit_card":
            return "payment_method must be credit_card"
        tips = item.get("tips_amount")
        if tips is not None and parse_amount(tips, item["currency"], allow_zero=True) is None:
            return "tips_amount must be a decimal string with the currency's minor digits"
        problem = _check_credit_card(item.get("credit_card"))
        if problem is not None:
            return problem
        for name in ("sn", "offline_auth_code"):
            if item.get(name) is not None and not isinstance(item.get(name), str):
                return f"{name} must be a string"
        address = item.get("billing_address")
        if address is not None and not isinstance(address, dict):
            return "billing_address must be an object"
    return None


def canonical(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None
