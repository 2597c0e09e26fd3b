"""Void, refund and retry from the Transactions screen: each needs the manager PIN."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import MANAGER_PIN, settle
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from support import DECLINED_CARD, TEST_CVV, VISA

from edge_app.ui.widgets import AskDialog, ManagerGate, Prompts


def capture(app: Any, card: str = VISA, amount: str = "30.00") -> str:
    return str(
        app.capture_sale(
            amount=amount, currency="HKD", card_number=card, expiry="2912", cvv=TEST_CVV
        ).uuid
    )


def select(window: Any, uuid: str) -> Any:
    window.show_page("transactions")
    page = window.transactions_page
    page.refresh()
    assert page.select_uuid(uuid)
    return page


def sync_and_wait(qtbot: Any, window: Any) -> Any:
    with qtbot.waitSignal(window.sync.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(window.sync_page.sync_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_void_needs_the_pin_and_a_wrong_pin_is_refused(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    sale = capture(gui_app)
    sync_and_wait(qtbot, gui_window)  # uploaded: the void is queued for the gateway
    page = select(gui_window, sale)
    assert page.void_button.isEnabled()
    assert not page.retry_button.isEnabled()

    gui_prompts.answers = ["0000"]
    qtbot.mouseClick(page.void_button, Qt.MouseButton.LeftButton)
    assert gui_prompts.refusals == ["That PIN is not the manager PIN."]
    assert "not done" in page.banner.text().lower()
    assert gui_app.store.count_transactions() == 1

    gui_prompts.answers = ["1111", MANAGER_PIN]
    qtbot.mouseClick(page.void_button, Qt.MouseButton.LeftButton)
    assert "Void queued" in page.banner.text()
    voids = [r for r in gui_app.store.list_transactions() if r.kind.value == "void"]
    assert len(voids) == 1
    assert voids[0].origin_uuid == sale


def test_refund_asks_pin_then_amount_and_shows_refusals_in_the_dialog(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    sale = capture(gui_app, amount="30.00")
    page = select(gui_window, sale)
    gui_prompts.answers = [MANAGER_PIN, "45.00", "abc", "12.50"]
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    assert len(gui_prompts.refusals) == 2
    assert "exceeds" in gui_prompts.refusals[0]
    assert "Refund queued" in page.banner.text()
    refunds = [r for r in gui_app.store.list_transactions() if r.kind.value == "refund"]
    assert [str(r.amount) for r in refunds] == ["12.50"]


def test_retry_of_a_failed_void_with_the_pin(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    from edge_app.domain.transactions import TxState

    sale = capture(gui_app)
    sync_and_wait(qtbot, gui_window)
    void = gui_app.capture_void(sale).uuid
    with gui_app.store.transaction() as conn:  # as if the gateway had refused it
        gui_app.store.set_state(conn, gui_app.store.get(void), TxState.UPLOADING)
        gui_app.store.set_state(conn, gui_app.store.get(void), TxState.FAILED)
    page = select(gui_window, void)
    assert page.retry_button.isEnabled()
    assert not page.void_button.isEnabled()

    gui_prompts.answers = []  # the manager cancels the PIN dialog
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.get(void).state.value == "failed"

    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.get(void).state.value == "queued"
    assert "sent again" in page.banner.text()
    assert page.detail["state"].text() == "Waiting to send"


def test_a_declined_sale_shows_why_and_offers_no_retry(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    gui_gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    sale = capture(gui_app, card=DECLINED_CARD)
    summary = sync_and_wait(qtbot, gui_window)
    assert summary.needs_attention
    assert gui_window.sync_page.attention.count() >= 1
    page = select(gui_window, sale)
    assert page.detail["state"].text() == "Declined"
    assert page.answer.text().startswith("Declined by the card issuer.")
    assert "110003" in page.answer.text()
    # Its card data was erased with the final answer: it cannot go again, and the screen
    # says what the store does instead.
    assert not page.retry_button.isEnabled()
    assert "ask the customer for another payment" in page.answer.text()
    assert gui_app.store.get(sale).state.value == "failed"


def test_transaction_details_show_the_audit_trail(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    sale = capture(gui_app)
    sync_and_wait(qtbot, gui_window)
    page = select(gui_window, sale)
    assert "Accepted by the gateway" in page.answer.text()
    settle(qtbot, gui_window)  # the audit trail is read in a worker
    lines = [page.trail.topLevelItem(i).text(1) for i in range(page.trail.topLevelItemCount())]
    events = [line.split("\n")[0] for line in lines]
    assert events[0] == "Waiting to send"
    assert "Accepted" in events[-1]
    assert lines[0] == "Waiting to send\nSale 411111******1111"  # the detail under the event


def test_filters_narrow_the_list(qtbot: Any, gui_window: Any, gui_app: Any) -> None:
    capture(gui_app)
    capture(gui_app, amount="77.70")
    page = select(gui_window, capture(gui_app))
    assert page.model.rowCount() == 3
    page.state_filter.setCurrentIndex(page.state_filter.findText("Accepted"))
    assert page.model.rowCount() == 0
    page.state_filter.setCurrentIndex(0)
    qtbot.keyClicks(page.search, "77.7")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=3000)
    page.search.setText("")
    page.use_dates.setChecked(True)
    assert page.model.rowCount() == 3  # captured today, inside the default week
    qtbot.waitUntil(lambda: page.count_label.text() == "Showing 3 of 3", timeout=3000)
    page.use_dates.setChecked(False)
    assert page.count_label.text() == "Showing 3"


# The offscreen platform warns that it cannot resize a shown dialog; a real display does not.
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_real_pin_dialog_refuses_a_wrong_pin_and_accepts_the_right_one(
    qtbot: Any, gui_app: Any
) -> None:
    gate = ManagerGate(gui_app.secure_settings(), Prompts())
    typed: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, AskDialog):
            QTimer.singleShot(20, answer)
            return
        pin = "9999" if not typed else MANAGER_PIN
        typed.append(pin)
        dialog.edit.setText(pin)
        dialog.try_accept()
        if dialog.isVisible():
            assert "not the manager PIN" in dialog.error.text()
            assert dialog.edit.text() == ""
            QTimer.singleShot(20, answer)

    QTimer.singleShot(20, answer)
    assert gate.require(None, "test") is True
    assert typed == ["9999", MANAGER_PIN]


def test_a_held_sale_can_be_retried_or_given_up_with_the_pin(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    from edge_app.domain.transactions import TxState

    held, other = capture(gui_app), capture(gui_app, amount="12.00")
    for uuid in (held, other):
        with gui_app.store.transaction() as conn:  # as if the gateway refused its parameters
            gui_app.store.set_state(conn, gui_app.store.get(uuid), TxState.UPLOADING)
            gui_app.store.set_state(conn, gui_app.store.get(uuid), TxState.HELD)
    page = select(gui_window, held)
    assert page.detail["state"].text() == "Held for a manager"
    assert "Its card data is kept" in page.answer.text()
    assert page.retry_button.isEnabled() and page.give_up_button.isEnabled()

    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.give_up_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.get(held).state is TxState.FAILED
    assert not gui_app.store.has_card_data(held)
    assert "Given up" in page.banner.text()
    assert not page.give_up_button.isEnabled() and not page.retry_button.isEnabled()

    page = select(gui_window, other)
    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.get(other).state is TxState.QUEUED
    assert gui_app.store.has_card_data(other)
