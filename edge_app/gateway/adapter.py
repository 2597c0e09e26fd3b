"""The ONE module that knows the gateway contract's paths and body shapes.

If the real gateway differs from `gateway-contract.md`, only this module changes. Everything here
is pure: it builds dicts and bytes, or turns parsed JSON into frozen dataclasses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from edge_app.domain.errors import ValidationError
from edge_app.domain.money import format_amount
from edge_app.domain.transactions import (
    CardData,
    Outgoing,
    ReadyItem,
    Sale,
    TxKind,
    UploadItem,
    validate_brn,
)
from edge_app.gateway.errors import ProtocolError

MAX_BATCH = 1000  # items per offline upload and card numbers per card_block request

# -- paths -------------------------------------------------------------------------------------

LOGIN_PATH = "/api/v2/login"


def _segment(value: str) -> str:
    """One URL path segment, all reserved characters quoted; never a '.' or '..' segment."""
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..", "") else quoted


def _store_prefix(store_id: str) -> str:
    return f"/gateway/v3/stores/{_segment(store_id)}"


def offline_upload_path(store_id: str, kind: TxKind) -> str:
    return f"{_store_prefix(store_id)}/payment/offline/{TxKind(kind).value}"


def query_path(store_id: str, ident: str) -> str:
    """GET path of one transaction by uuid or BRN (the ident is URL-quoted)."""
    return f"{_store_prefix(store_id)}/query/transactions/{_segment(ident)}"


def card_block_path(store_id: str, op: Literal["add", "del"]) -> str:
    if op not in ("add", "del"):
        raise ValueError(f"card_block operation must be 'add' or 'del', not {op!r}")
    return f"{_store_prefix(store_id)}/card_block/{op}"


# -- request bodies ----------------------------------------------------------------------------


def login_body(username: str, password: str, client_id: str, client_secret: str) -> dict[str, Any]:
    return {
        "username": username,
        "password": password,
        "grant_type": "password",
        "client_id": client_id,
        "client_secret": client_secret,
    }


def _rfc3339(moment: datetime, uuid: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"Transaction {uuid} has a capture time without a time zone.")
    return moment.isoformat(timespec="seconds")


def credit_card_body(card: CardData) -> dict[str, str]:
    """The seed's credit_card object with only the fields that have a value."""
    fields: dict[str, str | None] = {
        "card_reader_mode": card.reader_mode,
        "card_number": card.card_number,
        "card_exp_date": card.expiry,
        "cvv": card.cvv,
        "card_track2": card.track2,
        "card_sn": card.card_sn,
        "icc_request": card.icc_request,
        "card_holder_name": card.holder_name,
    }
    return {name: value for name, value in fields.items() if value}


def _given_amount(item: UploadItem) -> tuple[Decimal, str]:
    if item.amount is None or not item.currency:
        raise ValidationError(
            f"{item.kind.value.capitalize()} {item.uuid} has no amount or currency."
        )
    return item.amount, item.currency


def _amount(item: UploadItem) -> tuple[str, str]:
    amount, currency = _given_amount(item)
    return format_amount(amount, currency), currency


def _origin(item: UploadItem) -> str:
    if not item.origin_brn:
        raise ValidationError(
            f"{item.kind.value.capitalize()} {item.uuid} has no BRN of the original sale yet."
        )
    return item.origin_brn


def upload_item(item: UploadItem) -> dict[str, Any]:
    """One ITEM of an offline upload request (contract: Sale / Void / Refund ITEM).

    Built only from the item's own fields, all fixed at capture, so the same record always gives
    the same ITEM (the gateway's idempotency compares the content of a resent uuid).
    """
    kind = TxKind(item.kind)
    if kind is TxKind.SALE:
        amount, currency = _given_amount(item)
        if item.card is None:
            raise ValidationError(f"Sale {item.uuid} has no card data.")
        sale = Sale(item.uuid, amount, currency, item.tips, item.card, item.auth_code)
        return _sale_item(sale, item.captured_at, item.sn)
    date_time = _rfc3339(item.captured_at, item.uuid)
    if kind is TxKind.VOID:
        return {
            "uuid": item.uuid,
            "transaction_type": "void",
            "origin_brn": _origin(item),
            "date_time": date_time,
        }
    refund, currency = _amount(item)
    return {
        "uuid": item.uuid,
        "transaction_type": "refund",
        "amount": refund,
        "currency": currency,
        "origin_brn": _origin(item),
        "date_time": date_time,
    }


def upload_body(items: Sequence[UploadItem]) -> dict[str, Any]:
    """The whole offline upload request: 1 to 1000 items, all of one kind."""
    _check_batch(items)
    return {"transactions": [upload_item(item) for item in items]}


def _sale_item(sale: Sale, captured_at: datetime, sn: str | None) -> dict[str, Any]:
    """A sale's ITEM: the contract's Sale ITEM, keys in this order."""
    body: dict[str, Any] = {
        "uuid": sale.uuid,
        "transaction_type": "sale",
        "payment_method": "credit_card",
        "amount": format_amount(sale.amount, sale.currency),
        "currency": sale.currency,
    }
    if sale.tips is not None:
        body["tips_amount"] = format_amount(sale.tips, sale.currency)
    if sn:
        body["sn"] = sn
    body["credit_card"] = credit_card_body(sale.card)
    body["date_time"] = _rfc3339(captured_at, sale.uuid)
    if sale.auth_code:
        body["offline_auth_code"] = sale.auth_code
    return body


def sale_item_json(sale: Sale, captured_at: datetime, sn: str | None) -> str:
    """A sale's ITEM as a request carries it, made when the sale is captured and stored with it
    (`ReadyItem`): the same text as `upload_item_json` of the stored record."""
    return _ENCODE(_sale_item(sale, captured_at, sn))


def upload_item_json(item: UploadItem) -> str:
    """One ITEM as the text a request carries (`encode_body`'s encoding). A sale's is made when
    it is captured and stored with it, so every resend is the same bytes (`ReadyItem`)."""
    return _ENCODE(upload_item(item))


def upload_body_bytes(items: Sequence[Outgoing]) -> bytes:
    """The exact bytes of an offline upload request: the stored ITEM of each ready sale, the
    others built now. The same bytes as `encode_body(upload_body(...))` of the same records."""
    _check_batch(items)
    parts = (i.item_json if isinstance(i, ReadyItem) else _ENCODE(upload_item(i)) for i in items)
    return ('{"transactions":[' + ",".join(parts) + "]}").encode("utf-8")


def _check_batch(items: Sequence[Outgoing]) -> None:
    if not 1 <= len(items) <= MAX_BATCH:
        raise ValueError(f"an offline upload takes 1 to {MAX_BATCH} items, not {len(items)}")
    if len({TxKind(item.kind) for item in items}) != 1:
        raise ValueError("an offline upload takes items of one kind only")


def card_block_body(numbers: Sequence[str]) -> dict[str, Any]:
    if not 1 <= len(numbers) <= MAX_BATCH:
        raise ValueError(f"a card_block request takes 1 to {MAX_BATCH} numbers, not {len(numbers)}")
    return {"card_numbers": list(numbers)}


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed and sent."""
    return _ENCODE(body).encode("utf-8")


def sign_body(body_bytes: bytes, secret: str) -> str:
    """X-SIGNATURE: lowercase hex HMAC-SHA256 of the body bytes keyed with the signing secret."""
    return hmac.new(secret.encode("utf-8"), body_bytes, hashlib.sha256).hexdigest()


# -- headers -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeviceInfo:
    device_id: str
    time_zone: str
    app_type: str = "Edge Uploader"
    app_version: str
    device_type: str = "STORE_PC"
    device_model: str
    system_version: str


def _header_value(value: str) -> str:
    """Printable ASCII only (header values are ASCII; no CR/LF can slip in)."""
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in value).strip()


def _local_time(now: datetime, time_zone: str) -> datetime:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # here: start-up stays cheap

    if now.tzinfo is None:
        return now  # already local
    try:
        return now.astimezone(ZoneInfo(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone()


def common_headers(device: DeviceInfo, token: str | None, now: datetime) -> dict[str, str]:
    """Seed 1.1 headers: content type, device headers (card-present), and the token if any."""
    headers = {
        "Content-Type": "application/json; charset=UTF-8",
        "Accept": "application/json",
        "X-USER-TIME-ZONE": device.time_zone,
        "X-USER-DATE-TIME": _local_time(now, device.time_zone).strftime("%Y/%m/%d %H:%M:%S"),
        "X-USER-APP-TYPE": device.app_type,
        "X-USER-APP-VERSION": device.app_version,
        "X-USER-DEVICE-TYPE": device.device_type,
        "X-USER-DEVICE-ID": device.device_id,
        "X-USER-DEVICE-MODEL": device.device_model,
        "X-USER-SYSTEM-VERSION": device.system_version,
    }
    if token:
        headers["X-USER-ACCESS-TOKEN"] = token
    return {name: _header_value(value) for name, value in headers.items()}


# -- responses ---------------------------------------------------------------------------------

UploadState = Literal["success", "failed", "pending"]
_STATES: tuple[UploadState, ...] = ("success", "failed", "pending")


@dataclass(frozen=True)
class UploadResult:
    uuid: str
    state: UploadState
    brn: str | None
    date_time: str | None
    error_code: str | None
    error_desc: str | None
    duplicate: bool


@dataclass(frozen=True)
class QueryResult:
    uuid: str
    brn: str | None
    state: UploadState
    error_code: str | None
    error_desc: str | None
    is_voided: bool
    refunded_amount: str | None
    amount: str | None = None  # as the gateway writes it: compare as decimals
    currency: str | None = None


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"The gateway's answer has no {what} object.")
    return value


def _opt_text(value: object, what: str) -> str | None:
    """A string field that may be missing; numbers are accepted and turned into text."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ProtocolError(f"The gateway's answer has a {what} that is not text.")
    if isinstance(value, str | int | float):
        return str(value)
    raise ProtocolError(f"The gateway's answer has a {what} that is not text.")


def _brn(value: object) -> str | None:
    """A BRN in an answer, checked as one typed in: no float ("inf"), megabyte or card number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProtocolError("The gateway's answer has a BRN that is not text.")
    try:
        return validate_brn(str(value), "brn")
    except ValidationError:
        raise ProtocolError(
            "The gateway's answer has a BRN that is not a valid reference (too long, odd "
            "characters, or a card number)."
        ) from None


def _state(value: object) -> UploadState:
    for state in _STATES:
        if value == state:
            return state
    raise ProtocolError("The gateway's answer has an unknown transaction state.")


def _flag(value: object, what: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise ProtocolError(f"The gateway's answer has a {what} that is not true or false.")


def parse_upload_response(payload: object, sent_uuids: Sequence[str]) -> list[UploadResult]:
    """One result per sent item, same uuids in the same order, or ProtocolError."""
    results = _object(payload, "result").get("transactions")
    if not isinstance(results, list):
        raise ProtocolError("The gateway's answer has no list of transaction results.")
    if len(results) != len(sent_uuids):
        raise ProtocolError(
            f"The gateway answered with {len(results)} results for {len(sent_uuids)} transactions."
        )
    parsed: list[UploadResult] = []
    for index, (raw, sent) in enumerate(zip(results, sent_uuids, strict=True)):
        entry = _object(raw, "transaction result")
        if entry.get("uuid") != sent:
            raise ProtocolError(
                f"The gateway's result number {index + 1} is for another transaction "
                "than the one sent."
            )
        parsed.append(
            UploadResult(
                uuid=sent,
                state=_state(entry.get("transaction_state")),
                brn=_brn(entry.get("brn")),
                date_time=_opt_text(entry.get("date_time"), "date_time"),
                error_code=_opt_text(entry.get("error_code"), "error_code"),
                error_desc=_opt_text(entry.get("error_desc"), "error_desc"),
                duplicate=_flag(entry.get("duplicate"), "duplicate flag"),
            )
        )
    return parsed


_Secrets = tuple[str | None, str | None, str | None]


def _card_secrets(item: Outgoing, *, all_of_them: bool) -> _Secrets:
    """(card number, track 2, CVV) of a sale's ITEM; Nones for a void or refund. From a ready
    ITEM the number alone is cut out without decoding it; the rest only when asked for."""
    if isinstance(item, UploadItem):
        card = item.card
        return (card.card_number, card.track2, card.cvv) if card else (None, None, None)
    if all_of_them:
        credit = json.loads(item.item_json).get("credit_card") or {}
        return credit.get("card_number"), credit.get("card_track2"), credit.get("cvv")
    _, key, rest = item.item_json.partition('"card_number":"')  # digits: nothing escaped
    return (rest.partition('"')[0] if key else None), None, None


def check_results_against_items(
    results: Sequence[UploadResult], items: Sequence[Outgoing]
) -> list[UploadResult]:
    """Each item's own card data cut out of its result's text; its card number as BRN refused."""
    checked: list[UploadResult] = []
    for result, item in zip(results, items, strict=True):
        if not (result.brn or result.error_desc):
            checked.append(result)
            continue
        number, track2, cvv = _card_secrets(item, all_of_them=bool(result.error_desc))
        if result.brn and number and number in result.brn:
            raise ProtocolError("The gateway's answer gives a card number as a BRN.")
        desc = result.error_desc
        if desc:
            for value in (number, track2):
                if value and len(value) >= 4:
                    desc = desc.replace(value, "[hidden]")
            if cvv:
                desc = re.sub(rf"(?<!\d){re.escape(cvv)}(?!\d)", "[hidden]", desc)
            result = replace(result, error_desc=desc)
        checked.append(result)
    return checked


def parse_query_response(payload: object, ident: str | None = None) -> QueryResult:
    """The `transaction` of a query answer; with `ident`, it must be that uuid or BRN."""
    entry = _object(_object(payload, "result").get("transaction"), "transaction")
    uuid = _opt_text(entry.get("uuid"), "uuid")
    brn = _brn(entry.get("brn"))
    if uuid is None:
        raise ProtocolError("The gateway's answer to a query has no uuid.")
    if ident is not None and ident not in (uuid, brn):
        raise ProtocolError("The gateway answered a query with another transaction.")
    return QueryResult(
        uuid=uuid,
        brn=brn,
        state=_state(entry.get("transaction_state")),
        error_code=_opt_text(entry.get("error_code"), "error_code"),
        error_desc=_opt_text(entry.get("error_desc"), "error_desc"),
        is_voided=_flag(entry.get("is_voided"), "is_voided flag"),
        refunded_amount=_opt_text(entry.get("refunded_amount"), "refunded_amount"),
        amount=_opt_text(entry.get("amount"), "amount"),
        currency=_opt_text(entry.get("currency"), "currency"),
    )


def parse_card_block_response(payload: object) -> int:
    """How many card numbers the gateway reports for a successful card_block request."""
    block = _object(_object(payload, "result").get("card_block"), "card_block")
    if block.get("state") != "success":
        raise ProtocolError("The gateway's card_block answer does not say success.")
    count = block.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ProtocolError("The gateway's card_block answer has no valid count.")
    return count


def parse_login_response(payload: object) -> str:
    """The access token of a successful login."""
    user = _object(_object(payload, "login result").get("user"), "user")
    token = user.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise ProtocolError("The gateway's login answer has no access token.")
    return token.strip()


def parse_error_body(payload: object) -> tuple[str | None, str | None, list[str]]:
    """(error_code, error_desc or message, invalid_card_numbers) from any error body, tolerantly."""
    if not isinstance(payload, dict):
        return None, None, []

    def text(value: object) -> str | None:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, str | int):
            return str(value).strip() or None
        return None

    code = text(payload.get("error_code"))
    desc = text(payload.get("error_desc")) or text(payload.get("message"))
    raw_numbers = payload.get("invalid_card_numbers")
    numbers = (
        [n for n in raw_numbers if isinstance(n, str)] if isinstance(raw_numbers, list) else []
    )
    return code, desc, numbers
