"""Nothing lost, ever: the real client, engine and command line against the sandbox gateway's
answers outside the usual faults (whole-request refusals, forgotten records, lost answers,
success without a BRN, huge Retry-After, a busy database, edits during a sync)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support import (
    MASTERCARD,
    TEST_CVV,
    TEST_KEY,
    VISA,
    capture_sales,
    files_containing,
    listed_cards,
    masked,
)

from edge_app.domain.transactions import TxState
from edge_app.sync.engine import EXIT_DONE, EXIT_NEEDS_PERSON, EXIT_RETRY_LATER

FAST = {"query_interval": 0.1, "pending_wait": 3.0}
AMEX = "378282246310005"


def cli(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_app", "--home", str(home), *args],
        env={**os.environ, "EDGE_APP_DB_KEY": TEST_KEY},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sync_json(home: Path) -> tuple[int, dict[str, Any]]:
    result = cli(home, "sync", "--json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def states(app: Any, uuids: list[str]) -> set[str]:
    return {app.store.get(u).state.value for u in uuids}


@pytest.fixture
def fast_app(online_app: Any) -> Any:
    online_app.update_config(query_interval=0.1, pending_wait=3.0, batch_size=10)
    return online_app


@pytest.mark.parametrize(("status", "code"), [(404, ""), (400, ""), (400, "100001"), (405, "")])
def test_whole_request_refusals_keep_every_sale_and_its_card_data(
    fast_app: Any, gateway: Any, home: Path, status: int, code: str
) -> None:
    """Issue 9, point 1: 24 sales, every request refused as a whole."""
    uuids = capture_sales(fast_app, 24)
    gateway.set_options(refuse_status=status, refuse_code=code)
    returncode, summary = sync_json(home)
    assert returncode == EXIT_NEEDS_PERSON, summary
    assert summary["failed"] == 0 and summary["held"] == 0 and summary["left_queued"] == 24
    assert "base URL" in " ".join(summary["needs_attention"])
    assert states(fast_app, uuids) == {"queued"}
    assert all(fast_app.store.has_card_data(u) for u in uuids)
    assert gateway.received()["transactions"] == {}
    gateway.set_options(refuse_status=0, refuse_code="")
    returncode, summary = sync_json(home)
    assert returncode == EXIT_DONE and summary["uploaded"] == 24
    assert {t["processed"] for t in gateway.received()["transactions"].values()} == {1}


def test_a_wrong_base_url_answering_404_keeps_everything(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    uuids = capture_sales(fast_app, 3)
    fast_app.update_config(base_url=gateway.url + "/not-the-gateway")
    returncode, summary = sync_json(home)
    assert returncode == EXIT_NEEDS_PERSON, summary
    assert "as a whole request" in " ".join(summary["needs_attention"])
    assert states(fast_app, uuids) == {"queued"}
    fast_app.update_config(base_url=gateway.url)
    assert sync_json(home)[0] == EXIT_DONE


def test_one_sale_the_gateway_cannot_take_is_held_and_the_rest_go(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    gateway.set_options(refuse_cards=frozenset({MASTERCARD}))
    good = capture_sales(fast_app, 9)
    bad = capture_sales(fast_app, 1, card=MASTERCARD)[0]
    returncode, summary = sync_json(home)
    assert returncode == EXIT_NEEDS_PERSON, summary
    assert states(fast_app, good) == {"uploaded"} and summary["held"] == 1
    assert fast_app.store.get(bad).state is TxState.HELD
    assert fast_app.store.has_card_data(bad)
    gateway.set_options(refuse_cards=frozenset())
    fast_app.retry_failed(bad)  # the manager's Retry works: the card data is still there
    assert sync_json(home)[0] == EXIT_DONE
    assert fast_app.store.get(bad).state is TxState.UPLOADED


def test_a_pending_record_the_gateway_forgot_is_sent_again(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    """Issue 9, point 2: before, InvalidTransition (exit 1) on this run and every later one."""
    gateway.set_options(pending_rate=1.0, pending_seconds=60)
    uuid = capture_sales(fast_app, 1)[0]
    fast_app.update_config(pending_wait=0.3)
    assert sync_json(home)[0] == EXIT_RETRY_LATER
    assert fast_app.store.get(uuid).state is TxState.PENDING
    assert gateway.forget() == 1
    gateway.set_options(pending_rate=0.0)
    fast_app.blocklist_add([AMEX])
    returncode, summary = sync_json(home)
    assert returncode == EXIT_DONE, summary
    assert fast_app.store.get(uuid).state is TxState.UPLOADED
    assert gateway.received()["card_block"]["store-1"]["list"] == [AMEX]  # reached the list


def test_card_list_edits_during_a_sync_are_kept_and_converge(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    """Issue 9, point 3: the window edits the list while the sync's requests are in flight."""
    fast_app.blocklist_add([VISA, MASTERCARD])
    assert fast_app.sync(**FAST).exit_code == EXIT_DONE
    fast_app.blocklist_add([AMEX])
    fast_app.blocklist_del([VISA])
    gateway.set_options(latency_ms=1500)
    done: list[Any] = []
    syncing = threading.Thread(target=lambda: done.append(fast_app.sync(**FAST)))
    started = time.monotonic()
    syncing.start()
    time.sleep(0.1)  # the delete of VISA is on the wire (until about 1.5 s)
    fast_app.blocklist_add([VISA])  # as the window does, beside the running sync
    assert time.monotonic() - started < 1.5, "the edit must land while the request is in flight"
    time.sleep(max(0.0, 1.8 - (time.monotonic() - started)))  # now the add of AMEX (and VISA)
    fast_app.blocklist_del([AMEX])
    assert time.monotonic() - started < 3.0, "the edit must land while the request is in flight"
    syncing.join(timeout=30)
    gateway.set_options(latency_ms=0)
    assert sync_json(home)[0] == EXIT_DONE
    assert listed_cards(fast_app) == masked({VISA, MASTERCARD})
    assert set(gateway.received()["card_block"]["store-1"]["list"]) == {VISA, MASTERCARD}


def test_a_void_of_a_sale_whose_answer_was_lost_is_uploaded_not_cancelled(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    """Issue 9, point 6: the gateway holds the sale as charged; the void must reach it."""
    gateway.set_options(drop_rate=1.0)
    sale = capture_sales(fast_app, 1)[0]
    assert fast_app.sync(batch_attempts=1, **FAST).exit_code == EXIT_RETRY_LATER
    assert gateway.received()["transactions"][sale]["state"] == "success"  # charged
    void = fast_app.capture_void(sale)
    assert void.state is TxState.QUEUED and void.note is None
    gateway.set_options(drop_rate=0.0)
    returncode, summary = sync_json(home)
    assert returncode == EXIT_DONE, summary
    received = gateway.received()["transactions"]
    assert received[sale]["is_voided"] and received[void.uuid]["state"] == "success"


def test_success_without_a_brn_is_asked_for_before_it_is_final(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    """Issue 9, point 7: the sale gets its BRN, so its refund goes."""
    gateway.set_options(hide_brn_rate=1.0)
    sale = capture_sales(fast_app, 1)[0]
    assert sync_json(home)[0] == EXIT_DONE
    record = fast_app.store.get(sale)
    assert record.state is TxState.UPLOADED
    assert record.brn == gateway.received()["transactions"][sale]["brn"]
    refund = fast_app.capture_refund(sale, "4.00").uuid
    assert sync_json(home)[0] == EXIT_DONE
    assert fast_app.store.get(refund).state is TxState.UPLOADED


def test_a_resend_after_the_device_id_changed_is_the_same_request(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    """Issue 9, point 8: before, 'uuid reused with different content' failed and erased it."""
    gateway.set_options(drop_rate=1.0)
    fast_app.update_config(device_id="0000000000000NEW")
    sale = capture_sales(fast_app, 1)[0]
    assert fast_app.sync(batch_attempts=1, **FAST).exit_code == EXIT_RETRY_LATER
    fast_app.update_config(device_id="00000000000OTHER")
    gateway.set_options(drop_rate=0.0)
    returncode, summary = sync_json(home)
    assert returncode == EXIT_DONE, summary
    assert summary["duplicates"] == 1
    assert fast_app.store.get(sale).state is TxState.UPLOADED


def test_a_huge_retry_after_ends_the_run_quickly_with_try_again_later(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    """Issue 9, point 9: a Retry-After of years is not slept through holding the lock."""
    uuids = capture_sales(fast_app, 2)
    for retry_after in ("99999999", "Wed, 01 Jan 2099 00:00:00 GMT"):
        gateway.set_options(rate_limit_every=1, retry_after=retry_after)
        started = time.monotonic()
        returncode, summary = sync_json(home)
        assert time.monotonic() - started < 15
        assert returncode == EXIT_RETRY_LATER, summary
        assert "asked to wait" in " ".join(summary["retry_later"])
        assert states(fast_app, uuids) == {"queued"}


def _hold_write_lock(home: Path, seconds: float) -> subprocess.Popen[str]:
    """Another program (a long import) holding the database's write lock."""
    code = (
        "import sys, time; from sqlcipher3 import dbapi2 as s\n"
        "c = s.connect(sys.argv[1], isolation_level=None)\n"
        f'c.execute("PRAGMA key = \\"x\'{TEST_KEY}\'\\"")\n'
        "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2])); c.execute('ROLLBACK')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(home / "queue.db"), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_sync_during_a_long_write_by_another_program_waits_then_finishes(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    uuids = capture_sales(fast_app, 3)
    holder = _hold_write_lock(home, 3.0)
    returncode, summary = sync_json(home)
    holder.wait(timeout=30)
    assert returncode == EXIT_DONE, summary
    assert states(fast_app, uuids) == {"uploaded"}


@pytest.mark.slow
def test_a_sync_that_cannot_write_at_all_is_try_again_later_not_bad_input(
    fast_app: Any, gateway: Any, home: Path
) -> None:
    """Issue 9, point 9: before, exit 2 ("bad input") with accepted records left queued."""
    capture_sales(fast_app, 1)
    holder = _hold_write_lock(home, 14.0)
    try:
        result = cli(home, "sync")
    finally:
        holder.wait(timeout=30)
    assert result.returncode == EXIT_RETRY_LATER, result.stderr
    assert "busy" in result.stderr and result.stderr.count("\n") == 1
    assert sync_json(home)[0] == EXIT_DONE


def test_no_card_data_on_disk_after_the_refusals(fast_app: Any, gateway: Any, home: Path) -> None:
    gateway.set_options(refuse_status=404)
    capture_sales(fast_app, 2)
    sync_json(home)
    fast_app.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert files_containing(home, [VISA, TEST_CVV + '"']) == []


def test_sandbox_forget_endpoint(gateway: Any) -> None:
    import httpx

    with httpx.Client(base_url=gateway.url) as admin:
        assert admin.post("/_sandbox/forget").json() == {"forgotten": 0}
        bad = admin.post("/_sandbox/forget", json={"uuids": "x"})
        assert bad.status_code == 400
    with pytest.raises(ValueError, match="Refuse status"):
        gateway.set_options(refuse_status=200)
