"""The contract's paths, bodies, signature, headers and response parsing (pure functions)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from edge_app.domain.errors import ValidationError
from edge_app.domain.transactions import CardData, TxKind, UploadItem
from edge_app.gateway.adapter import (
    LOGIN_PATH,
    DeviceInfo,
    card_block_body,
    card_block_path,
    common_headers,
    encode_body,
    login_body,
    offline_upload_path,
    parse_card_block_response,
    parse_error_body,
    parse_login_response,
    parse_query_response,
    parse_upload_response,
    query_path,
    sign_body,
    upload_body,
    upload_item,
)
from edge_app.gateway.errors import ProtocolError
from edge_app.gateway.urls import ENVIRONMENTS, check_url_allowed

VISA = "4111111111111111"
HKT = timezone(timedelta(hours=8))
CAPTURED = datetime(2024, 3, 25, 17, 6, 31, 250_000, tzinfo=HKT)
TRACK2 = f"{VISA}=24121010000000000000"


def card(mode: str, **overrides: Any) -> CardData:
    values: dict[str, Any] = {
        "reader_mode": mode,
        "card_number": VISA,
        "expiry": "2412",
        "cvv": None,
        "track2": None,
        "card_sn": None,
        "icc_request": None,
        "holder_name": None,
    }
    values.update(overrides)
    return CardData(**values)


def sale(card_data: CardData, **overrides: Any) -> UploadItem:
    values: dict[str, Any] = {
        "uuid": "6f1c2b1e-2f4a-4c1e-9a55-0b7f3b0a9c11",
        "kind": TxKind.SALE,
        "captured_at": CAPTURED,
        "amount": Decimal("12.5"),
        "currency": "HKD",
        "tips": None,
        "card": card_data,
        "auth_code": None,
        "origin_brn": None,
    }
    values.update(overrides)
    return UploadItem(**values)


def other(kind: TxKind, **overrides: Any) -> UploadItem:
    values: dict[str, Any] = {
        "uuid": "0b7f3b0a-9c11-4c1e-9a55-6f1c2b1e2f4a",
        "kind": kind,
        "captured_at": CAPTURED,
        "amount": None,
        "currency": None,
        "tips": None,
        "card": None,
        "auth_code": None,
        "origin_brn": "BRN0001",
    }
    values.update(overrides)
    return UploadItem(**values)


# -- environments and the URL rule --------------------------------------------------------------


def test_environments_carry_the_seed_constants() -> None:
    develop, production = ENVIRONMENTS["develop"], ENVIRONMENTS["production"]
    assert (develop.login_url, develop.base_url) == (
        "https://stg.bindo.co",
        "https://stg-payment.bindo.co",
    )
    assert develop.client_id == "hy89x4gh7b82y9ymhl7s75ucog6j9b"
    assert develop.client_secret == "acp02fndjef4ablir1ug1imy6ao6cgm"
    assert (production.login_url, production.base_url) == (
        "https://bindo.com",
        "https://payment.bindo.co",
    )
    assert production.client_id == "r2e329dajqd22u4bdqce1g08ptu5hp0"
    assert production.client_secret == "ly286rorphahzz6wm3su79u0vpw7ly6"
    assert set(ENVIRONMENTS) == {"develop", "production"}
    for env in ENVIRONMENTS.values():
        assert check_url_allowed(env.base_url) == env.base_url
        assert env.client_secret not in repr(env)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("http://127.8.9.10", "http://127.8.9.10"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://LOCALHOST", "http://LOCALHOST"),
        ("https://payment.example.com/", "https://payment.example.com"),
        ("https://payment.example.com:8443/base//", "https://payment.example.com:8443/base"),
        ("https://10.0.0.5", "https://10.0.0.5"),
    ],
)
def test_allowed_urls(url: str, expected: str) -> None:
    assert check_url_allowed(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://gateway.example.com",
        "http://10.0.0.1:8080",
        "http://[2001:db8::1]",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "ftp://payment.example.com",
        "payment.example.com",
        "https://",
        "https://user:secret@payment.example.com",
        "http://user@127.0.0.1",
        "https://payment.example.com/?a=1",
        "https://payment.example.com/#frag",
        "https://payment.example.com:port",
        "https://pay ment.example.com",
        "",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_url_allowed(url, "login_url")
    message = str(info.value)
    assert message.endswith(".")
    assert "\n" not in message
    assert "secret" not in message


def test_plain_http_refusal_names_the_rule() -> None:
    with pytest.raises(ValidationError) as info:
        check_url_allowed("http://gateway.example.com/")
    assert str(info.value) == (
        "Plain http is only allowed for this computer (127.0.0.1 or localhost); "
        "use https for gateway.example.com."
    )


# -- paths --------------------------------------------------------------------------------------


def test_paths() -> None:
    assert LOGIN_PATH == "/api/v2/login"
    assert (
        offline_upload_path("8527", TxKind.SALE) == "/gateway/v3/stores/8527/payment/offline/sale"
    )
    assert (
        offline_upload_path("8527", TxKind.VOID) == "/gateway/v3/stores/8527/payment/offline/void"
    )
    assert (
        offline_upload_path("8527", TxKind.REFUND)
        == "/gateway/v3/stores/8527/payment/offline/refund"
    )
    assert query_path("8527", "a/b c") == "/gateway/v3/stores/8527/query/transactions/a%2Fb%20c"
    assert card_block_path("8527", "add") == "/gateway/v3/stores/8527/card_block/add"
    assert card_block_path("8527", "del") == "/gateway/v3/stores/8527/card_block/del"
    with pytest.raises(ValueError, match="add"):
        card_block_path("8527", "drop")  # type: ignore[arg-type]


# -- request bodies ------------------------------------------------------------------------------


def test_login_body() -> None:
    assert login_body("u@example.com", "pw", "cid", "csec") == {
        "username": "u@example.com",
        "password": "pw",
        "grant_type": "password",
        "client_id": "cid",
        "client_secret": "csec",
    }


@pytest.mark.parametrize(
    ("card_data", "expected_card"),
    [
        (
            card("manual", cvv="737", holder_name="CHAN TAI MAN"),
            {
                "card_reader_mode": "manual",
                "card_number": VISA,
                "card_exp_date": "2412",
                "cvv": "737",
                "card_holder_name": "CHAN TAI MAN",
            },
        ),
        (
            card("swipe", track2=TRACK2),
            {
                "card_reader_mode": "swipe",
                "card_number": VISA,
                "card_exp_date": "2412",
                "card_track2": TRACK2,
            },
        ),
        (
            card("contact", track2=TRACK2, card_sn="001", icc_request="9F2608ABCD"),
            {
                "card_reader_mode": "contact",
                "card_number": VISA,
                "card_exp_date": "2412",
                "card_track2": TRACK2,
                "card_sn": "001",
                "icc_request": "9F2608ABCD",
            },
        ),
        (
            card("contactless", track2=TRACK2, card_sn="002", icc_request="9F27", holder_name=""),
            {
                "card_reader_mode": "contactless",
                "card_number": VISA,
                "card_exp_date": "2412",
                "card_track2": TRACK2,
                "card_sn": "002",
                "icc_request": "9F27",
            },
        ),
    ],
)
def test_sale_item_for_each_reader_mode(card_data: CardData, expected_card: dict[str, str]) -> None:
    body = upload_item(sale(card_data, sn="SN-1"))
    assert body == {
        "uuid": "6f1c2b1e-2f4a-4c1e-9a55-0b7f3b0a9c11",
        "transaction_type": "sale",
        "payment_method": "credit_card",
        "amount": "12.50",
        "currency": "HKD",
        "sn": "SN-1",
        "credit_card": expected_card,
        "date_time": "2024-03-25T17:06:31+08:00",
    }


def test_sale_item_optional_fields() -> None:
    body = upload_item(sale(card("manual"), tips=Decimal("2"), auth_code="A1B2C3"))
    assert body["tips_amount"] == "2.00"
    assert body["offline_auth_code"] == "A1B2C3"
    assert "sn" not in body
    plain = upload_item(sale(card("manual"), sn=""))
    assert "tips_amount" not in plain
    assert "offline_auth_code" not in plain
    assert "sn" not in plain


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("12.5"), "HKD", "12.50"),
        (Decimal("1200"), "JPY", "1200"),
        (Decimal("1.234"), "KWD", "1.234"),
        (Decimal("0.5"), "KWD", "0.500"),
    ],
)
def test_amounts_use_the_currency_minor_digits(
    amount: Decimal, currency: str, expected: str
) -> None:
    body = upload_item(sale(card("manual"), amount=amount, currency=currency))
    assert body["amount"] == expected
    assert body["currency"] == currency
    refund = upload_item(other(TxKind.REFUND, amount=amount, currency=currency))
    assert refund["amount"] == expected


def test_date_time_keeps_the_capture_offset() -> None:
    utc = upload_item(sale(card("manual"), captured_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert utc["date_time"] == "2024-01-02T03:04:05+00:00"
    minus = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
    assert upload_item(other(TxKind.VOID, captured_at=minus))["date_time"] == (
        "2024-01-02T03:04:05-05:30"
    )


def test_naive_capture_time_is_refused() -> None:
    naive = sale(card("manual"), captured_at=datetime(2024, 1, 2, 3, 4, 5))
    with pytest.raises(ValidationError, match="time zone"):
        upload_item(naive)


def test_void_item_has_no_amount() -> None:
    assert upload_item(other(TxKind.VOID, amount=Decimal("5"), sn="SN-1")) == {
        "uuid": "0b7f3b0a-9c11-4c1e-9a55-6f1c2b1e2f4a",
        "transaction_type": "void",
        "origin_brn": "BRN0001",
        "date_time": "2024-03-25T17:06:31+08:00",
    }


def test_refund_item() -> None:
    item = other(TxKind.REFUND, amount=Decimal("3.2"), currency="HKD", sn="SN-1")
    assert upload_item(item) == {
        "uuid": "0b7f3b0a-9c11-4c1e-9a55-6f1c2b1e2f4a",
        "transaction_type": "refund",
        "amount": "3.20",
        "currency": "HKD",
        "origin_brn": "BRN0001",
        "date_time": "2024-03-25T17:06:31+08:00",
    }


def test_void_or_refund_without_brn_is_refused() -> None:
    with pytest.raises(ValidationError, match="BRN"):
        upload_item(other(TxKind.VOID, origin_brn=None))
    with pytest.raises(ValidationError, match="amount"):
        upload_item(other(TxKind.REFUND))


def test_upload_body_batch_rules() -> None:
    body = upload_body([sale(card("manual")), sale(card("manual"), uuid="u-2")])
    assert [t["uuid"] for t in body["transactions"]] == [
        "6f1c2b1e-2f4a-4c1e-9a55-0b7f3b0a9c11",
        "u-2",
    ]
    with pytest.raises(ValueError, match="one kind"):
        upload_body([sale(card("manual")), other(TxKind.VOID)])
    with pytest.raises(ValueError, match="1 to 1000"):
        upload_body([])
    with pytest.raises(ValueError, match="1 to 1000"):
        upload_body([other(TxKind.VOID, uuid=f"u{i}") for i in range(1001)])


def test_card_block_body() -> None:
    assert card_block_body([VISA]) == {"card_numbers": [VISA]}
    with pytest.raises(ValueError, match="1 to 1000"):
        card_block_body([VISA] * 1001)


# -- bytes, signature, headers -------------------------------------------------------------------


def test_encode_body_is_compact_utf8() -> None:
    assert encode_body({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'.encode()


def test_signature_known_vector() -> None:
    # RFC 4231 test case 2
    assert sign_body(b"what do ya want for nothing?", "Jefe") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    body = encode_body({"transactions": []})
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign_body(body, "s3cret") == expected


DEVICE = DeviceInfo(
    device_id="PC-0001",
    time_zone="Asia/Hong_Kong",
    app_version="0.1.0",
    device_model="Dell Optiplex",
    system_version="Windows 11",
)


def test_common_headers() -> None:
    now = datetime(2021, 3, 25, 9, 6, 31, tzinfo=UTC)
    headers = common_headers(DEVICE, "tok-123", now)
    assert headers == {
        "Content-Type": "application/json; charset=UTF-8",
        "Accept": "application/json",
        "X-USER-TIME-ZONE": "Asia/Hong_Kong",
        "X-USER-DATE-TIME": "2021/03/25 17:06:31",
        "X-USER-APP-TYPE": "Edge Uploader",
        "X-USER-APP-VERSION": "0.1.0",
        "X-USER-DEVICE-TYPE": "STORE_PC",
        "X-USER-DEVICE-ID": "PC-0001",
        "X-USER-DEVICE-MODEL": "Dell Optiplex",
        "X-USER-SYSTEM-VERSION": "Windows 11",
        "X-USER-ACCESS-TOKEN": "tok-123",
    }
    assert "X-USER-ACCESS-TOKEN" not in common_headers(DEVICE, None, now)


def test_header_values_are_plain_ascii() -> None:
    device = DeviceInfo(
        device_id="PC\r\nX-Evil: 1",
        time_zone="Not/AZone",
        app_version="0.1.0",
        device_model="Café",
        system_version="Linux",
    )
    headers = common_headers(device, None, datetime(2021, 3, 25, 9, 6, 31, tzinfo=UTC))
    assert headers["X-USER-DEVICE-ID"] == "PC??X-Evil: 1"
    assert headers["X-USER-DEVICE-MODEL"] == "Caf?"
    assert len(headers["X-USER-DATE-TIME"]) == len("2021/03/25 17:06:31")


# -- responses ------------------------------------------------------------------------------------


def result(uuid: str, state: str = "success", **extra: Any) -> dict[str, Any]:
    return {"uuid": uuid, "transaction_state": state, "brn": f"B-{uuid}", **extra}


def test_parse_upload_response() -> None:
    payload = {
        "transactions": [
            result("u1", date_time="2024-03-25T17:06:31+08:00", duplicate=True),
            result("u2", "failed", error_code="110004", error_desc="Insufficient Funds", brn=None),
            result("u3", "pending"),
        ]
    }
    parsed = parse_upload_response(payload, ["u1", "u2", "u3"])
    assert [(r.uuid, r.state, r.duplicate) for r in parsed] == [
        ("u1", "success", True),
        ("u2", "failed", False),
        ("u3", "pending", False),
    ]
    assert parsed[0].brn == "B-u1"
    assert parsed[0].date_time == "2024-03-25T17:06:31+08:00"
    assert (parsed[1].error_code, parsed[1].error_desc, parsed[1].brn) == (
        "110004",
        "Insufficient Funds",
        None,
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"transactions": [result("u1")]},  # one missing
        {"transactions": [result("u2"), result("u1")]},  # wrong order
        {"transactions": [result("u1"), result("zz")]},  # other uuid
        {"transactions": [result("u1"), result("u2", "done")]},  # unknown state
        {"transactions": [result("u1"), result("u2", duplicate="yes")]},
        {"transactions": [result("u1"), "u2"]},
        {"transactions": None},
        {},
        [],
        "ok",
    ],
)
def test_upload_response_not_matching_the_request(payload: object) -> None:
    with pytest.raises(ProtocolError):
        parse_upload_response(payload, ["u1", "u2"])


def test_parse_query_response() -> None:
    payload = {
        "transaction": {
            "uuid": "u1",
            "brn": "B1",
            "transaction_state": "success",
            "is_voided": True,
            "refunded_amount": "2",
            "credit_card": {"card_number": "411111******1111"},
        }
    }
    answer = parse_query_response(payload, "u1")
    assert (answer.uuid, answer.brn, answer.state, answer.is_voided, answer.refunded_amount) == (
        "u1",
        "B1",
        "success",
        True,
        "2",
    )
    assert parse_query_response(payload, "B1").uuid == "u1"
    with pytest.raises(ProtocolError):
        parse_query_response(payload, "u9")
    with pytest.raises(ProtocolError):
        parse_query_response({"transaction": {"uuid": "u1", "transaction_state": "?"}})
    with pytest.raises(ProtocolError):
        parse_query_response({"result": {}})


def test_parse_card_block_response() -> None:
    assert parse_card_block_response({"card_block": {"state": "success", "count": 3}}) == 3
    bad_payloads: list[object] = [
        {"card_block": {"state": "failed", "count": 3}},
        {"card_block": {"state": "success", "count": "3"}},
        {"card_block": {"state": "success", "count": True}},
        {"card_block": {"state": "success"}},
        {},
        None,
    ]
    for bad in bad_payloads:
        with pytest.raises(ProtocolError):
            parse_card_block_response(bad)


def test_parse_login_response() -> None:
    assert parse_login_response({"user": {"access_token": "abc", "id": 1}}) == "abc"
    bad_payloads: list[object] = [
        {"user": {"access_token": ""}},
        {"user": {}},
        {"token": "x"},
        "abc",
    ]
    for bad in bad_payloads:
        with pytest.raises(ProtocolError) as info:
            parse_login_response(bad)
        assert "abc" not in str(info.value)


def test_parse_error_body() -> None:
    assert parse_error_body({"error_code": "100005", "error_desc": "Processing Rule Required"}) == (
        "100005",
        "Processing Rule Required",
        [],
    )
    assert parse_error_body({"error_code": 100001, "invalid_card_numbers": [VISA, 7]}) == (
        "100001",
        None,
        [VISA],
    )
    assert parse_error_body({"message": "bad login"}) == (None, "bad login", [])
    assert parse_error_body("<html>") == (None, None, [])
    assert parse_error_body(json.loads("null")) == (None, None, [])
