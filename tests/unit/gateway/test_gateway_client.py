"""GatewayClient against httpx.MockTransport: re-login, error mapping, bounded reads, no leaks."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

from edge_app.domain.errors import ValidationError
from edge_app.domain.transactions import CardData, TxKind, UploadItem
from edge_app.gateway.adapter import DeviceInfo, encode_body, sign_body
from edge_app.gateway.client import GatewayClient, GatewayConfig
from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    GatewayError,
    InvalidCardNumbers,
    OutcomeUnknown,
    PermanentError,
    ProtocolError,
    RateLimited,
    StoreConfigurationError,
    TransientError,
)

VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
PASSWORD = "hunter2-Pa55word"
OLD_TOKEN = "old-token-0a9b8c7d6e5f"
SIGNING = "signing-secret-xyz"
BASE = "https://payment.example.com"
LOGIN = "https://login.example.com"
UPLOAD_PATH = "/gateway/v3/stores/8527/payment/offline/sale"
NOW = datetime(2021, 3, 25, 9, 6, 31, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]

DEVICE = DeviceInfo(
    device_id="PC-0001",
    time_zone="Asia/Hong_Kong",
    app_version="0.1.0",
    device_model="Test PC",
    system_version="Linux",
)


class MemoryTokens:
    def __init__(self, token: str | None) -> None:
        self.token = token
        self.saved: list[str] = []

    def load_token(self) -> str | None:
        return self.token

    def save_token(self, token: str) -> None:
        self.token = token
        self.saved.append(token)


class FakeGateway:
    """Logs in with PASSWORD; accepts only the latest token; `answer` decides the rest."""

    def __init__(self, answer: Handler | None = None, token: str = OLD_TOKEN) -> None:
        self.valid_token = token
        self.logins = 0
        self.requests: list[httpx.Request] = []
        self.answer = answer or self.success
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if request.url.path == "/api/v2/login":
            body = json.loads(request.content)
            if body["password"] != PASSWORD:
                return httpx.Response(401, json={"message": "invalid username or password"})
            with self.lock:
                self.logins += 1
                self.valid_token = f"token-{self.logins}-f00d"
            return httpx.Response(200, json={"user": {"access_token": self.valid_token, "id": 1}})
        if request.headers.get("X-USER-ACCESS-TOKEN") != self.valid_token:
            return httpx.Response(401, json={"message": "token invalid"})
        return self.answer(request)

    @staticmethod
    def success(request: httpx.Request) -> httpx.Response:
        if "card_block" in request.url.path:
            count = len(json.loads(request.content)["card_numbers"])
            return httpx.Response(200, json={"card_block": {"state": "success", "count": count}})
        if "/query/" in request.url.path:
            ident = request.url.path.rsplit("/", 1)[1]
            return httpx.Response(
                200,
                json={"transaction": {"uuid": ident, "brn": "B1", "transaction_state": "success"}},
            )
        sent = json.loads(request.content)["transactions"]
        results = [
            {
                "uuid": t["uuid"],
                "transaction_state": "success",
                "brn": f"B-{t['uuid']}",
                "date_time": t["date_time"],
                "duplicate": False,
            }
            for t in sent
        ]
        return httpx.Response(200, json={"transactions": results})

    def payment_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/api/v2/login"]


def make_client(
    gateway: Handler,
    *,
    token: str | None = OLD_TOKEN,
    password: str = PASSWORD,
    **config: Any,
) -> tuple[GatewayClient, MemoryTokens]:
    tokens = MemoryTokens(token)
    settings: dict[str, Any] = {
        "login_url": LOGIN,
        "base_url": BASE,
        "store_id": "8527",
        "client_id": "cid",
        "client_secret": "csec",
        "device": DEVICE,
        "signing_secret": SIGNING,
    }
    settings.update(config)
    client = GatewayClient(
        GatewayConfig(**settings),
        tokens,
        lambda: ("cashier@example.com", password),
        transport=httpx.MockTransport(gateway),
        now=lambda: NOW,
    )
    return client, tokens


def sale(uuid: str = "u-1", number: str = VISA, sn: str | None = None) -> UploadItem:
    return UploadItem(
        uuid=uuid,
        kind=TxKind.SALE,
        captured_at=datetime(2021, 3, 25, 17, 6, 31, tzinfo=timezone(timedelta(hours=8))),
        amount=Decimal("12.50"),
        currency="HKD",
        tips=None,
        card=CardData(
            reader_mode="manual",
            card_number=number,
            expiry="2412",
            cvv="737",
            track2=None,
            card_sn=None,
            icc_request=None,
            holder_name=None,
        ),
        auth_code=None,
        origin_brn=None,
        sn=sn,
    )


@pytest.fixture
def caught_errors() -> Iterator[list[GatewayError]]:
    """Every error a test collects is checked for secrets at the end."""
    errors: list[GatewayError] = []
    yield errors
    for error in errors:
        for text in (str(error), repr(error), str(error.args)):
            for secret in (VISA, MASTERCARD, PASSWORD, OLD_TOKEN, SIGNING, "token-1-f00d", "737"):
                assert secret not in text, (type(error).__name__, text)
            assert "\n" not in text


# -- the happy path -------------------------------------------------------------------------------


def test_upload_sends_signed_body_with_headers() -> None:
    gateway = FakeGateway()
    client, _ = make_client(gateway)
    with client:
        results = client.upload(TxKind.SALE, [sale("u-1", sn="SN-9"), sale("u-2", sn="SN-9")])
    assert [(r.uuid, r.state, r.brn) for r in results] == [
        ("u-1", "success", "B-u-1"),
        ("u-2", "success", "B-u-2"),
    ]
    (request,) = gateway.requests
    assert request.method == "POST"
    assert str(request.url) == BASE + UPLOAD_PATH
    assert request.headers["X-USER-ACCESS-TOKEN"] == OLD_TOKEN
    assert request.headers["X-SIGNATURE"] == sign_body(request.content, SIGNING)
    assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert request.headers["X-USER-DATE-TIME"] == "2021/03/25 17:06:31"
    for name in (
        "X-USER-TIME-ZONE",
        "X-USER-APP-TYPE",
        "X-USER-APP-VERSION",
        "X-USER-DEVICE-TYPE",
        "X-USER-DEVICE-ID",
        "X-USER-DEVICE-MODEL",
        "X-USER-SYSTEM-VERSION",
    ):
        assert request.headers[name]
    body = json.loads(request.content)
    assert [t["uuid"] for t in body["transactions"]] == ["u-1", "u-2"]
    assert body["transactions"][0]["sn"] == "SN-9"
    assert request.content == encode_body(body)


def test_no_signature_without_a_secret() -> None:
    gateway = FakeGateway()
    client, _ = make_client(gateway, signing_secret=None)
    client.upload(TxKind.SALE, [sale()])
    assert "X-SIGNATURE" not in gateway.requests[0].headers


def test_query_and_card_block() -> None:
    gateway = FakeGateway()
    client, _ = make_client(gateway)
    answer = client.query("u-7")
    assert (answer.uuid, answer.state, answer.brn) == ("u-7", "success", "B1")
    assert client.card_block("add", [VISA, MASTERCARD]) == 2
    assert client.card_block("del", []) == 0
    query, block = gateway.requests
    assert query.method == "GET"
    assert query.url.path == "/gateway/v3/stores/8527/query/transactions/u-7"
    assert query.headers["X-SIGNATURE"] == sign_body(b"", SIGNING)
    assert block.url.path == "/gateway/v3/stores/8527/card_block/add"
    assert json.loads(block.content) == {"card_numbers": [VISA, MASTERCARD]}


def test_login_without_a_token_first() -> None:
    gateway = FakeGateway()
    client, tokens = make_client(gateway, token=None)
    client.upload(TxKind.SALE, [sale()])
    login, upload = gateway.requests
    assert str(login.url) == LOGIN + "/api/v2/login"
    assert json.loads(login.content) == {
        "username": "cashier@example.com",
        "password": PASSWORD,
        "grant_type": "password",
        "client_id": "cid",
        "client_secret": "csec",
    }
    assert "X-USER-ACCESS-TOKEN" not in login.headers
    assert upload.headers["X-USER-ACCESS-TOKEN"] == "token-1-f00d"
    assert tokens.saved == ["token-1-f00d"]


def test_explicit_login_keeps_the_token() -> None:
    gateway = FakeGateway()
    client, tokens = make_client(gateway, password="not-used")
    assert client.login("boss@example.com", PASSWORD) == "token-1-f00d"
    assert tokens.saved == ["token-1-f00d"]
    assert json.loads(gateway.requests[0].content)["username"] == "boss@example.com"


def test_refused_login_is_an_auth_error(caught_errors: list[GatewayError]) -> None:
    client, tokens = make_client(FakeGateway(), password="wrong-password")
    with pytest.raises(AuthError) as info:
        client.login()
    caught_errors.append(info.value)
    assert "wrong-password" not in str(info.value)
    assert tokens.saved == []


def test_unknown_url_rules_apply_at_construction() -> None:
    with pytest.raises(ValidationError, match="Plain http"):
        make_client(FakeGateway(), base_url="http://payment.example.com")
    with pytest.raises(ValidationError):
        make_client(FakeGateway(), login_url="https://user:pw@login.example.com")
    client, _ = make_client(FakeGateway(), base_url="http://127.0.0.1:8765/")
    client.close()


# -- 401 and re-login -----------------------------------------------------------------------------


def test_401_logs_in_once_and_resends_the_same_body() -> None:
    gateway = FakeGateway(token="expired-elsewhere")
    client, tokens = make_client(gateway)
    results = client.upload(TxKind.SALE, [sale()])
    assert results[0].state == "success"
    first, login, second = gateway.requests
    assert login.url.path == "/api/v2/login"
    assert first.content == second.content
    assert first.headers["X-SIGNATURE"] == second.headers["X-SIGNATURE"]
    assert first.headers["X-USER-ACCESS-TOKEN"] == OLD_TOKEN
    assert second.headers["X-USER-ACCESS-TOKEN"] == "token-1-f00d"
    assert gateway.logins == 1
    assert tokens.saved == ["token-1-f00d"]


def test_second_401_is_an_auth_error(caught_errors: list[GatewayError]) -> None:
    def always_401(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": "signature wrong"})

    gateway = FakeGateway(always_401)
    client, _ = make_client(gateway)
    with pytest.raises(AuthError) as info:
        client.upload(TxKind.SALE, [sale()])
    caught_errors.append(info.value)
    assert gateway.logins == 1
    assert len(gateway.payment_requests()) == 2


def test_concurrent_401s_cause_exactly_one_login() -> None:
    barrier = threading.Barrier(4, timeout=5)
    gateway = FakeGateway(token="expired-elsewhere")
    plain = gateway.__call__

    def synchronised(request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-USER-ACCESS-TOKEN") == OLD_TOKEN:
            barrier.wait()  # all four requests carry the stale token before anyone logs in
        return plain(request)

    client, tokens = make_client(synchronised)
    outcomes: list[object] = []

    def work(n: int) -> None:
        try:
            outcomes.append(client.upload(TxKind.SALE, [sale(f"u-{n}")])[0].state)
        except Exception as exc:  # pragma: no cover - reported by the assert below
            outcomes.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes == ["success"] * 4
    assert gateway.logins == 1
    assert tokens.saved == ["token-1-f00d"]


def test_account_disabled_on_401_does_not_log_in(caught_errors: list[GatewayError]) -> None:
    logins: list[httpx.Request] = []

    def disabled(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/login":
            logins.append(request)
            return httpx.Response(200, json={"user": {"access_token": "token-1-f00d"}})
        return httpx.Response(401, json={"error_code": "100003", "error_desc": "Disabled"})

    client, _ = make_client(disabled)
    with pytest.raises(AccountDisabled) as info:
        client.upload(TxKind.SALE, [sale()])
    caught_errors.append(info.value)
    assert logins == []
    assert not info.value.should_retry


def test_credentials_failure_is_an_auth_error(caught_errors: list[GatewayError]) -> None:
    def no_password() -> tuple[str, str]:
        raise LookupError("No gateway password is stored; run 'edge-app login' first.")

    client = GatewayClient(
        GatewayConfig(LOGIN, BASE, "8527", "cid", "csec", DEVICE),
        MemoryTokens(None),
        no_password,
        transport=httpx.MockTransport(FakeGateway()),
    )
    with pytest.raises(AuthError, match="No gateway password") as info:
        client.query("u-1")
    caught_errors.append(info.value)


# -- error mapping --------------------------------------------------------------------------------


def respond(status: int, body: object = None, **kwargs: Any) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(status, **kwargs)
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, **kwargs)
        return httpx.Response(status, json=body, **kwargs)

    return handler


ECHO = f"card {VISA} token {OLD_TOKEN}"  # a careless gateway echoing secrets


@pytest.mark.parametrize(
    ("handler", "expected", "code"),
    [
        (respond(429, {"error_desc": ECHO}, headers={"Retry-After": "7"}), RateLimited, None),
        (respond(500, {"error_desc": ECHO}), TransientError, None),
        (respond(502, b"<html>Bad gateway</html>"), TransientError, None),
        (respond(503), TransientError, None),
        (respond(413, {"error_desc": ECHO}), PermanentError, None),
        (
            respond(400, {"error_code": "100005", "error_desc": "Processing Rule Required"}),
            StoreConfigurationError,
            "100005",
        ),
        (respond(400, {"error_code": "100003", "error_desc": ECHO}), AccountDisabled, "100003"),
        (
            respond(400, {"error_code": "100001", "invalid_card_numbers": [VISA, MASTERCARD]}),
            InvalidCardNumbers,
            "100001",
        ),
        (respond(400, {"error_code": "100001", "error_desc": ECHO}), PermanentError, "100001"),
        (respond(400, {"error_code": "100007", "error_desc": "busy"}), TransientError, "100007"),
        (respond(400, b"<html>nope</html>"), PermanentError, None),
        (
            respond(404, {"error_code": "100013", "error_desc": "No Record"}),
            PermanentError,
            "100013",
        ),
        (respond(403, {"error_desc": ECHO}), AuthError, None),
        (respond(302, headers={"Location": "https://elsewhere.example.com"}), ProtocolError, None),
        (respond(200, b"<!DOCTYPE html><html>captive portal</html>"), ProtocolError, None),
        (respond(200, b'{"transactions": [}'), ProtocolError, None),
        (respond(200, b""), ProtocolError, None),
        (respond(200, b"\xff\xfe"), ProtocolError, None),
        (respond(200, {"transactions": []}), ProtocolError, None),
    ],
)
def test_answers_map_to_typed_errors(
    handler: Handler,
    expected: type[GatewayError],
    code: str | None,
    caught_errors: list[GatewayError],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = make_client(FakeGateway(handler))
    with caplog.at_level(logging.DEBUG, logger="edge_app.gateway"), pytest.raises(expected) as info:
        client.upload(TxKind.SALE, [sale("u-1"), sale("u-2", MASTERCARD)])
    error = info.value
    caught_errors.append(error)
    assert type(error) is expected
    assert error.error_code == code
    assert error.should_retry is issubclass(expected, TransientError)
    assert not isinstance(error, OutcomeUnknown)  # an answer arrived: the outcome is known
    for secret in (VISA, MASTERCARD, OLD_TOKEN, SIGNING, PASSWORD):
        assert secret not in caplog.text
    assert UPLOAD_PATH in caplog.text


def test_rate_limit_carries_retry_after() -> None:
    client, _ = make_client(FakeGateway(respond(429, headers={"Retry-After": "7"})))
    with pytest.raises(RateLimited) as info:
        client.query("u-1")
    assert info.value.retry_after == 7.0
    assert info.value.status == 429
    date = "Thu, 25 Mar 2021 09:07:01 GMT"  # 30 s after NOW
    client, _ = make_client(FakeGateway(respond(429, headers={"Retry-After": date})))
    with pytest.raises(RateLimited) as info:
        client.query("u-1")
    assert info.value.retry_after == 30.0


def test_invalid_card_numbers_are_handed_over_but_not_shown(
    caught_errors: list[GatewayError],
) -> None:
    body = {"error_code": "100001", "invalid_card_numbers": [MASTERCARD]}
    client, _ = make_client(FakeGateway(respond(400, body)))
    with pytest.raises(InvalidCardNumbers) as info:
        client.card_block("add", [VISA, MASTERCARD])
    caught_errors.append(info.value)
    assert info.value.card_numbers == [MASTERCARD]
    assert "1 card number" in str(info.value)


def test_oversized_body_stops_reading(caught_errors: list[GatewayError]) -> None:
    big = b'{"transactions": [' + b" " * 5000 + b"]}"
    client, _ = make_client(FakeGateway(respond(200, big)), max_response_bytes=1024)
    with pytest.raises(ProtocolError, match="larger than 1024 bytes") as info:
        client.upload(TxKind.SALE, [sale()])
    caught_errors.append(info.value)


def test_oversized_streamed_body_without_length_stops_reading() -> None:
    served: list[int] = []

    def chunks() -> Iterator[bytes]:
        for n in range(1000):
            served.append(n)
            yield b" " * 512

    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    client, _ = make_client(FakeGateway(endless), max_response_bytes=2048)
    with pytest.raises(ProtocolError, match="larger than"):
        client.query("u-1")
    assert len(served) < 10


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteTimeout],
)
def test_failure_after_sending_is_outcome_unknown(
    failure: type[httpx.TransportError], caught_errors: list[GatewayError]
) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise failure(f"lost while sending {VISA}", request=request)

    client, _ = make_client(FakeGateway(broken))
    with pytest.raises(OutcomeUnknown) as info:
        client.upload(TxKind.SALE, [sale()])
    caught_errors.append(info.value)
    assert info.value.should_retry


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_failure_before_sending_is_transient_not_unknown(
    failure: type[httpx.TransportError], caught_errors: list[GatewayError]
) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise failure("connection refused", request=request)

    client, _ = make_client(FakeGateway(unreachable))
    with pytest.raises(TransientError) as info:
        client.query("u-1")
    caught_errors.append(info.value)
    assert not isinstance(info.value, OutcomeUnknown)
    assert "payment.example.com" in str(info.value)


def test_connection_lost_while_reading_the_answer_is_outcome_unknown(
    caught_errors: list[GatewayError],
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"transactions": ['
        raise httpx.ReadError("connection reset by peer")

    client, _ = make_client(FakeGateway(lambda request: httpx.Response(200, content=chunks())))
    with pytest.raises(OutcomeUnknown) as info:
        client.upload(TxKind.SALE, [sale()])
    caught_errors.append(info.value)


def test_config_and_client_reprs_hide_secrets() -> None:
    client, _ = make_client(FakeGateway())
    config = GatewayConfig(LOGIN, BASE, "8527", "cid", "csec", DEVICE, signing_secret=SIGNING)
    for text in (repr(config), repr(client)):
        assert SIGNING not in text
        assert "csec" not in text
    client.close()


def test_mixed_kinds_are_a_caller_bug() -> None:
    client, _ = make_client(FakeGateway())
    with pytest.raises(ValueError, match="must be a void"):
        client.upload(TxKind.VOID, [sale()])
    assert client.upload(TxKind.SALE, []) == []


def test_log_lines_name_method_path_status_and_count(caplog: pytest.LogCaptureFixture) -> None:
    client, _ = make_client(FakeGateway(token="expired"), token=OLD_TOKEN)
    with caplog.at_level(logging.INFO, logger="edge_app.gateway"):
        client.upload(TxKind.SALE, [sale("u-1"), sale("u-2")])
    lines = [r.getMessage() for r in caplog.records if r.name == "edge_app.gateway"]
    assert any(
        line.startswith(f"POST {UPLOAD_PATH} -> 401 in") and "(2 items)" in line for line in lines
    )
    assert any(line.startswith("POST /api/v2/login -> 200") for line in lines)
    assert any(line.startswith(f"POST {UPLOAD_PATH} -> 200") for line in lines)
    for secret in (VISA, PASSWORD, OLD_TOKEN, "token-1-f00d", SIGNING):
        assert secret not in caplog.text


# -- the gateway's text and BRNs are checked before anything keeps them (issue 12) ---------------


def _item_results(**fields: Any) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["transactions"]
        results = [
            {"uuid": t["uuid"], "transaction_state": "failed", "duplicate": False, **fields}
            for t in sent
        ]
        return httpx.Response(200, json={"transactions": results})

    return answer


def test_known_secrets_and_the_items_card_data_are_cut_out_of_item_errors() -> None:
    echo = (
        f"bad request token={OLD_TOKEN} password {PASSWORD} client csec-long sign {SIGNING} "
        f"card {VISA} cvv 737 code 1737"
    )
    gateway = FakeGateway(_item_results(error_code="100001", error_desc=echo))
    client, _ = make_client(gateway, client_secret="csec-long")
    with client:
        (result,) = client.upload(TxKind.SALE, [sale()])
    assert result.error_desc is not None
    for secret in (OLD_TOKEN, PASSWORD, "csec-long", SIGNING, VISA, " 737"):
        assert secret not in result.error_desc, result.error_desc
    assert "code 1737" in result.error_desc  # only the CVV as a whole number is hidden
    assert result.error_desc.count("[hidden]") == 6


def test_a_query_answer_hides_the_token_and_password() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ident = request.url.path.rsplit("/", 1)[1]
        entry = {
            "uuid": ident,
            "transaction_state": "failed",
            "error_code": "100013",
            "error_desc": f"no record for {OLD_TOKEN} / {PASSWORD}",
        }
        return httpx.Response(200, json={"transaction": entry})

    client, _ = make_client(FakeGateway(answer))
    with client:
        result = client.query("u-1")
    assert result.error_desc == "no record for [hidden] / [hidden]"


@pytest.mark.parametrize(
    "brn",
    [1e400, 12.5, True, "x" * 1_000_000, "a\tb", "../../etc/passwd", VISA, f"B{VISA}", ["B1"]],
)
def test_a_brn_that_cannot_be_a_reference_is_not_understood(
    brn: object, caught_errors: list[GatewayError]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["transactions"]
        body = [{"uuid": t["uuid"], "transaction_state": "success", "brn": "BRN-OK"} for t in sent]
        body[0]["brn"] = brn
        text = json.dumps({"transactions": body}, allow_nan=True)
        return httpx.Response(200, content=text.encode())

    client, _ = make_client(FakeGateway(answer))
    with client, pytest.raises(ProtocolError) as info:
        client.upload(TxKind.SALE, [sale()])
    caught_errors.append(info.value)
    assert "BRN" in str(info.value)


def test_query_paths_quote_dot_segments() -> None:
    from edge_app.gateway.adapter import query_path

    assert query_path("8527", "..").endswith("/query/transactions/%2E%2E")
    assert query_path("..", "u-1").startswith("/gateway/v3/stores/%2E%2E/")
    assert query_path("8527", "../x").endswith("/transactions/..%2Fx")
