"""The sync engine through its `Gateway` protocol, against every kind of answer a gateway can give.

The store is the real encrypted one; the gateway is `ScriptedGateway` (in memory, contract
semantics, scripted faults). Each test states what must never happen: nothing unconfirmed
becomes final, card data stays while a record may still be sent, and every run ends.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from scripted_gateway import Crash, ScriptedGateway
from sqlcipher3 import dbapi2 as sqlcipher
from support import DECLINED_CARD, MASTERCARD, TEST_KEY, VISA, capture_sales, listed_cards, masked

from edge_app.domain.transactions import CARD_KEPT_STATES, TxKind, TxState
from edge_app.sync.engine import (
    EXIT_DONE,
    EXIT_NEEDS_PERSON,
    EXIT_RETRY_LATER,
    CancelToken,
    SyncEngine,
    SyncOptions,
    SyncSummary,
)
from storage import outbox

AMEX = "378282246310005"
QUICK = SyncOptions(
    batch_size=4,
    concurrency=2,
    query_interval=0.0,
    pending_wait=0.0,
    batch_attempts=3,
    retry_base=0.0,
    retry_cap=0.0,
    busy_wait=2.0,
)


def run(app: Any, gateway: ScriptedGateway, **options: Any) -> SyncSummary:
    """One run, bounded in time: a run that does not end fails the test instead of hanging."""
    engine = SyncEngine(app.store, gateway, _options(**options), cancel=options.pop("cancel", None))
    result: list[SyncSummary] = []
    thread = threading.Thread(target=lambda: result.append(engine.run()), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the sync did not end"
    return result[0]


def _options(**options: Any) -> SyncOptions:
    options.pop("cancel", None)
    return SyncOptions(**{**QUICK.__dict__, **options})


def state(app: Any, uuid: str) -> TxState:
    return app.store.get(uuid).state


def states(app: Any, uuids: list[str]) -> set[str]:
    return {state(app, u).value for u in uuids}


def assert_card_data_matches_states(app: Any) -> None:
    """Card data exists exactly while a sale may still be sent."""
    for record in app.store.list_transactions(limit=10_000):
        has_card = app.store.has_card_data(record.uuid)
        if record.kind is TxKind.SALE:
            assert has_card == (record.state in CARD_KEPT_STATES), record
        else:
            assert not has_card


# -- the happy path -------------------------------------------------------------------------------


def test_accepted_sales_are_final_with_their_brn(app: Any) -> None:
    gateway = ScriptedGateway()
    uuids = capture_sales(app, 10)
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert summary.uploaded == 10 and states(app, uuids) == {"uploaded"}
    assert all(app.store.get(u).brn == gateway.held[u].brn for u in uuids)
    assert sorted(gateway.sent_uuids().values()) == [1] * 10
    assert_card_data_matches_states(app)


# -- 1. refusals of whole requests never make a record final ------------------------------------


@pytest.mark.parametrize("fault", ["refuse_404", "refuse_400"])
def test_every_request_refused_as_a_whole_keeps_every_record_queued(app: Any, fault: Any) -> None:
    gateway = ScriptedGateway(always=fault)
    uuids = capture_sales(app, 24)
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_NEEDS_PERSON, summary.to_json()
    assert summary.failed == summary.held == summary.uploaded == summary.requeued == 0
    assert states(app, uuids) == {"queued"}
    assert all(app.store.has_card_data(u) for u in uuids)
    given_back = [r for r in map(app.store.get, uuids) if r.error_desc]
    assert given_back and all(r.attempts == 0 for r in given_back)  # told why, no try counted
    message = " ".join(summary.needs_attention)
    assert "as a whole" in message and "base URL" in message and "store id" in message
    # 404 is not about the content: no bisection. 400 may be: one split, both halves refused.
    assert len(gateway.uploads()) <= (2 if fault == "refuse_404" else 6)
    # The cause is fixed: everything goes, once.
    gateway.always = None
    assert run(app, gateway).exit_code == EXIT_DONE
    assert states(app, uuids) == {"uploaded"}
    assert set(gateway.charges.values()) == {1}


def test_a_record_refused_alone_while_others_pass_is_held_with_its_card_data(app: Any) -> None:
    gateway = ScriptedGateway(poison_cards={MASTERCARD})
    good = capture_sales(app, 7)
    bad = capture_sales(app, 1, card=MASTERCARD)[0]
    summary = run(app, gateway, batch_size=8, concurrency=1)
    assert summary.exit_code == EXIT_NEEDS_PERSON, summary.to_json()
    assert states(app, good) == {"uploaded"}
    record = app.store.get(bad)
    assert record.state is TxState.HELD and record.error_code == "100001"
    assert app.store.has_card_data(bad)
    assert summary.held == 1 and any(bad in line for line in summary.needs_attention)
    # A manager's Retry after the cause is fixed sends it, same uuid.
    gateway.poison_cards.clear()
    app.retry_failed(bad)
    assert run(app, gateway).exit_code == EXIT_DONE
    assert state(app, bad) is TxState.UPLOADED
    assert_card_data_matches_states(app)


def test_too_many_records_refused_one_by_one_stops_the_run(app: Any) -> None:
    gateway = ScriptedGateway(poison_cards={MASTERCARD})
    capture_sales(app, 1)
    bad = capture_sales(app, 6, card=MASTERCARD)
    summary = run(app, gateway, batch_size=1, concurrency=1, max_isolated=2)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    held = [u for u in bad if state(app, u) is TxState.HELD]
    assert len(held) == 2
    assert {state(app, u) for u in bad if u not in held} == {TxState.QUEUED}
    assert any("as a whole" in line for line in summary.needs_attention)


def test_a_single_record_refused_before_anything_was_accepted_stays_queued(app: Any) -> None:
    gateway = ScriptedGateway(poison_cards={MASTERCARD})
    bad = capture_sales(app, 1, card=MASTERCARD)[0]
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert state(app, bad) is TxState.QUEUED and app.store.has_card_data(bad)


# -- answers about items ---------------------------------------------------------------------


def test_a_decline_is_final_and_erases_card_data(app: Any) -> None:
    gateway = ScriptedGateway(decline_cards={DECLINED_CARD}, refuse_item_cards={MASTERCARD})
    good = capture_sales(app, 2)
    declined = capture_sales(app, 3, card=DECLINED_CARD)
    held = capture_sales(app, 2, card=MASTERCARD)
    summary = run(app, gateway, batch_size=10)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert (summary.uploaded, summary.failed, summary.held) == (2, 3, 2)  # counted one by one
    assert states(app, good) == {"uploaded"}
    bad = declined[0]
    record = app.store.get(bad)
    assert record.state is TxState.FAILED and not app.store.has_card_data(bad)
    assert record.error_code == "110003" and "card issuer" in record.error_desc
    assert record.attempts == 1  # one answer from the gateway, one try
    assert states(app, held) == {"held"}
    assert app.store.get(held[0]).error_code == "100001"
    lines = summary.needs_attention
    assert sum(line.startswith("Declined") for line in lines) == 3
    assert sum(line.startswith("Held") for line in lines) == 2


def test_an_item_refused_for_its_parameters_is_held_not_failed(app: Any) -> None:
    gateway = ScriptedGateway(refuse_item_cards={MASTERCARD})
    bad = capture_sales(app, 1, card=MASTERCARD)[0]
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_NEEDS_PERSON and summary.held == 1
    assert state(app, bad) is TxState.HELD and app.store.has_card_data(bad)


def test_uuid_reused_with_other_content_is_held_not_failed(app: Any) -> None:
    gateway = ScriptedGateway()
    uuid = capture_sales(app, 1)[0]
    gateway.held[uuid] = gateway.held.get(uuid) or _foreign_record()
    summary = run(app, gateway)
    assert gateway.content_mismatches == 1
    assert state(app, uuid) is TxState.HELD and app.store.has_card_data(uuid)
    assert "different content" in " ".join(summary.needs_attention)


def _foreign_record() -> Any:
    from scripted_gateway import Held

    return Held(TxKind.SALE, "{}", "success", "B-OTHER")


def test_transient_item_refusals_go_back_to_the_queue_then_are_held(app: Any) -> None:
    gateway = ScriptedGateway(transient_item_cards={MASTERCARD})
    uuid = capture_sales(app, 1, card=MASTERCARD)[0]
    before = time.time()
    summary = run(app, gateway, item_attempts=3, retry_base=1.0)
    assert summary.requeued == 1 and summary.exit_code == EXIT_RETRY_LATER
    record = app.store.get(uuid)
    assert record.state is TxState.QUEUED and record.error_code == "100024"
    assert before + 29 <= record.next_attempt_ts <= time.time() + 31  # 30 s after the 1st
    for _ in range(2):  # the next runs, once its retry time has come
        with app.store.transaction() as conn:
            conn.execute("UPDATE transactions SET next_attempt_ts = 0 WHERE uuid = ?", (uuid,))
        summary = run(app, gateway, item_attempts=3, retry_base=1.0)
    assert state(app, uuid) is TxState.HELD and app.store.has_card_data(uuid)
    assert summary.exit_code == EXIT_NEEDS_PERSON


# -- answers we do not understand ------------------------------------------------------------


@pytest.mark.parametrize("fault", ["other_uuids", "fewer", "more", "html", "redirect", "lost"])
def test_an_answer_not_about_the_records_sent_leaves_them_queued(app: Any, fault: Any) -> None:
    gateway = ScriptedGateway(always=fault)
    uuids = capture_sales(app, 3)
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_RETRY_LATER, summary.to_json()
    assert summary.uploaded == 0 and states(app, uuids) == {"queued"}
    assert all(app.store.has_card_data(u) for u in uuids)
    assert len(gateway.uploads()) == QUICK.batch_attempts  # tried, then left for later
    assert "stay queued" in " ".join(summary.retry_later)
    gateway.always = None
    assert run(app, gateway).exit_code == EXIT_DONE
    assert states(app, uuids) == {"uploaded"}
    assert set(gateway.charges.values()) == {1}  # a lost answer was not charged twice


def test_401_on_every_request_needs_a_person_and_keeps_everything(app: Any) -> None:
    gateway = ScriptedGateway(always="auth")
    uuids = capture_sales(app, 3)
    app.blocklist_add([AMEX])
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert "signing secret" in " ".join(summary.needs_attention)
    assert states(app, uuids) == {"queued"} and len(gateway.calls) == 1
    assert app.store.blocklist_counts()["pending"] == 1


# -- success without a BRN, pending records ------------------------------------------------------


def test_success_without_a_brn_is_not_final_until_a_query_gives_it(app: Any) -> None:
    gateway = ScriptedGateway(script=deque(["no_brn"]))
    uuid = capture_sales(app, 1)[0]
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    record = app.store.get(uuid)
    assert record.state is TxState.UPLOADED and record.brn == gateway.held[uuid].brn
    assert [c.what for c in gateway.calls] == ["upload:sale", "query"]


def test_success_without_a_brn_stays_pending_with_its_card_data(app: Any) -> None:
    gateway = ScriptedGateway(always="no_brn")
    uuid = capture_sales(app, 1)[0]
    gateway.query = _query_without_brn(gateway)  # type: ignore[method-assign]
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_RETRY_LATER and summary.pending == 1
    assert state(app, uuid) is TxState.PENDING and app.store.has_card_data(uuid)
    refund = app.capture_refund(uuid, "1.00").uuid
    assert app.store.get(refund).origin_brn is None  # waits for the BRN


def _query_without_brn(gateway: ScriptedGateway) -> Any:
    original = gateway.query

    def query(ident: str) -> Any:
        from dataclasses import replace

        return replace(original(ident), brn=None)

    return query


def test_a_pending_record_the_gateway_forgot_is_sent_again_with_the_same_uuid(app: Any) -> None:
    gateway = ScriptedGateway(pending_cards={VISA}, pending_queries=5)
    uuid = capture_sales(app, 1)[0]
    summary = run(app, gateway)
    assert state(app, uuid) is TxState.PENDING and summary.exit_code == EXIT_RETRY_LATER
    assert gateway.forget_pending() == 1
    gateway.pending_cards.clear()
    summary = run(app, gateway)  # before: InvalidTransition on this run and every later one
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert state(app, uuid) is TxState.UPLOADED
    assert gateway.sent_uuids()[uuid] == 2 and gateway.charges[uuid] == 1
    trail = [row[3] for row in app.store.audit_trail(uuid) if row[1] == "state"]
    assert "queued" in trail[trail.index("pending") :]


def test_a_run_stopping_query_keeps_the_answers_that_arrived(app: Any) -> None:
    from edge_app.gateway.errors import AuthError

    gateway = ScriptedGateway(pending_cards={VISA})
    uuids = capture_sales(app, 4)
    original = gateway.query
    asked: list[str] = []

    def query(ident: str) -> Any:
        asked.append(ident)
        if len(asked) == 3:
            raise AuthError("The gateway refused the login (HTTP 401).", status=401)
        return original(ident)

    gateway.query = query  # type: ignore[method-assign]
    summary = run(app, gateway, concurrency=1)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert len(asked) == 3  # the fourth was not asked once the run had to stop
    assert [state(app, u) for u in uuids] == [TxState.UPLOADED] * 2 + [TxState.PENDING] * 2
    assert summary.uploaded == 2  # what was written is what was counted


def test_uploaded_sale_without_brn_from_an_earlier_version_frees_its_refund(app: Any) -> None:
    gateway = ScriptedGateway()
    uuid = capture_sales(app, 1)[0]
    run(app, gateway)
    with app.store.transaction() as conn:  # what the earlier version left behind
        conn.execute("UPDATE transactions SET brn = NULL WHERE uuid = ?", (uuid,))
    refund = app.capture_refund(uuid, "2.00").uuid
    assert app.store.get(refund).origin_brn is None
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert state(app, refund) is TxState.UPLOADED
    assert app.store.get(uuid).brn == gateway.held[uuid].brn
    assert gateway.early_follow_ups == 0


# -- voids and order -------------------------------------------------------------------------------


def test_a_void_of_a_sale_whose_answer_was_lost_waits_for_its_brn(app: Any) -> None:
    gateway = ScriptedGateway(always="lost")
    sale = capture_sales(app, 1)[0]
    run(app, gateway)
    assert state(app, sale) is TxState.QUEUED and gateway.charges[sale] == 1  # charged!
    void = app.capture_void(sale)
    assert void.state is TxState.QUEUED and void.note is None  # not cancelled locally
    gateway.always = None
    assert run(app, gateway).exit_code == EXIT_DONE
    assert state(app, sale) is TxState.UPLOADED and state(app, void.uuid) is TxState.UPLOADED
    assert gateway.held[sale].voided and gateway.early_follow_ups == 0


def test_a_void_of_a_sale_never_sent_cancels_both_locally(app: Any) -> None:
    gateway = ScriptedGateway()
    sale = capture_sales(app, 1)[0]
    void = app.capture_void(sale)
    assert void.state is TxState.CANCELLED and state(app, sale) is TxState.CANCELLED
    run(app, gateway)
    assert gateway.calls == []


def test_a_crash_after_the_gateway_applied_a_batch_loses_nothing(app: Any, home: Path) -> None:
    from edge_app.services import App

    gateway = ScriptedGateway(script=deque(["crash"]))
    uuids = capture_sales(app, 4)
    engine = SyncEngine(app.store, gateway, _options(concurrency=1))
    with pytest.raises(Crash):
        engine.run()
    app.close()
    reopened = App.open(home)
    try:
        assert states(reopened, uuids) <= {"queued", "uploading"}
        void = reopened.capture_void(uuids[0])
        assert void.state is TxState.QUEUED  # the sale was on the wire
        assert run(reopened, gateway).exit_code == EXIT_DONE
        assert states(reopened, uuids[1:]) == {"uploaded"}
        assert set(gateway.charges.values()) == {1}
        assert gateway.held[uuids[0]].voided
    finally:
        reopened.close()


# -- request content fixed at capture --------------------------------------------------------------


def test_a_resend_after_a_settings_change_is_the_same_content(app: Any) -> None:
    gateway = ScriptedGateway(script=deque(["lost"]))
    uuid = capture_sales(app, 1)[0]
    run(app, gateway, batch_attempts=1)
    app.update_config(device_id="00000000000000FF")
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert gateway.content_mismatches == 0 and state(app, uuid) is TxState.UPLOADED
    assert summary.duplicates == 1


# -- bounds: Retry-After, busy database, cancel ----------------------------------------------------


def test_a_huge_retry_after_stops_the_run_instead_of_sleeping(app: Any) -> None:
    gateway = ScriptedGateway(always="rate_limit_huge")
    uuids = capture_sales(app, 2)
    started = time.monotonic()
    summary = run(app, gateway, retry_base=1.0, retry_cap=30.0)
    assert time.monotonic() - started < 5
    assert summary.exit_code == EXIT_RETRY_LATER and len(gateway.calls) == 1
    message = " ".join(summary.retry_later)
    assert "days" in message and "stay queued" in message
    assert states(app, uuids) == {"queued"}


def test_retries_stop_when_the_run_has_waited_its_budget(app: Any) -> None:
    gateway = ScriptedGateway(always="server")
    capture_sales(app, 1)
    options = _options(batch_attempts=50, retry_base=0.2, retry_cap=0.2, retry_budget=0.5)
    # Each wait is the whole ceiling (0.2 s): two fit in the budget of 0.5 s, a third does not.
    summary = SyncEngine(app.store, gateway, options, rand=lambda: 1.0).run()
    assert summary.exit_code == EXIT_RETRY_LATER
    assert len(gateway.calls) == 3


def test_a_retry_after_within_bounds_is_waited_for(app: Any) -> None:
    from edge_app.gateway.errors import RateLimited

    gateway = ScriptedGateway()
    uuid = capture_sales(app, 1)[0]
    original = gateway.upload
    calls: list[float] = []

    def upload(kind: Any, items: Any) -> Any:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RateLimited("The gateway asked to slow down (HTTP 429).", retry_after=0.4)
        return original(kind, items)

    gateway.upload = upload  # type: ignore[method-assign]
    assert run(app, gateway).exit_code == EXIT_DONE
    assert calls[1] - calls[0] >= 0.4 and state(app, uuid) is TxState.UPLOADED


def _hold_write_lock(home: Path, seconds: float) -> threading.Thread:
    """Another program (a long import) holding the database's write lock for a while."""
    locked = threading.Event()

    def hold() -> None:
        conn = sqlcipher.connect(str(home / "queue.db"), isolation_level=None)
        conn.execute(f"PRAGMA key = \"x'{TEST_KEY}'\"")
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    locked.wait(5)
    return thread


def test_a_busy_database_is_waited_for(app: Any, home: Path) -> None:
    app.store.set_busy_timeout(100)
    gateway = ScriptedGateway()
    uuids = capture_sales(app, 3)
    holder = _hold_write_lock(home, 1.0)
    summary = run(app, gateway, busy_wait=20.0)
    holder.join()
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert states(app, uuids) == {"uploaded"}


def test_a_database_busy_for_too_long_is_try_again_later_and_loses_nothing(
    app: Any, home: Path
) -> None:
    app.store.set_busy_timeout(100)
    gateway = ScriptedGateway()
    uuids = capture_sales(app, 3)
    original = gateway.upload

    def upload(kind: Any, items: Any) -> Any:
        results = original(kind, items)
        holders.append(_hold_write_lock(home, 2.0))  # the import starts right then
        return results

    holders: list[threading.Thread] = []
    gateway.upload = upload  # type: ignore[method-assign]
    summary = run(app, gateway, busy_wait=0.5)
    assert summary.exit_code == EXIT_RETRY_LATER, summary.to_json()
    assert "busy" in " ".join(summary.retry_later)
    for holder in holders:
        holder.join()
    # The gateway has them; the next run records it (duplicates), nothing charged twice.
    gateway.upload = original  # type: ignore[method-assign]
    again = run(app, gateway)
    assert again.exit_code == EXIT_DONE, again.to_json()
    assert states(app, uuids) == {"uploaded"} and set(gateway.charges.values()) == {1}


def test_cancel_during_a_retry_wait_ends_the_run_and_keeps_the_records(app: Any) -> None:
    gateway = ScriptedGateway(always="server")
    uuids = capture_sales(app, 2)
    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    summary = run(app, gateway, cancel=cancel, batch_attempts=100, retry_base=5.0, retry_cap=5.0)
    assert summary.cancelled and summary.exit_code == EXIT_RETRY_LATER
    assert states(app, uuids) == {"queued"}


# -- held records: bounded keeping of card data -------------------------------------------------


def test_held_card_data_is_erased_after_the_held_time(app: Any) -> None:
    gateway = ScriptedGateway(refuse_item_cards={MASTERCARD})
    uuid = capture_sales(app, 1, card=MASTERCARD)[0]
    run(app, gateway)
    assert state(app, uuid) is TxState.HELD
    with app.store.transaction() as conn:
        conn.execute(
            "UPDATE transactions SET updated_ts = ? WHERE uuid = ?", (time.time() - 8 * 86400, uuid)
        )
    summary = run(app, gateway, held_days=7.0)
    record = app.store.get(uuid)
    assert record.state is TxState.FAILED and not app.store.has_card_data(uuid)
    assert "7 days" in record.error_desc and summary.exit_code == EXIT_NEEDS_PERSON


# -- the card list ---------------------------------------------------------------------------------


def test_card_list_refusals_keep_the_changes(app: Any) -> None:
    app.blocklist_add([VISA, MASTERCARD])
    for fault in ("store_config", "refuse_404", "invalid_foreign", "auth"):
        gateway = ScriptedGateway(always=fault)  # type: ignore[arg-type]
        summary = run(app, gateway)
        assert summary.exit_code == EXIT_NEEDS_PERSON, fault
        assert app.store.blocklist_counts() == {"cards": 2, "pending": 2, "failed": 0}, fault
        assert summary.blocklist_left == 2, fault
    gateway = ScriptedGateway(always="invalid_all")
    summary = run(app, gateway)
    assert app.store.blocklist_counts()["failed"] == 2 and summary.blocklist_failed == 2


def test_card_list_edits_made_while_a_chunk_is_on_the_wire_are_kept(app: Any) -> None:
    gateway = ScriptedGateway()
    app.blocklist_add([VISA, MASTERCARD])
    assert run(app, gateway).exit_code == EXIT_DONE
    assert gateway.card_list == {VISA, MASTERCARD}
    app.blocklist_add([AMEX])  # an add in flight ...
    app.blocklist_del([VISA])  # ... and a delete in flight

    def edit(op: str, numbers: list[str]) -> None:
        if op == "add":
            app.blocklist_del([AMEX])  # deleted while its add is on the wire
        else:
            app.blocklist_add([VISA])  # re-added while its delete is on the wire

    gateway.on_card_block = edit
    run(app, gateway)
    gateway.on_card_block = None
    assert run(app, gateway).exit_code == EXIT_DONE
    assert listed_cards(app) == masked({VISA, MASTERCARD})
    assert gateway.card_list == {VISA, MASTERCARD}
    assert app.store.blocklist_counts()["pending"] == 0


def test_outbox_rejects_transitions_the_state_machine_forbids_without_losing_the_rest(
    app: Any,
) -> None:
    a, b = capture_sales(app, 2)
    refused = outbox.apply_outcomes(
        app.store, [outbox.Outcome(a, TxState.UPLOADED, brn="X"), outbox.Outcome(b, TxState.HELD)]
    )
    assert refused == [a, b]  # queued -> uploaded / held are not arrows
    assert states(app, [a, b]) == {"queued"}


def test_a_card_whose_add_answer_was_lost_and_then_deleted_is_deleted_at_the_gateway(
    app: Any,
) -> None:
    gateway = ScriptedGateway(always="lost")
    app.blocklist_add([VISA])
    assert run(app, gateway).exit_code == EXIT_RETRY_LATER
    assert gateway.card_list == {VISA}  # applied, but we could not know
    app.blocklist_del([VISA])  # before: the row was dropped and nothing was ever sent
    assert app.store.blocklist_counts()["pending"] == 1
    gateway.always = None
    assert run(app, gateway).exit_code == EXIT_DONE
    assert gateway.card_list == set() and listed_cards(app) == set()
    assert app.store.blocklist_counts() == {"cards": 0, "pending": 0, "failed": 0}


def test_adding_then_deleting_before_any_sync_sends_nothing(app: Any) -> None:
    gateway = ScriptedGateway()
    app.blocklist_add([VISA])
    app.blocklist_del([VISA])
    assert run(app, gateway).exit_code == EXIT_DONE
    assert gateway.calls == []


def test_a_pending_sale_a_query_says_was_declined_is_final_and_erased(app: Any) -> None:
    gateway = ScriptedGateway(pending_cards={VISA}, decline_after_pending={VISA})
    uuid = capture_sales(app, 1)[0]
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert state(app, uuid) is TxState.FAILED and not app.store.has_card_data(uuid)
    assert any(line.startswith("Declined") for line in summary.needs_attention)


@pytest.mark.parametrize("answer", ["server", "other_record"])
def test_a_query_without_a_usable_answer_leaves_the_record_pending(app: Any, answer: str) -> None:
    from dataclasses import replace

    from edge_app.gateway.errors import TransientError

    gateway = ScriptedGateway(pending_cards={VISA})
    uuid = capture_sales(app, 1)[0]
    original = gateway.query

    def query(ident: str) -> Any:
        if answer == "server":
            raise TransientError("The gateway had a server error (HTTP 503).", status=503)
        return replace(original(ident), uuid="00000000-0000-4000-8000-000000000001", brn="B-X")

    gateway.query = query  # type: ignore[method-assign]
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_RETRY_LATER and summary.pending == 1
    assert state(app, uuid) is TxState.PENDING and app.store.has_card_data(uuid)


def test_a_run_stopping_answer_while_asking_for_missing_brns(app: Any) -> None:
    gateway = ScriptedGateway()
    uuid = capture_sales(app, 1)[0]
    run(app, gateway)
    with app.store.transaction() as conn:
        conn.execute("UPDATE transactions SET brn = NULL WHERE uuid = ?", (uuid,))
    refund = app.capture_refund(uuid, "2.00").uuid
    gateway.always = "auth"
    summary = run(app, gateway)
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert state(app, refund) is TxState.QUEUED


def test_a_card_chunk_refused_as_a_whole_is_kept(app: Any) -> None:
    app.blocklist_add([VISA])
    summary = run(app, ScriptedGateway(always="refuse_400"))
    assert summary.exit_code == EXIT_NEEDS_PERSON
    assert "as a whole request" in " ".join(summary.needs_attention)
    assert app.store.blocklist_counts() == {"cards": 1, "pending": 1, "failed": 0}


def test_an_answer_for_a_record_that_moved_meanwhile_is_not_forced_on_it(app: Any) -> None:
    """Defensive: the writer refuses a change the state machine forbids, and says so."""
    gateway = ScriptedGateway()
    a, b = capture_sales(app, 2)
    original = gateway.upload

    def upload(kind: Any, items: Any) -> Any:
        results = original(kind, items)
        with app.store.transaction() as conn:  # something moved `a` back to the queue
            conn.execute("UPDATE transactions SET state = 'queued' WHERE uuid = ?", (a,))
        return results

    gateway.upload = upload  # type: ignore[method-assign]
    summary = run(app, gateway, concurrency=1)
    assert state(app, a) is TxState.QUEUED and state(app, b) is TxState.UPLOADED
    assert summary.uploaded == 1
    assert any("could not be recorded" in line for line in summary.needs_attention)
    gateway.upload = original  # type: ignore[method-assign]
    assert run(app, gateway).exit_code == EXIT_DONE
    assert state(app, a) is TxState.UPLOADED and gateway.charges[a] == 1


def test_a_disk_error_while_writing_answers_stops_the_run_and_loses_nothing(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage.errors import DiskFullError

    gateway = ScriptedGateway()
    uuids = capture_sales(app, 3)
    original = outbox.apply_outcomes

    def full(*args: Any, **kwargs: Any) -> Any:
        raise DiskFullError("The disk is full; nothing was stored. Free some space and try again.")

    monkeypatch.setattr(outbox, "apply_outcomes", full)
    engine = SyncEngine(app.store, gateway, _options())
    with pytest.raises(DiskFullError):
        engine.run()
    assert states(app, uuids) == {"queued"}  # back in the queue, card data kept
    assert all(app.store.has_card_data(u) for u in uuids)
    monkeypatch.setattr(outbox, "apply_outcomes", original)
    assert run(app, gateway).exit_code == EXIT_DONE
    assert states(app, uuids) == {"uploaded"} and set(gateway.charges.values()) == {1}


def test_cancel_while_waiting_for_a_busy_database(app: Any, home: Path) -> None:
    app.store.set_busy_timeout(100)
    uuids = capture_sales(app, 1)
    holder = _hold_write_lock(home, 2.0)
    cancel = CancelToken()
    threading.Timer(0.5, cancel.cancel).start()
    summary = run(app, ScriptedGateway(), cancel=cancel, busy_wait=30.0)
    holder.join()
    assert summary.cancelled and summary.exit_code == EXIT_RETRY_LATER
    assert states(app, uuids) == {"queued"}


def test_a_refund_of_a_pending_sale_waits_until_the_sale_is_uploaded(app: Any) -> None:
    """Found by the model test: a pending sale has a BRN already, but is not charged yet."""
    gateway = ScriptedGateway(pending_cards={VISA}, pending_queries=5)
    sale = capture_sales(app, 1)[0]
    run(app, gateway)
    assert state(app, sale) is TxState.PENDING and app.store.get(sale).brn
    refund = app.capture_refund(sale, "1.00").uuid
    assert app.store.get(refund).origin_brn is None
    with app.store.transaction() as conn:  # as an earlier version left it: the BRN already set
        conn.execute(
            "UPDATE transactions SET origin_brn = ? WHERE uuid = ?",
            (gateway.held[sale].brn, refund),
        )
    run(app, gateway)
    assert state(app, refund) is TxState.QUEUED and gateway.early_follow_ups == 0
    gateway.pending_queries = 0
    gateway.held[sale].queries_left = 0
    assert run(app, gateway).exit_code == EXIT_DONE
    assert state(app, sale) is TxState.UPLOADED and state(app, refund) is TxState.UPLOADED
    assert gateway.early_follow_ups == 0


def test_a_card_the_gateway_names_invalid_fails_alone_and_the_rest_is_sent(app: Any) -> None:
    from edge_app.gateway.errors import InvalidCardNumbers

    gateway = ScriptedGateway()
    app.blocklist_add([VISA, MASTERCARD, AMEX])
    original = gateway.card_block

    def card_block(op: Any, numbers: Any) -> int:
        if MASTERCARD in numbers:
            raise InvalidCardNumbers([MASTERCARD])
        return original(op, numbers)

    gateway.card_block = card_block  # type: ignore[method-assign]
    summary = run(app, gateway)
    assert gateway.card_list == {VISA, AMEX}
    assert (summary.blocklist_sent, summary.blocklist_failed) == (2, 1)
    assert app.store.blocklist_counts() == {"cards": 3, "pending": 0, "failed": 1}


def test_a_query_refused_for_another_reason_than_no_record_does_not_resend(app: Any) -> None:
    from edge_app.gateway.errors import PermanentError

    gateway = ScriptedGateway(pending_cards={VISA}, pending_queries=5)
    uuid = capture_sales(app, 1)[0]
    run(app, gateway)

    def query(ident: str) -> Any:
        raise PermanentError("The gateway refused the request (HTTP 404).", status=404)

    gateway.query = query  # type: ignore[method-assign]
    summary = run(app, gateway)
    assert state(app, uuid) is TxState.PENDING and summary.pending == 1
    assert gateway.sent_uuids()[uuid] == 1  # not sent again on a guess


def test_pending_records_are_asked_until_decided_within_the_wait(app: Any) -> None:
    gateway = ScriptedGateway(pending_cards={VISA}, pending_queries=2)
    uuid = capture_sales(app, 1)[0]
    summary = run(app, gateway, query_interval=0.01, pending_wait=5.0)
    assert summary.exit_code == EXIT_DONE, summary.to_json()
    assert state(app, uuid) is TxState.UPLOADED
    assert summary.duplicates == 0  # a query's answer is not a duplicate upload
    assert [c.what for c in gateway.calls].count("query") == 3


def test_a_refund_waiting_for_its_sale_is_reported(app: Any) -> None:
    gateway = ScriptedGateway(always="lost")
    sale = capture_sales(app, 1)[0]
    app.capture_refund(sale, "1.00")
    summary = run(app, gateway)
    assert summary.waiting_for_sale == 1 and summary.left_queued == 2
