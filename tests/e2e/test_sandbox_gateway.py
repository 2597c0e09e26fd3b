"""The embedded sandbox gateway, driven over real loopback HTTP with plain httpx.

It is the reference the client is tested against, so each rule of the gateway contract gets a
test here: login, idempotency, void/refund rules, pending, card_block, faults, admin endpoints.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge_app.sandbox.cli import add_arguments, options_from_args, run
from edge_app.sandbox.server import SandboxGateway, SandboxOptions

VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
DECLINED = "4000000000000002"
BAD_LUHN = "4111111111111112"
STORE = "store-1"
PAY = f"/gateway/v3/stores/{STORE}/payment/offline"
QUERY = f"/gateway/v3/stores/{STORE}/query/transactions"
BLOCK = f"/gateway/v3/stores/{STORE}/card_block"
CAPTURED = "2024-05-01T10:15:00+08:00"
PASSWORD = "sandbox"


# --- helpers ------------------------------------------------------------------------------------


class Session:
    """A logged-in httpx client for the sandbox (adds the token and, if given, the signature)."""

    def __init__(self, url: str, password: str = PASSWORD, secret: str | None = None) -> None:
        self.http = httpx.Client(base_url=url, timeout=5.0)
        self.secret = secret
        self.token = ""
        self.login(password)

    def login(self, password: str = PASSWORD) -> httpx.Response:
        response = self.http.post(
            "/api/v2/login",
            json={
                "username": "cashier@example.com",
                "password": password,
                "grant_type": "password",
                "client_id": "sandbox",
                "client_secret": "sandbox",
            },
        )
        if response.status_code == 200:
            self.token = response.json()["user"]["access_token"]
        return response

    def headers(self, body: bytes) -> dict[str, str]:
        headers = {
            "X-USER-ACCESS-TOKEN": self.token,
            "Content-Type": "application/json; charset=UTF-8",
        }
        if self.secret is not None:
            headers["X-SIGNATURE"] = hmac.new(
                self.secret.encode(), body, hashlib.sha256
            ).hexdigest()
        return headers

    def post(self, path: str, doc: Any) -> httpx.Response:
        body = json.dumps(doc).encode()
        return self.http.post(path, content=body, headers=self.headers(body))

    def upload(self, kind: str, items: list[dict[str, Any]]) -> httpx.Response:
        return self.post(f"{PAY}/{kind}", {"transactions": items})

    def results(self, kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.upload(kind, items)
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["transactions"]
        return results

    def query(self, ident: str) -> httpx.Response:
        return self.http.get(f"{QUERY}/{ident}", headers=self.headers(b""))

    def close(self) -> None:
        self.http.close()


def sale(
    card: str = VISA, amount: str = "12.50", currency: str = "HKD", **extra: Any
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "transaction_type": "sale",
        "payment_method": "credit_card",
        "amount": amount,
        "currency": currency,
        "date_time": CAPTURED,
        "credit_card": {
            "card_reader_mode": "manual",
            "card_number": card,
            "card_exp_date": "2912",
            "cvv": "123",
        },
    }
    item.update(extra)
    return item


def void(origin_brn: str) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "transaction_type": "void",
        "origin_brn": origin_brn,
        "date_time": CAPTURED,
    }


def refund(origin_brn: str, amount: str, currency: str = "HKD") -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "transaction_type": "refund",
        "amount": amount,
        "currency": currency,
        "origin_brn": origin_brn,
        "date_time": CAPTURED,
    }


@pytest.fixture
def sandbox_gateway() -> Iterator[SandboxGateway]:
    with SandboxGateway(SandboxOptions(seed=11, pending_seconds=0.2)) as server:
        yield server


@pytest.fixture
def sandbox_session(sandbox_gateway: SandboxGateway) -> Iterator[Session]:
    session = Session(sandbox_gateway.url)
    yield session
    session.close()


def sold(session: Session, **kwargs: Any) -> dict[str, Any]:
    """Upload one sale and return its successful result."""
    [result] = session.results("sale", [sale(**kwargs)])
    assert result["transaction_state"] == "success"
    return result


# --- login ----------------------------------------------------------------------------------------


def test_login_accepts_any_username_with_the_password(sandbox_gateway: SandboxGateway) -> None:
    with httpx.Client(base_url=sandbox_gateway.url) as http:
        ok = http.post("/api/v2/login", json={"username": "anyone", "password": "sandbox"})
        wrong = http.post("/api/v2/login", json={"username": "anyone", "password": "nope"})
        garbage = http.post("/api/v2/login", content=b"not json")
    assert ok.status_code == 200
    user = ok.json()["user"]
    assert user["access_token"]
    assert isinstance(user["id"], int)
    assert user["name"] == "anyone"
    assert wrong.status_code == 401
    assert wrong.json() == {"error_code": "100001", "error_desc": "Invalid username or password"}
    assert garbage.status_code == 400
    assert sandbox_gateway.received()["logins"] == 1


def test_a_new_login_invalidates_the_previous_token(sandbox_gateway: SandboxGateway) -> None:
    first = Session(sandbox_gateway.url)
    second = Session(sandbox_gateway.url)
    try:
        assert first.token != second.token
        assert first.query("missing").status_code == 401
        assert second.query("missing").status_code == 404
    finally:
        first.close()
        second.close()


def test_requests_without_a_valid_token_get_401(sandbox_session: Session) -> None:
    body = json.dumps({"transactions": [sale()]}).encode()
    no_token = sandbox_session.http.post(f"{PAY}/sale", content=body)
    bad_token = sandbox_session.http.post(
        f"{PAY}/sale", content=body, headers={"X-USER-ACCESS-TOKEN": "0" * 32}
    )
    assert no_token.status_code == 401
    assert bad_token.status_code == 401


# --- offline upload -----------------------------------------------------------------------------


def test_sale_batch_succeeds_in_order_with_unique_brns(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    items = [sale(), sale(card=MASTERCARD, amount="3"), sale(amount="1200", currency="JPY")]
    results = sandbox_session.results("sale", items)
    assert [r["uuid"] for r in results] == [i["uuid"] for i in items]
    assert all(r["transaction_state"] == "success" and r["duplicate"] is False for r in results)
    assert len({r["brn"] for r in results}) == 3
    assert all(r["brn"] for r in results)
    seen = sandbox_gateway.received()["transactions"][items[1]["uuid"]]
    assert seen["kind"] == "sale"
    assert (seen["count"], seen["processed"], seen["state"]) == (1, 1, "success")
    assert seen["masked_card"] == "555555******4444"
    assert MASTERCARD not in json.dumps(sandbox_gateway.received()["transactions"])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"items": []}', 400),
        (b'{"transactions": {}}', 400),
        (b'{"transactions": []}', 400),
        (b"[]", 400),
    ],
)
def test_malformed_upload_body_is_refused_whole(
    sandbox_gateway: SandboxGateway, sandbox_session: Session, body: bytes, status: int
) -> None:
    response = sandbox_session.http.post(
        f"{PAY}/sale", content=body, headers=sandbox_session.headers(body)
    )
    assert response.status_code == status
    assert response.json()["error_code"] == "100001"


def test_more_than_1000_items_is_413_and_nothing_is_processed(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    response = sandbox_session.upload("sale", [sale() for _ in range(1001)])
    assert response.status_code == 413
    assert sandbox_gateway.received()["transactions"] == {}


def _without_track2(item: dict[str, Any]) -> None:
    item["credit_card"]["card_reader_mode"] = "swipe"


def _contact_without_sn(item: dict[str, Any]) -> None:
    item["credit_card"].update(card_reader_mode="contact", card_track2="4111111111111111=2912")
    item["credit_card"]["icc_request"] = "9F2608"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda i: i.update(uuid="not-a-uuid"),
        lambda i: i.update(transaction_type="refund"),
        lambda i: i.update(amount="12.5.0"),
        lambda i: i.update(amount=12.5),
        lambda i: i.update(amount="1.234"),  # HKD has two minor digits
        lambda i: i.update(amount="0"),
        lambda i: i.update(currency="hkd"),
        lambda i: i.update(date_time="2024-05-01 10:15:00"),
        lambda i: i["credit_card"].update(card_number=BAD_LUHN),
        lambda i: i["credit_card"].update(card_exp_date="0925"[:3]),
        lambda i: i["credit_card"].update(card_exp_date="2913"),
        lambda i: i.pop("credit_card"),
        _without_track2,
        _contact_without_sn,
    ],
)
def test_a_malformed_item_fails_alone(
    sandbox_gateway: SandboxGateway, sandbox_session: Session, spoil: Any
) -> None:
    bad, good = sale(), sale()
    spoil(bad)
    results = sandbox_session.results("sale", [bad, good])
    assert results[0]["transaction_state"] == "failed"
    assert results[0]["error_code"] == "100001"
    assert VISA not in results[0]["error_desc"]
    assert results[1]["transaction_state"] == "success"
    assert sandbox_gateway.received()["transactions"][bad["uuid"]]["processed"] == 0


def test_card_present_sale_with_required_fields_succeeds(sandbox_session: Session) -> None:
    item = sale()
    item["credit_card"].update(
        card_reader_mode="contactless",
        card_track2="4111111111111111=2912",
        card_sn="01",
        icc_request="9F2608AABBCCDD",
    )
    item.update(offline_auth_code="123456", sn="POS-1", tips_amount="1.00")
    [result] = sandbox_session.results("sale", [item])
    assert result["transaction_state"] == "success"


def test_void_and_refund_items_are_checked_for_their_own_fields(sandbox_session: Session) -> None:
    brn = sold(sandbox_session)["brn"]
    no_origin = void(brn)
    del no_origin["origin_brn"]
    sale_on_void = sale()
    refund_bad_amount = refund(brn, "-1")
    [r1, r2] = sandbox_session.results("void", [no_origin, sale_on_void])
    [r3] = sandbox_session.results("refund", [refund_bad_amount])
    assert [r1["error_code"], r2["error_code"], r3["error_code"]] == ["100001"] * 3


def test_same_uuid_same_content_is_a_duplicate_not_processed_again(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    item = sale()
    [first] = sandbox_session.results("sale", [item])
    [again] = sandbox_session.results("sale", [dict(item)])
    assert again["duplicate"] is True
    assert first["duplicate"] is False
    assert again["brn"] == first["brn"]
    assert again["transaction_state"] == "success"
    seen = sandbox_gateway.received()["transactions"][item["uuid"]]
    assert (seen["count"], seen["processed"]) == (2, 1)


def test_same_uuid_other_content_fails_the_item(sandbox_session: Session) -> None:
    item = sale()
    sandbox_session.results("sale", [item])
    [reused] = sandbox_session.results("sale", [{**item, "amount": "99.00"}])
    assert reused["transaction_state"] == "failed"
    assert reused["error_code"] == "100001"
    assert reused["error_desc"] == "uuid reused with different content"
    assert reused["duplicate"] is False


def test_malformed_item_is_not_held_so_a_fixed_resend_is_processed(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    item = sale(amount="1.234")
    [bad] = sandbox_session.results("sale", [item])
    [fixed] = sandbox_session.results("sale", [{**item, "amount": "1.23"}])
    assert bad["transaction_state"] == "failed"
    assert fixed["transaction_state"] == "success"
    assert fixed["duplicate"] is False
    seen = sandbox_gateway.received()["transactions"][item["uuid"]]
    assert (seen["count"], seen["processed"]) == (2, 1)


def test_declined_card_fails_with_110003(sandbox_gateway: SandboxGateway) -> None:
    sandbox_gateway.set_options(decline_cards=frozenset({DECLINED}))
    session = Session(sandbox_gateway.url)
    try:
        [declined, fine] = session.results("sale", [sale(card=DECLINED), sale()])
        [again] = session.results("sale", [sale(card=DECLINED)])
    finally:
        session.close()
    assert declined["transaction_state"] == "failed"
    assert declined["error_code"] == "110003"
    assert declined["error_desc"] == "Rejected By Issuer"
    assert declined["brn"] is None  # only a success (or pending) gets a BRN
    assert again["error_code"] == "110003"
    assert fine["transaction_state"] == "success"


def test_void_rules(sandbox_session: Session) -> None:
    brn = sold(sandbox_session)["brn"]
    [voided] = sandbox_session.results("void", [void(brn)])
    [twice] = sandbox_session.results("void", [void(brn)])
    [unknown] = sandbox_session.results("void", [void("123456789")])
    [refund_after] = sandbox_session.results("refund", [refund(brn, "1.00")])
    assert voided["transaction_state"] == "success"
    assert voided["brn"]
    assert voided["brn"] != brn
    assert twice["error_code"] == "100001"
    assert unknown["error_code"] == "100013"
    assert unknown["error_desc"] == "No Record"
    assert refund_after["error_code"] == "100001"
    original = sandbox_session.query(brn).json()["transaction"]
    assert original["is_voided"] is True


def test_refund_rules(sandbox_session: Session) -> None:
    brn = sold(sandbox_session, amount="10.00")["brn"]
    [part] = sandbox_session.results("refund", [refund(brn, "4.00")])
    [rest] = sandbox_session.results("refund", [refund(brn, "6")])
    [over] = sandbox_session.results("refund", [refund(brn, "0.01")])
    other = sold(sandbox_session, amount="10.00")["brn"]
    [currency] = sandbox_session.results("refund", [refund(other, "1.00", currency="USD")])
    [unknown] = sandbox_session.results("refund", [refund("42", "1.00")])
    [void_after] = sandbox_session.results("void", [void(brn)])
    assert part["transaction_state"] == "success"
    assert rest["transaction_state"] == "success"
    assert (over["error_code"], over["error_desc"]) == ("100015", "Transaction Amount Exceeded")
    assert (currency["error_code"], currency["error_desc"]) == (
        "100016",
        "The Currency Is Not Matched",
    )
    assert unknown["error_code"] == "100013"
    assert void_after["error_code"] == "100001"
    queried = sandbox_session.query(brn).json()["transaction"]
    assert queried["refunded_amount"] == "10.00"
    assert queried["is_voided"] is False


def test_refund_in_one_batch_counts_earlier_items(sandbox_session: Session) -> None:
    brn = sold(sandbox_session, amount="5.00")["brn"]
    results = sandbox_session.results("refund", [refund(brn, "3.00"), refund(brn, "3.00")])
    assert [r["transaction_state"] for r in results] == ["success", "failed"]
    assert results[1]["error_code"] == "100015"


def test_pending_sale_resolves_after_pending_seconds(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    sandbox_gateway.set_options(pending_rate=1.0, pending_seconds=0.2)
    item = sale()
    [result] = sandbox_session.results("sale", [item])
    assert result["transaction_state"] == "pending"
    assert result["brn"]
    assert (
        sandbox_session.query(item["uuid"]).json()["transaction"]["transaction_state"] == "pending"
    )
    time.sleep(0.3)
    queried = sandbox_session.query(result["brn"]).json()["transaction"]
    assert queried["transaction_state"] == "success"
    [again] = sandbox_session.results("sale", [item])
    assert (again["transaction_state"], again["duplicate"]) == ("success", True)


def test_void_of_a_pending_sale_is_refused_without_being_held(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    sandbox_gateway.set_options(pending_rate=1.0, pending_seconds=0.2)
    [pending] = sandbox_session.results("sale", [sale()])
    item = void(pending["brn"])
    [early] = sandbox_session.results("void", [item])
    time.sleep(0.3)
    [later] = sandbox_session.results("void", [item])
    assert early["transaction_state"] == "failed"
    assert early["error_code"] == "100024"  # transient: ask again later
    assert later["transaction_state"] == "success"
    assert later["duplicate"] is False


# --- query ----------------------------------------------------------------------------------------


def test_query_by_uuid_and_brn(sandbox_session: Session) -> None:
    item = sale(card=MASTERCARD, amount="7.5")
    result = sandbox_session.results("sale", [item])[0]
    by_uuid = sandbox_session.query(item["uuid"])
    by_brn = sandbox_session.query(result["brn"])
    assert by_uuid.status_code == 200
    assert by_uuid.json() == by_brn.json()
    transaction = by_uuid.json()["transaction"]
    assert transaction["uuid"] == item["uuid"]
    assert transaction["brn"] == result["brn"]
    assert transaction["transaction_type"] == "sale"
    assert transaction["transaction_state"] == "success"
    assert transaction["amount"] == "7.50"
    assert transaction["currency"] == "HKD"
    assert transaction["is_voided"] is False
    assert transaction["refunded_amount"] == "0.00"
    assert transaction["credit_card"] == {"card_number": "555555******4444"}
    assert transaction["error_code"] is None


def test_query_unknown_is_404_no_record(sandbox_session: Session) -> None:
    response = sandbox_session.query(str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json() == {"error_code": "100013", "error_desc": "No Record"}


def test_state_is_kept_per_store(sandbox_session: Session) -> None:
    item = sale()
    sandbox_session.results("sale", [item])
    other = sandbox_session.http.get(
        f"/gateway/v3/stores/store-2/query/transactions/{item['uuid']}",
        headers=sandbox_session.headers(b""),
    )
    assert other.status_code == 404


# --- card block list ------------------------------------------------------------------------------


def test_card_block_add_and_del_have_set_semantics(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    added = sandbox_session.post(f"{BLOCK}/add", {"card_numbers": [VISA, MASTERCARD]})
    added_again = sandbox_session.post(f"{BLOCK}/add", {"card_numbers": [VISA]})
    assert added.status_code == 200
    assert added.json() == {"card_block": {"state": "success", "count": 2}}
    assert added_again.json() == {"card_block": {"state": "success", "count": 1}}
    removed = sandbox_session.post(f"{BLOCK}/del", {"card_numbers": [VISA, DECLINED]})
    assert removed.json() == {"card_block": {"state": "success", "count": 2}}
    listed = sandbox_gateway.received()["card_block"][STORE]
    assert listed == {"list": [MASTERCARD], "add_requests": 2, "del_requests": 1}


def test_card_block_invalid_numbers_apply_nothing(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    response = sandbox_session.post(
        f"{BLOCK}/add", {"card_numbers": [VISA, BAD_LUHN, "12345", MASTERCARD, "4111 1111"]}
    )
    assert response.status_code == 400
    doc = response.json()
    assert doc["error_code"] == "100001"
    assert doc["invalid_card_numbers"] == [BAD_LUHN, "12345", "4111 1111"]
    assert sandbox_gateway.received()["card_block"][STORE]["list"] == []


def test_card_block_with_list_mode_none_is_processing_rule_required(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    sandbox_gateway.set_options(list_mode="none")
    response = sandbox_session.post(f"{BLOCK}/add", {"card_numbers": [VISA]})
    assert response.status_code == 400
    assert response.json() == {"error_code": "100005", "error_desc": "Processing Rule Required"}
    assert sandbox_gateway.received()["card_block"][STORE]["list"] == []


@pytest.mark.parametrize(
    ("doc", "status"),
    [
        ({"card_numbers": []}, 400),
        ({"numbers": [VISA]}, 400),
        ({"card_numbers": VISA}, 400),
        ({"card_numbers": [VISA] * 1001}, 413),
    ],
)
def test_card_block_bad_bodies(sandbox_session: Session, doc: Any, status: int) -> None:
    response = sandbox_session.post(f"{BLOCK}/add", doc)
    assert response.status_code == status
    assert response.json()["error_code"] == "100001"


# --- faults ---------------------------------------------------------------------------------------


def test_latency_is_added_to_every_request(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    started = time.perf_counter()
    sandbox_session.query("x")
    fast = time.perf_counter() - started
    sandbox_gateway.set_options(latency_ms=200)
    started = time.perf_counter()
    sandbox_session.query("x")
    slow = time.perf_counter() - started
    assert slow >= 0.2
    assert fast < 0.2


def _timed_uploads(url: str, sessions: int, items: int) -> tuple[float, list[int]]:
    """Seconds for `sessions` clients each posting one sale batch of `items` at the same time."""
    clients = [Session(url) for _ in range(sessions)]
    for client in clients:  # the sandbox keeps one token: the last login's
        client.token = clients[-1].token
    statuses: list[int] = []
    start = threading.Barrier(sessions + 1)

    def post(client: Session) -> None:
        batch = [sale() for _ in range(items)]
        start.wait()
        statuses.append(client.upload("sale", batch).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    for client in clients:
        client.close()
    return seconds, statuses


def test_strict_mode_processes_one_request_at_a_time_per_store_with_a_cost_per_item() -> None:
    # 100 items at 1 ms each: 0.1 s of processing per request.
    options = SandboxOptions(item_cost_us=1000, one_at_a_time=True)
    with SandboxGateway(options) as strict:
        serial, statuses = _timed_uploads(strict.url, 3, 100)
    assert statuses == [200, 200, 200]
    assert serial >= 0.3  # three turns, one after the other
    with SandboxGateway(SandboxOptions(item_cost_us=1000)) as parallel:
        overlapped, statuses = _timed_uploads(parallel.url, 3, 100)
    assert statuses == [200, 200, 200]
    assert 0.1 <= overlapped < 0.25  # the same cost, in parallel


def test_strict_flag_sets_one_at_a_time_and_a_default_item_cost() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    strict = options_from_args(parser.parse_args(["--strict"]))
    assert strict.one_at_a_time and strict.item_cost_us == 20
    tuned = options_from_args(parser.parse_args(["--strict", "--item-cost-us", "50"]))
    assert tuned.item_cost_us == 50
    plain = options_from_args(parser.parse_args([]))
    assert not plain.one_at_a_time and plain.item_cost_us == 0
    with pytest.raises(ValueError, match="Item cost us"):
        options_from_args(parser.parse_args(["--item-cost-us", "-1"]))


def _statuses(url: str, count: int) -> list[int]:
    with httpx.Client(base_url=url) as http:
        return [http.get(f"{QUERY}/x").status_code for _ in range(count)]


def test_fail_rate_gives_a_reproducible_share_of_5xx() -> None:
    options = SandboxOptions(fail_rate=0.5, seed=3)
    with SandboxGateway(options) as one, SandboxGateway(options) as two:
        first = _statuses(one.url, 80)
        second = _statuses(two.url, 80)
    assert first == second  # same seed, same faults
    failures = [s for s in first if s >= 500]
    assert set(failures) <= {500, 502, 503}
    assert 20 <= len(failures) <= 60
    assert set(first) - {500, 502, 503} == {401}  # the rest reached the auth check


def test_fail_rate_answers_without_processing(sandbox_gateway: SandboxGateway) -> None:
    session = Session(sandbox_gateway.url)
    sandbox_gateway.set_options(fail_rate=1.0)
    try:
        response = session.upload("sale", [sale()])
    finally:
        session.close()
    assert response.status_code in (500, 502, 503)
    assert "error_code" in response.json()
    assert sandbox_gateway.received()["transactions"] == {}


def test_every_nth_request_is_rate_limited(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    sandbox_gateway.reset()
    sandbox_gateway.set_options(rate_limit_every=3)
    responses = [sandbox_session.upload("sale", [sale()]) for _ in range(6)]
    assert [r.status_code for r in responses] == [200, 200, 429, 200, 200, 429]
    assert responses[2].headers["Retry-After"] == "1"
    received = sandbox_gateway.received()["transactions"]  # a 429 processes nothing
    assert [t["processed"] for t in received.values()] == [1, 1, 1, 1]


def test_expire_every_invalidates_the_token_until_the_next_login(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    sandbox_gateway.set_options(expire_every=2)
    assert sandbox_session.query("x").status_code == 404
    assert sandbox_session.query("x").status_code == 401
    assert sandbox_session.query("x").status_code == 401  # the old token stays dead
    assert sandbox_session.login().status_code == 200
    assert sandbox_session.query("x").status_code == 404


def test_dropped_connection_loses_the_response_but_the_batch_is_applied(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    items = [sale(), sale()]
    sandbox_gateway.set_options(drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        sandbox_session.upload("sale", items)
    received = sandbox_gateway.received()["transactions"]
    assert [received[i["uuid"]]["processed"] for i in items] == [1, 1]
    assert [received[i["uuid"]]["state"] for i in items] == ["success", "success"]
    sandbox_gateway.set_options(drop_rate=0.0)
    results = sandbox_session.results("sale", items)
    assert [r["duplicate"] for r in results] == [True, True]
    assert sandbox_session.query(items[0]["uuid"]).status_code == 200  # queries are never dropped


def test_dropped_card_block_is_applied(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    sandbox_gateway.set_options(drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        sandbox_session.post(f"{BLOCK}/add", {"card_numbers": [VISA]})
    assert sandbox_gateway.received()["card_block"][STORE]["list"] == [VISA]


# --- signature ------------------------------------------------------------------------------------


def test_signature_is_required_when_a_secret_is_set() -> None:
    with SandboxGateway(SandboxOptions(signing_secret="s3cret")) as server:
        signed = Session(server.url, secret="s3cret")
        wrong = Session(server.url, secret="other")
        unsigned = Session(server.url)  # logs in last, so all three share its token
        try:
            signed.token = wrong.token = unsigned.token
            assert signed.upload("sale", [sale()]).status_code == 200
            assert signed.query("x").status_code == 404  # GET signs the empty body
            assert wrong.upload("sale", [sale()]).status_code == 401
            assert unsigned.upload("sale", [sale()]).status_code == 401
        finally:
            for session in (signed, wrong, unsigned):
                session.close()
        assert len(server.received()["transactions"]) == 1


# --- admin endpoints and options ------------------------------------------------------------------


def test_admin_endpoints(sandbox_gateway: SandboxGateway, sandbox_session: Session) -> None:
    sandbox_session.results("sale", [sale()])
    admin = sandbox_session.http
    received = admin.get("/_sandbox/received")
    assert received.status_code == 200
    assert received.json() == sandbox_gateway.received()
    assert received.json()["requests"] == {"login": 1, "upload": 1, "query": 0, "card_block": 0}
    assert received.json()["logins"] == 1

    config = admin.post("/_sandbox/config", json={"list_mode": "none", "decline_cards": [VISA]})
    assert config.status_code == 200
    assert "sandbox" not in json.dumps(config.json()["options"]["password"])
    assert sandbox_gateway.options.list_mode == "none"
    assert sandbox_gateway.options.decline_cards == frozenset({VISA})
    assert admin.post("/_sandbox/config", json={"no_such_option": 1}).status_code == 400
    assert admin.post("/_sandbox/config", json={"fail_rate": 2}).status_code == 400

    assert admin.post("/_sandbox/reset").status_code == 200
    after = sandbox_gateway.received()
    assert after["transactions"] == {}
    assert after["requests"] == {"login": 0, "upload": 0, "query": 0, "card_block": 0}


def test_set_options_while_running(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    assert sandbox_session.post(f"{BLOCK}/add", {"card_numbers": [VISA]}).status_code == 200
    sandbox_gateway.set_options(list_mode="none", password="changed")
    assert sandbox_session.post(f"{BLOCK}/add", {"card_numbers": [VISA]}).status_code == 400
    assert sandbox_session.login("sandbox").status_code == 401
    assert sandbox_session.login("changed").status_code == 200
    with pytest.raises(ValueError, match="between 0 and 1"):
        sandbox_gateway.set_options(drop_rate=1.5)
    with pytest.raises(ValueError, match="Unknown sandbox option"):
        sandbox_gateway.set_options(colour="blue")


def test_sandbox_refuses_a_public_interface() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxGateway(host="0.0.0.0")


def test_requests_are_logged_without_card_data_and_nothing_goes_to_stderr(
    sandbox_gateway: SandboxGateway,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.INFO, logger="edge_app.sandbox"):
        session = Session(sandbox_gateway.url)
        try:
            session.results("sale", [sale()])
            session.post(f"{BLOCK}/add", {"card_numbers": [MASTERCARD, BAD_LUHN]})
            session.http.get("/nowhere")
        finally:
            session.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "edge_app.sandbox"]
    assert f"POST {PAY}/sale 200" in lines
    assert f"POST {BLOCK}/add 400" in lines
    assert "POST /api/v2/login 200" in lines
    text = "\n".join(lines)
    for secret in (VISA, MASTERCARD, BAD_LUHN, session.token):
        assert secret not in text
    assert capfd.readouterr().err == ""


# --- load -----------------------------------------------------------------------------------------


def test_ten_thousand_records_in_ten_concurrent_batches(
    sandbox_gateway: SandboxGateway, sandbox_session: Session
) -> None:
    batches = [[sale() for _ in range(1000)] for _ in range(10)]
    bodies = [json.dumps({"transactions": b}).encode() for b in batches]
    headers = sandbox_session.headers(b"")
    brns: list[str] = []
    lock = threading.Lock()

    def send(body: bytes) -> None:
        with httpx.Client(base_url=sandbox_gateway.url, timeout=10) as http:
            response = http.post(f"{PAY}/sale", content=body, headers=headers)
        assert response.status_code == 200
        with lock:
            brns.extend(r["brn"] for r in response.json()["transactions"])

    started = time.perf_counter()
    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert len(brns) == 10_000
    assert len(set(brns)) == 10_000
    assert elapsed < 5.0
    assert len(sandbox_gateway.received()["transactions"]) == 10_000


# --- command line ---------------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_arguments_make_options() -> None:
    args = _args(
        "--list-mode",
        "whitelist",
        "--fail-rate",
        "0.2",
        "--decline-cards",
        f"{VISA}, {DECLINED}",
        "--expire-every",
        "5",
        "--signing-secret",
        "k",
    )
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    options = options_from_args(args)
    assert options.list_mode == "whitelist"
    assert options.fail_rate == 0.2
    assert options.decline_cards == frozenset({VISA, DECLINED})
    assert options.expire_every == 5
    assert options.signing_secret == "k"


@pytest.mark.parametrize(
    "argv", [("--host", "0.0.0.0"), ("--host", "192.168.1.5"), ("--drop-rate", "1.5")]
)
def test_cli_refuses_public_hosts_and_bad_rates(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(_args(*argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_cli_serves_until_sigterm() -> None:
    code = (
        "import argparse, sys\n"
        "from edge_app.sandbox.cli import add_arguments, run\n"
        "p = argparse.ArgumentParser(); add_arguments(p)\n"
        "sys.exit(run(p.parse_args(sys.argv[1:])))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--port", "0", "--list-mode", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("Sandbox gateway listening on http://127.0.0.1:")
        assert line.endswith("(password: sandbox, list mode: none)")
        url = line.split()[4]
        response = httpx.post(f"{url}/api/v2/login", json={"username": "u", "password": "sandbox"})
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
