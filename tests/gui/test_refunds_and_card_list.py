"""Refunds read as money going back, with what is left to refund; the card list removes the
selected rows (context menu or Delete, with the manager PIN) and Enter in its field adds."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import MANAGER_PIN, all_texts, settle
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtWidgets import QApplication
from support import AMEX, DECLINED_CARD, MASTERCARD, TEST_CVV, VISA

from edge_app.ui.widgets import AskDialog


def uploaded_sale(qtbot: Any, window: Any, app: Any, amount: str) -> str:
    uuid = str(
        app.capture_sale(
            amount=amount, currency="HKD", card_number=VISA, expiry="2912", cvv=TEST_CVV
        ).uuid
    )
    with qtbot.waitSignal(window.sync.finished, timeout=20_000):
        window.sync.start("window")
    return uuid


def open_sale(qtbot: Any, window: Any, uuid: str) -> Any:
    window.open_record(uuid)
    settle(qtbot, window)  # the detail with its refunds is read in a worker
    return window.transactions_page


def test_refunds_are_negative_and_the_sale_shows_what_is_left(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    sale = uploaded_sale(qtbot, gui_window, gui_app, "100.00")
    page = open_sale(qtbot, gui_window, sale)
    assert page.detail["refunded"].text() == "HKD 0.00"
    assert page.detail["remaining"].text() == "HKD 100.00"

    gui_prompts.answers = [MANAGER_PIN, "130.00", "30.00"]
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    assert gui_prompts.prefilled[-1] == "100.00"  # the box opens with what is left
    assert "exceeds" in gui_prompts.refusals[0]
    assert "Refund queued" in page.banner.text()

    page = open_sale(qtbot, gui_window, sale)
    assert page.detail_form.isRowVisible(page.detail["refunded"])
    assert page.detail["refunded"].text() == "HKD 30.00"
    assert page.detail["remaining"].text() == "HKD 70.00"
    model = page.model
    amounts = {
        model.data(model.index(row, 1)): model.data(model.index(row, 3))
        for row in range(model.rowCount())
    }
    assert amounts == {"Sale": "HKD 100.00", "Refund": "−HKD 30.00"}
    # The same sign as the status bar's "refunds −HKD 30.00".
    gui_window.refresh_status()
    qtbot.waitUntil(lambda: "−HKD 30.00" in gui_window.status.waiting.text(), timeout=5000)

    gui_prompts.answers = [MANAGER_PIN, ""]  # the amount dialog is cancelled
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    assert gui_prompts.prefilled[-1] == "70.00"

    refund_row = next(r for r in range(model.rowCount()) if model.record(r).kind.value == "refund")
    page.table.selectRow(refund_row)
    settle(qtbot, gui_window)
    assert page.detail["amount"].text() == "−HKD 30.00"
    assert not page.detail_form.isRowVisible(page.detail["remaining"])  # a refund has none


def test_a_declined_sale_shows_nothing_to_refund(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any
) -> None:
    gui_gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    declined = gui_app.capture_sale(
        amount="88.00", currency="HKD", card_number=DECLINED_CARD, expiry="2912", cvv=TEST_CVV
    ).uuid
    accepted = uploaded_sale(qtbot, gui_window, gui_app, "20.00")  # syncs both
    page = open_sale(qtbot, gui_window, declined)
    assert page.detail["state"].text() == "Declined"
    # its money was never collected: no "Left to refund HKD 88.00"
    assert not page.detail_form.isRowVisible(page.detail["refunded"])
    assert not page.detail_form.isRowVisible(page.detail["remaining"])
    page = open_sale(qtbot, gui_window, accepted)
    assert page.detail_form.isRowVisible(page.detail["remaining"])


# The offscreen platform warns that it cannot resize a shown dialog; a real display does not.
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_refund_box_keeps_what_was_typed_after_an_error(qtbot: Any) -> None:
    dialog = AskDialog(
        None, "Refund", "How much?", "Refund amount", lambda text: "Too much.", text="70.00"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.edit.text() == "70.00"
    assert dialog.edit.selectedText() == "70.00"  # typing replaces it at once
    dialog.edit.setText("90.00")
    dialog.try_accept()
    assert dialog.isVisible()
    assert dialog.error.text() == "Too much."
    assert dialog.edit.text() == "90.00"


def select_rows(page: Any, rows: list[int]) -> None:
    selection = page.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(page.model.index(row, 0), flags)


def add_cards(qtbot: Any, page: Any, prompts: Any, numbers: str) -> None:
    """Typed in the field, added with Enter."""
    qtbot.keyClicks(page.numbers, numbers)
    prompts.answers = [MANAGER_PIN]
    qtbot.keyClick(page.numbers, Qt.Key.Key_Return)


# The offscreen platform cannot raise a menu or grab the keyboard for it; a real display does.
@pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing")
def test_enter_adds_and_the_selected_rows_are_removed_from_the_context_menu(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    gui_window.show_page("blocklist")
    page = gui_window.blocklist_page
    add_cards(qtbot, page, gui_prompts, f"{VISA}, {MASTERCARD}, {AMEX}")
    assert gui_app.store.blocklist_counts()["cards"] == 3
    assert page.numbers.text() == ""
    shown = [page.model.data(page.model.index(r, 0)) for r in range(page.model.rowCount())]
    assert sorted(shown) == ["378282*****0005", "411111******1111", "555555******4444"]
    assert not [t for t in all_texts(gui_window) if VISA in t or MASTERCARD in t or AMEX in t]

    keep = shown.index("378282*****0005")
    select_rows(page, [r for r in range(3) if r != keep])
    assert len(page.selected_entries()) == 2
    page.table.customContextMenuRequested.emit(QPoint(5, 5))
    menu = page.context_menu
    assert [a.text() for a in menu.actions()] == ["Remove the selected cards"]
    menu.close()
    gui_prompts.answers = []  # no PIN: nothing removed
    page.remove_selected_action.trigger()
    assert gui_prompts.asked[-1] == "Manager PIN"
    assert gui_app.store.blocklist_counts()["cards"] == 3
    gui_prompts.answers = [MANAGER_PIN]
    page.remove_selected_action.trigger()
    assert "2 card(s) changed" in page.banner.text()
    # Not yet on the gateway: their additions are simply dropped.
    left = gui_app.store.blocklist_entries(text="", offset=0, limit=10)
    assert [e.masked for e in left] == ["378282*****0005"]
    assert page.model.rowCount() == 1


def test_the_delete_key_removes_the_selected_rows_with_the_pin(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    gui_window.show_page("blocklist")
    page = gui_window.blocklist_page
    add_cards(qtbot, page, gui_prompts, f"{VISA}, {MASTERCARD}")
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        gui_window.sync.start("window")  # on the gateway: removing queues a change
    page.reload()
    assert gui_app.store.blocklist_counts() == {"cards": 2, "pending": 0, "failed": 0}
    gui_window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is gui_window, timeout=3000)
    page.table.setFocus()
    select_rows(page, [0])
    masked = page.model.data(page.model.index(0, 0))
    gui_prompts.answers = [MANAGER_PIN]
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert gui_prompts.asked[-1] == "Manager PIN"
    entries = gui_app.store.blocklist_entries(text="", offset=0, limit=10)
    assert [(e.masked, e.pending) for e in entries if e.pending] == [(masked, "del")]
    # Delete with nothing selected asks nothing.
    page.table.selectionModel().clearSelection()
    asked = len(gui_prompts.asked)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert len(gui_prompts.asked) == asked
