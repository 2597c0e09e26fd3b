"""The window works the way a cashier works: the currency box, the shortcuts, and the manager PIN
asked exactly where the side panel says it is."""

from __future__ import annotations

from typing import Any

from gui_helpers import MANAGER_PIN, settle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from support import DECLINED_CARD, TEST_CVV, VISA

from edge_app.domain.limits import DEFAULT_LIMITS
from edge_app.ui.sale_page import FUND_CODES


def sale(app: Any, amount: str = "30.00", card: str = VISA) -> str:
    return str(
        app.capture_sale(
            amount=amount, currency="HKD", card_number=card, expiry="2912", cvv=TEST_CVV
        ).uuid
    )


def box_codes(box: Any) -> list[str]:
    return [str(box.itemData(i)) for i in range(box.count()) if box.itemData(i)]


def test_the_currency_box_offers_the_store_currencies_first_with_names(gui_window: Any) -> None:
    box = gui_window.sale_page.currency
    store = list(DEFAULT_LIMITS.per_transaction)  # the currencies with an offline limit
    codes = box_codes(box)
    assert codes[: len(store)] == store
    assert box.itemText(0) == "HKD — Hong Kong dollar"
    assert box.itemText(1) == "USD — US dollar"
    assert all(" — " in box.itemText(i) for i in range(len(store)))
    assert not FUND_CODES & set(codes)
    assert "HNL" in codes[len(store) :]  # others follow, after a separator
    assert not box.itemData(len(store))  # the separator
    assert box.code() == "HKD"


def test_typing_a_letter_selects_the_store_currency_and_not_the_next_code(
    qtbot: Any, gui_window: Any
) -> None:
    box = gui_window.sale_page.currency
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_H, Qt.KeyboardModifier.NoModifier)
    assert box.code() == "HKD"
    qtbot.keyClick(box, Qt.Key.Key_H, Qt.KeyboardModifier.NoModifier)  # "HH": no such code
    assert box.code() == "HKD"
    box.select("USD")
    for key in (Qt.Key.Key_G, Qt.Key.Key_B):
        qtbot.keyClick(box, key, Qt.KeyboardModifier.NoModifier)
    assert box.code() == "GBP"


def test_the_currency_is_not_carried_to_the_next_sale(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    page = gui_window.sale_page
    page.currency.select("USD")
    for edit, text in (
        (page.amount, "12.00"),
        (page.card_number, VISA),
        (page.expiry, "12/29"),
        (page.cvv, TEST_CVV),
    ):
        qtbot.keyClicks(edit, text)
    qtbot.keyClick(page.cvv, Qt.Key.Key_Return)
    assert gui_app.store.list_transactions()[0].currency == "USD"
    assert page.currency.code() == "HKD"
    assert page.amount.hasFocus()


def press(qtbot: Any, window: Any, key: Qt.Key, modifier: Any = Qt.KeyboardModifier.NoModifier):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def test_ctrl_n_starts_a_new_sale_with_the_amount_focused(qtbot: Any, gui_window: Any) -> None:
    page = gui_window.sale_page
    qtbot.keyClicks(page.amount, "77")
    page.currency.select("EUR")
    gui_window.show_page("transactions")
    gui_window.transactions_page.search.setFocus()
    press(qtbot, gui_window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert gui_window.stack.currentWidget() is page
    assert page.amount.text() == ""
    assert page.currency.code() == "HKD"
    assert page.amount.hasFocus()


def test_f5_syncs_now_from_any_screen(qtbot: Any, gui_window: Any, gui_app: Any) -> None:
    sale(gui_app)
    gui_window.show_page("settings")
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        press(qtbot, gui_window, Qt.Key.Key_F5)
    assert gui_window.stack.currentWidget() is gui_window.sync_page
    assert gui_app.store.list_transactions()[0].state.value == "uploaded"


def test_ctrl_f_puts_the_cursor_in_the_search_of_the_list_shown(
    qtbot: Any, gui_window: Any
) -> None:
    press(qtbot, gui_window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert gui_window.stack.currentWidget() is gui_window.transactions_page
    assert gui_window.transactions_page.search.hasFocus()
    gui_window.show_page("blocklist")
    gui_window.blocklist_page.table.setFocus()
    press(qtbot, gui_window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert gui_window.stack.currentWidget() is gui_window.blocklist_page
    assert gui_window.blocklist_page.search.hasFocus()


def test_the_shortcuts_are_shown_in_tooltips(gui_window: Any) -> None:
    nav = gui_window.nav
    assert nav.item(0).toolTip() == "New sale (Ctrl+N)"
    assert nav.item(3).toolTip() == "Sync (F5)"
    assert gui_window.sync_page.sync_button.toolTip() == "Sync now (F5)"
    assert gui_window.transactions_page.search.toolTip() == "Search (Ctrl+F)"
    assert gui_window.blocklist_page.search.toolTip() == "Search (Ctrl+F)"
    shortcuts = {a.objectName(): a.shortcut().toString() for a in gui_window.actions()}
    assert shortcuts == {
        "shortcut_new_sale": "Ctrl+N",
        "shortcut_sync_now": "F5",
        "shortcut_search": "Ctrl+F",
    }


def test_the_side_panel_says_what_needs_the_pin_and_exactly_that_asks_for_it(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    from edge_app.domain.transactions import TxState

    text = gui_window.role_label.text()
    words = ("void", "refund", "retry", "give up", "mark as seen", "card list", "settings")
    assert all(w in text for w in words), text
    # A cashier's sale and a sync ask nothing.
    page = gui_window.sale_page
    for edit, typed in ((page.amount, "5"), (page.card_number, VISA), (page.expiry, "12/29")):
        qtbot.keyClicks(edit, typed)
    qtbot.keyClicks(page.cvv, TEST_CVV)
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    gui_gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    uploaded, declined = sale(gui_app), sale(gui_app, card=DECLINED_CARD)
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        qtbot.mouseClick(gui_window.sync_page.sync_button, Qt.MouseButton.LeftButton)
    held = sale(gui_app, "12.00")
    with gui_app.store.transaction() as conn:  # as if the gateway refused its parameters
        gui_app.store.set_state(conn, gui_app.store.get(held), TxState.UPLOADING)
        gui_app.store.set_state(conn, gui_app.store.get(held), TxState.HELD)
    assert gui_prompts.asked == []

    # Every action on a recorded transaction asks; without the PIN nothing changes.
    tx = gui_window.transactions_page
    before = [(r.uuid, r.state, r.seen_ts) for r in gui_app.store.list_transactions()]
    for uuid, action in (
        (uploaded, tx.void_button),
        (uploaded, tx.refund_button),
        (held, tx.retry_button),
        (held, tx.give_up_button),
        (declined, tx.seen_button),
    ):
        gui_window.open_record(uuid)
        settle(qtbot, gui_window)
        assert action.isEnabled(), action.objectName()
        qtbot.mouseClick(action, Qt.MouseButton.LeftButton)
        assert gui_prompts.asked.pop() == "Manager PIN", action.objectName()
        assert "manager PIN was not given" in tx.banner.text()
    after = [(r.uuid, r.state, r.seen_ts) for r in gui_app.store.list_transactions()]
    assert after == before

    # Saving the settings asks; opening and reading them does not.
    gui_window.show_page("settings")
    assert gui_prompts.asked == []
    settings = gui_window.settings_page
    settings.device_model.setText("Till 9")
    qtbot.mouseClick(settings.save_button, Qt.MouseButton.LeftButton)
    assert gui_prompts.asked.pop() == "Manager PIN"
    assert gui_app.config.device_model != "Till 9"
    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(settings.save_button, Qt.MouseButton.LeftButton)
    assert settings.banner.text() == "Settings saved."
