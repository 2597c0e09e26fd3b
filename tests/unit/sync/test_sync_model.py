"""A model test of the outbox and the sync engine (hypothesis `RuleBasedStateMachine`).

Random captures, voids, refunds, card-list edits (also while a chunk is on the wire), gateway
answers and faults, settings changes, a manager's retries, and crashes (a fresh engine and a
fresh connection over the same database) are played against the real encrypted store and the
real engine, with `ScriptedGateway` as the gateway. After every step:

- every uuid is charged at most once at the gateway, and no resend ever differs in content;
- no void or refund reaches the gateway before its sale's BRN;
- every local record is confirmed (the gateway holds it with the same BRN), waiting (queued,
  pending), held for a manager, declined by the gateway, or cancelled/failed without ever
  having been sent;
- card data exists exactly while the record may still be sent.

At the end, with the faults gone, a sync or two leaves the gateway holding exactly the store's
card list and nothing waiting but what waits for a manager.

CI runs EDGE_APP_MODEL_EXAMPLES (default 200) examples; set it higher for a longer search.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from scripted_gateway import Crash, ScriptedGateway
from support import DECLINED_CARD, MASTERCARD, VISA, init_app, listed_cards, masked

from edge_app.domain.errors import ValidationError
from edge_app.domain.transactions import CARD_KEPT_STATES, TxKind, TxState
from edge_app.services import App
from edge_app.sync.engine import EXIT_DONE, EXIT_NEEDS_PERSON, SyncEngine, SyncOptions

AMEX = "378282246310005"
REFUSED_CARD = "4012888888881881"  # the gateway refuses it for its parameters: held
PENDING_CARD = "5105105105105100"  # the gateway answers pending; a query resolves it
SALE_CARDS = [VISA, VISA, MASTERCARD, AMEX, DECLINED_CARD, REFUSED_CARD, PENDING_CARD]
LIST_CARDS = ["4111111111111111", "4242424242424242", "6011111111111117", "3530111333300000"]
FAULTS = [
    "refuse_404",
    "refuse_400",
    "auth",
    "html",
    "redirect",
    "server",
    "lost",
    "other_uuids",
    "fewer",
    "more",
    "no_brn",
    "rate_limit_huge",
    "store_config",
    "invalid_foreign",
]
OPTIONS = SyncOptions(
    batch_size=3,
    concurrency=1,  # one sender: the order of requests, and so each example, is repeatable
    query_interval=0.0,
    pending_wait=0.0,
    batch_attempts=2,
    retry_base=0.0,
    retry_cap=0.0,
    busy_wait=5.0,
)
EXAMPLES = int(os.environ.get("EDGE_APP_MODEL_EXAMPLES", "200"))


class OutboxModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory(prefix="edge-model-")
        self.home = Path(self.dir.name) / "home"
        self.gateway = ScriptedGateway(
            decline_cards={DECLINED_CARD},
            refuse_item_cards={REFUSED_CARD},
            pending_cards={PENDING_CARD},
        )
        self.app: Any = None
        self.sales: list[str] = []
        self.planned_edit: tuple[str, bool] | None = None

    @initialize()
    def open_store(self) -> None:
        self.app = init_app(self.home)

    def teardown(self) -> None:
        try:
            if self.app is not None:
                self.converge()
        finally:
            if self.app is not None:
                self.app.close()
            self.dir.cleanup()

    # -- what staff do ------------------------------------------------------------------------

    @rule(card=st.sampled_from(SALE_CARDS), amount=st.integers(1, 50))
    def capture_sale(self, card: str, amount: int) -> None:
        try:
            capture = self.app.capture_sale(
                amount=f"{amount}.00", currency="HKD", card_number=card, expiry="2912", cvv="737"
            )
        except ValidationError:
            return  # e.g. a card on the block list: nothing stored
        self.sales.append(capture.uuid)

    @rule(pick=st.integers(0, 50))
    def capture_void(self, pick: int) -> None:
        if self.sales:
            self._refused_or_stored(lambda: self.app.capture_void(self._sale(pick)))

    @rule(pick=st.integers(0, 50), amount=st.integers(1, 30))
    def capture_refund(self, pick: int, amount: int) -> None:
        if self.sales:
            self._refused_or_stored(
                lambda: self.app.capture_refund(self._sale(pick), f"{amount}.00")
            )

    @rule(card=st.sampled_from(LIST_CARDS), add=st.booleans())
    def edit_card_list(self, card: str, add: bool) -> None:
        (self.app.blocklist_add if add else self.app.blocklist_del)([card])

    @rule(card=st.sampled_from(LIST_CARDS), add=st.booleans())
    def edit_card_list_during_the_next_sync(self, card: str, add: bool) -> None:
        self.planned_edit = (card, add)

    @rule(pick=st.integers(0, 200))
    def manager_retries(self, pick: int) -> None:
        waiting = [
            r
            for r in self.app.store.list_transactions(limit=10_000)
            if r.state in (TxState.HELD, TxState.FAILED)
        ]
        if not waiting:
            return
        record = waiting[pick % len(waiting)]
        try:
            self.app.retry_failed(record.uuid)
        except ValidationError:
            assert record.kind is TxKind.SALE and not self.app.store.has_card_data(record.uuid)

    @rule(device=st.sampled_from(["00000000000000AA", "00000000000000BB"]))
    def change_device_id(self, device: str) -> None:
        self.app.update_config(device_id=device)

    # -- what the gateway does ----------------------------------------------------------------

    @rule(fault=st.sampled_from([None, *FAULTS]), once=st.booleans())
    def gateway_fault(self, fault: Any, once: bool) -> None:
        if once:
            self.gateway.script.append(fault)
        else:
            self.gateway.always = fault

    @rule()
    def gateway_forgets_pending_records(self) -> None:
        self.gateway.forget_pending()

    # -- runs ---------------------------------------------------------------------------------

    @rule()
    def sync(self) -> None:
        self._run()

    @rule()
    def sync_that_crashes_mid_request(self) -> None:
        self.gateway.script.appendleft("crash")
        with contextlib.suppress(Crash):
            self._run()
        if "crash" in self.gateway.script:  # nothing was uploaded: no request met it
            self.gateway.script.remove("crash")
        # The process died: a fresh engine over a fresh connection to the same database.
        self.app.close()
        self.app = App.open(self.home)

    def converge(self) -> None:
        self.gateway.always = None
        self.gateway.script.clear()
        self.planned_edit = None
        for _ in range(3):
            summary = self._run()
            if summary.exit_code in (EXIT_DONE, EXIT_NEEDS_PERSON) and not summary.pending:
                break
        assert masked(self.gateway.card_list) == listed_cards(self.app)
        assert self.app.store.blocklist_counts()["pending"] == 0
        for record in self.app.store.list_transactions(limit=10_000):
            if record.state in (TxState.QUEUED, TxState.PENDING):
                # Only what waits for a manager may still wait: a follow-up of a held sale.
                assert record.origin_uuid is not None, record
                assert self.app.store.get(record.origin_uuid).state is TxState.HELD, record

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def the_gateway_never_charges_twice_nor_sees_changed_content(self) -> None:
        assert max(self.gateway.charges.values(), default=0) <= 1
        assert self.gateway.content_mismatches == 0
        assert self.gateway.early_follow_ups == 0

    @invariant()
    def every_record_is_confirmed_waiting_held_or_decided(self) -> None:
        if self.app is None:
            return
        sent = self.gateway.sent_uuids()
        for record in self.app.store.list_transactions(limit=10_000):
            held = self.gateway.held.get(record.uuid)
            if record.state is TxState.UPLOADED:
                assert held is not None and held.state == "success", record
                assert record.brn == held.brn, record
            elif record.state is TxState.FAILED:
                declined = held is not None and held.error_code == "110003"
                never_sent = record.kind is not TxKind.SALE and record.uuid not in sent
                assert declined or never_sent, record
            elif record.state is TxState.CANCELLED:
                assert record.uuid not in sent, record
            else:
                assert record.state in (TxState.QUEUED, TxState.PENDING, TxState.HELD), record

    @invariant()
    def card_data_exists_exactly_while_a_record_may_be_sent(self) -> None:
        if self.app is None:
            return
        for record in self.app.store.list_transactions(limit=10_000):
            has_card = self.app.store.has_card_data(record.uuid)
            expected = record.kind is TxKind.SALE and record.state in CARD_KEPT_STATES
            assert has_card == expected, record

    # -- helpers ------------------------------------------------------------------------------

    def _sale(self, pick: int) -> str:
        return self.sales[pick % len(self.sales)]

    def _refused_or_stored(self, capture: Any) -> None:
        before = self.app.store.count_transactions()
        try:
            capture()
        except ValidationError:
            assert self.app.store.count_transactions() == before  # nothing half-stored
            return
        assert self.app.store.count_transactions() == before + 1

    def _run(self) -> Any:
        if self.planned_edit is not None:
            card, add = self.planned_edit
            self.planned_edit = None
            app = self.app

            def edit(op: str, numbers: list[str]) -> None:
                self.gateway.on_card_block = None
                (app.blocklist_add if add else app.blocklist_del)([card])

            self.gateway.on_card_block = edit
        try:
            return SyncEngine(self.app.store, self.gateway, OPTIONS).run()
        finally:
            self.gateway.on_card_block = None


OutboxModel.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.usefixtures("db_key")
def test_outbox_and_engine_model() -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(OutboxModel, settings=OutboxModel.TestCase.settings)
