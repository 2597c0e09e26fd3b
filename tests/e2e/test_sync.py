"""The real client and engine against the real sandbox gateway over loopback (no mocks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import DECLINED_CARD, MASTERCARD, TEST_CVV, VISA, capture_sales, files_containing

from edge_app.domain.transactions import TxState
from edge_app.sync.engine import EXIT_DONE, EXIT_NEEDS_PERSON, EXIT_RETRY_LATER, CancelToken
from edge_app.sync.lock import SyncLock, SyncLocked

FAST = {"query_interval": 0.1, "pending_wait": 5.0}


def states(app: Any, uuids: list[str]) -> list[str]:
    return [app.store.get(u).state.value for u in uuids]


def test_sales_upload_once_and_card_data_is_erased(
    online_app: Any, gateway: Any, home: Path
) -> None:
    uuids = capture_sales(online_app, 25)
    summary = online_app.sync(batch_size=10, **FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert summary.uploaded == 25
    assert set(states(online_app, uuids)) == {"uploaded"}
    received = gateway.received()["transactions"]
    assert all(received[u]["processed"] == 1 for u in uuids)
    assert all(online_app.store.get(u).brn for u in uuids)
    assert all(not online_app.store.has_card_data(u) for u in uuids)
    online_app.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert files_containing(home, [VISA, TEST_CVV + '"']) == []
    # A second run has nothing to do.
    again = online_app.sync(**FAST)
    assert again.exit_code == EXIT_DONE and again.uploaded == 0


def test_void_and_refund_of_sales_from_the_same_offline_period(
    online_app: Any, gateway: Any
) -> None:
    voided, refunded = capture_sales(online_app, 2, amount="30.00")
    # Make the sales look in flight so the void is queued rather than cancelled locally.
    online_app.sync(**FAST)
    void = online_app.capture_void(voided).uuid
    refund = online_app.capture_refund(refunded, "12.50").uuid
    late_sale = capture_sales(online_app, 1)[0]
    late_refund = online_app.capture_refund(late_sale, "3.00").uuid
    summary = online_app.sync(**FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert states(online_app, [void, refund, late_sale, late_refund]) == ["uploaded"] * 4
    received = gateway.received()["transactions"]
    assert received[void]["kind"] == "void" and received[refund]["kind"] == "refund"
    assert received[late_refund]["processed"] == 1


def test_decline_needs_a_person_and_others_go_through(online_app: Any, gateway: Any) -> None:
    gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    good = capture_sales(online_app, 3)
    bad = capture_sales(online_app, 1, card=DECLINED_CARD)[0]
    summary = online_app.sync(**FAST)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert states(online_app, good) == ["uploaded"] * 3
    record = online_app.store.get(bad)
    assert record.state is TxState.FAILED and record.error_code == "110003"
    assert not online_app.store.has_card_data(bad)
    assert any("Declined" in line for line in summary.needs_attention)
    assert all(DECLINED_CARD not in line for line in summary.needs_attention)


def test_pending_results_are_resolved_by_query(online_app: Any, gateway: Any) -> None:
    gateway.set_options(pending_rate=1.0, pending_seconds=0.3)
    uuids = capture_sales(online_app, 4)
    summary = online_app.sync(**FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert states(online_app, uuids) == ["uploaded"] * 4
    assert gateway.received()["requests"]["query"] >= 4


def test_pending_left_for_next_run_when_wait_is_short(online_app: Any, gateway: Any) -> None:
    gateway.set_options(pending_rate=1.0, pending_seconds=30)
    uuids = capture_sales(online_app, 2)
    summary = online_app.sync(query_interval=0.1, pending_wait=0.3)
    assert summary.exit_code == EXIT_RETRY_LATER
    assert states(online_app, uuids) == ["pending"] * 2


def test_token_expiry_mid_sync_relogs_in(online_app: Any, gateway: Any) -> None:
    gateway.set_options(expire_every=3)
    uuids = capture_sales(online_app, 30)
    logins_before = gateway.received()["logins"]
    summary = online_app.sync(batch_size=5, concurrency=1, **FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert set(states(online_app, uuids)) == {"uploaded"}
    assert gateway.received()["logins"] > logins_before


def test_rate_limit_and_server_errors_are_retried(online_app: Any, gateway: Any) -> None:
    gateway.set_options(rate_limit_every=2)
    uuids = capture_sales(online_app, 12)
    summary = online_app.sync(batch_size=4, concurrency=1, **FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    gateway.set_options(rate_limit_every=0, fail_rate=0.3)
    more = capture_sales(online_app, 12)
    summary = online_app.sync(batch_size=4, concurrency=1, retry_cap=0.2, batch_attempts=10, **FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    received = gateway.received()["transactions"]
    assert all(received[u]["processed"] == 1 for u in uuids + more)


def test_dropped_responses_are_resent_with_same_uuid(online_app: Any, gateway: Any) -> None:
    gateway.set_options(drop_rate=0.5)
    uuids = capture_sales(online_app, 20)
    summary = online_app.sync(batch_size=5, concurrency=1, retry_cap=0.2, batch_attempts=12, **FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    received = gateway.received()["transactions"]
    assert all(received[u]["processed"] == 1 for u in uuids)
    assert any(received[u]["count"] > 1 for u in uuids)  # some really were sent twice
    assert summary.duplicates > 0


def test_gateway_down_leaves_everything_queued(online_app: Any, gateway: Any) -> None:
    uuids = capture_sales(online_app, 3)
    gateway.set_options(fail_rate=1.0)
    summary = online_app.sync(retry_cap=0.05, batch_attempts=3, **FAST)
    assert summary.exit_code == EXIT_RETRY_LATER
    assert states(online_app, uuids) == ["queued"] * 3
    assert summary.retry_later


def test_blocklist_chunks_and_net_effect(online_app: Any, gateway: Any) -> None:
    from edge_app.domain.card import luhn_check_digit

    numbers = [p + luhn_check_digit(p) for p in (f"400000{i:09d}" for i in range(2500))]
    online_app.blocklist_add(numbers)
    online_app.blocklist_add([VISA])
    online_app.blocklist_del([VISA])  # add then delete before a sync: nothing is sent
    summary = online_app.sync(**FAST)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    store_list = gateway.received()["card_block"]["store-1"]
    assert store_list["add_requests"] == 3  # 1000 + 1000 + 500
    assert set(store_list["list"]) == set(numbers)
    assert online_app.store.blocklist_counts() == {"cards": 2500, "pending": 0, "failed": 0}
    online_app.blocklist_del(numbers[:10])
    online_app.sync(**FAST)
    assert len(gateway.received()["card_block"]["store-1"]["list"]) == 2490


def test_store_without_list_mode_keeps_changes_queued(online_app: Any, gateway: Any) -> None:
    gateway.set_options(list_mode="none")
    online_app.blocklist_add([VISA, MASTERCARD])
    summary = online_app.sync(**FAST)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert "Processing Rule Required" in " ".join(summary.needs_attention)
    assert online_app.store.blocklist_counts()["pending"] == 2
    gateway.set_options(list_mode="blacklist")
    assert online_app.sync(**FAST).exit_code == EXIT_DONE
    assert online_app.store.blocklist_counts()["pending"] == 0


def test_cancel_stops_between_batches_and_loses_nothing(online_app: Any, gateway: Any) -> None:
    gateway.set_options(latency_ms=50)
    uuids = capture_sales(online_app, 40)
    cancel = CancelToken()
    seen: list[int] = []

    def progress(p: Any) -> None:
        seen.append(p.done)
        if p.done >= 10:
            cancel.cancel()

    summary = online_app.sync(batch_size=5, concurrency=1, cancel=cancel, progress=progress, **FAST)
    assert summary.cancelled and summary.exit_code == EXIT_RETRY_LATER
    left = states(online_app, uuids)
    assert "uploading" not in left
    assert 0 < left.count("uploaded") < 40
    assert online_app.sync(**FAST).exit_code == EXIT_DONE
    assert set(states(online_app, uuids)) == {"uploaded"}


def test_second_sync_is_told_who_holds_the_lock(online_app: Any, home: Path) -> None:
    with SyncLock(home, "unattended"), pytest.raises(SyncLocked, match="unattended"):
        online_app.sync(**FAST)
