"""The status bar and tray say everything that waits and what needs a manager; the window sends
on its own while the gateway is reachable, and closing it while records wait asks first."""

from __future__ import annotations

from typing import Any

from gui_helpers import MANAGER_PIN
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from support import DECLINED_CARD, MASTERCARD, TEST_CVV, VISA

from edge_app.ui.statusbar import StatusBar


def sale(app: Any, amount: str, card: str = VISA, currency: str = "HKD") -> str:
    return str(
        app.capture_sale(
            amount=amount, currency=currency, card_number=card, expiry="2912", cvv=TEST_CVV
        ).uuid
    )


def sync(qtbot: Any, window: Any) -> Any:
    with qtbot.waitSignal(window.sync.finished, timeout=20_000) as blocker:
        window.sync.start("window")
    return blocker.args[0]


def status_shown(qtbot: Any, window: Any, check: Any) -> None:
    window.refresh_status()
    qtbot.waitUntil(lambda: window.last_status is not None and check(window.status), timeout=5000)


def test_every_kind_that_waits_is_counted_with_refunds_apart(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    refunded, voided = sale(gui_app, "200.00"), sale(gui_app, "30.00")
    sync(qtbot, gui_window)
    sale(gui_app, "10.00")
    sale(gui_app, "48.00")
    sale(gui_app, "5.00", currency="USD")
    gui_app.capture_refund(refunded, "100.00")
    gui_app.capture_void(voided)
    gui_app.blocklist_add([MASTERCARD, "4012888888881881", "5200828282828210"])
    status_shown(qtbot, gui_window, lambda bar: bar.waiting.text().startswith("5 waiting"))
    assert gui_window.status.waiting.text() == (
        "5 waiting: sales HKD 58.00, USD 5.00 · refunds −HKD 100.00 · 1 void(s) · "
        "3 card-list change(s)"
    )
    assert "refunds −HKD 100.00" in gui_window.tray_text()


def test_a_decline_is_never_green_and_a_click_opens_it_until_a_manager_saw_it(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    gui_gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    declined = sale(gui_app, "88.00", DECLINED_CARD)
    sync(qtbot, gui_window)
    bar = gui_window.status
    status_shown(qtbot, gui_window, lambda b: b.attention.isVisibleTo(gui_window))
    assert bar.attention.text() == "⚠ 1 needs a manager"
    assert "#b00020" in bar.attention.styleSheet()
    assert bar.waiting.text() == "Nothing to send"
    assert "#1e7d32" not in bar.age.styleSheet()  # nothing waits, but this is not all good
    assert "1 needs a manager" in gui_window.tray_text()
    [entry] = bar.attention.menu().actions()
    masked = DECLINED_CARD[:6] + "******" + DECLINED_CARD[-4:]
    assert entry.text().startswith(f"Declined · Sale · HKD 88.00 · {masked} · ")
    assert DECLINED_CARD not in entry.text()

    entry.trigger()  # the click opens the record
    page = gui_window.transactions_page
    assert gui_window.stack.currentWidget() is page
    assert page.selected().uuid == declined
    assert page.detail["state"].text() == "Declined"
    assert page.model.cell_text(page.selected(), 2) == "Declined"
    assert page.seen_button.isEnabled()

    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.seen_button, Qt.MouseButton.LeftButton)
    assert "no longer needs attention" in page.banner.text()
    status_shown(qtbot, gui_window, lambda b: not b.attention.isVisibleTo(gui_window))
    assert gui_app.status()["needs_attention"] == 0
    assert not page.seen_button.isEnabled()


def test_seeing_a_decline_needs_the_manager_pin(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    gui_gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    declined = sale(gui_app, "88.00", DECLINED_CARD)
    sync(qtbot, gui_window)
    gui_window.open_record(declined)
    gui_prompts.answers = []  # the PIN prompt is cancelled
    qtbot.mouseClick(gui_window.transactions_page.seen_button, Qt.MouseButton.LeftButton)
    assert gui_app.status()["needs_attention"] == 1


def test_a_queued_sale_goes_out_on_its_own_while_the_gateway_is_reachable(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    gui_app.update_config(send_delay_seconds=0.3)
    gui_window.online_changed(True)
    first = sale(gui_app, "10.00")
    gui_window.queue_changed()
    second = sale(gui_app, "12.00")
    gui_window.queue_changed()  # joins the same send: the timer is not restarted
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000) as blocker:
        pass
    assert blocker.args[0].uploaded == 2
    assert gui_app.store.sync_runs()[0]["trigger"] == "auto"
    assert {gui_app.store.get(u).state.value for u in (first, second)} == {"uploaded"}
    assert len(gui_app.store.sync_runs()) == 1


def test_nothing_is_sent_on_its_own_when_offline_or_turned_off(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    gui_window.online_changed(False)
    sale(gui_app, "10.00")
    gui_window.queue_changed()
    assert not gui_window.send_timer.isActive()
    gui_app.update_config(send_delay_seconds=0)
    gui_window._online = True
    gui_window.queue_changed()
    assert not gui_window.send_timer.isActive()
    assert gui_app.store.sync_runs() == []


def test_closing_while_records_wait_asks_and_cancel_keeps_the_window(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    sale(gui_app, "10.00")
    status_shown(qtbot, gui_window, lambda bar: bar.waiting.text().startswith("1 waiting"))
    gui_prompts.choices = []  # cancelled
    gui_window.close()
    assert gui_window.isVisible()
    assert gui_prompts.questions == [
        "1 waiting: sales HKD 10.00. They are sent only while Edge Uploader runs."
    ]
    assert gui_window.status_timer.isActive()
    if gui_window.tray is not None:
        gui_prompts.choices = ["tray"]
        gui_window.close()
        assert not gui_window.isVisible() and gui_window.status_timer.isActive()
        gui_window.showNormal()
    gui_prompts.choices = ["quit"]
    gui_window.close()
    assert not gui_window.isVisible()
    assert not gui_window.status_timer.isActive()


def test_closing_with_nothing_waiting_does_not_ask(
    qtbot: Any, gui_window: Any, gui_prompts: Any
) -> None:
    gui_window.close()
    assert gui_prompts.questions == []
    assert not gui_window.isVisible()


def test_reachable_is_not_online_while_the_syncs_fail(qtbot: Any) -> None:
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.set_online(True, {"outcome": "done"})
    assert bar.online.text() == "● Online"
    bar.set_online(True, {"outcome": "error"})
    assert bar.online.text() == "● Reachable, but sync fails"
    bar.set_online(False, {"outcome": "done"})
    assert bar.online.text() == "● Offline"


def test_the_window_never_opens_larger_than_the_screen(gui_window: Any) -> None:
    screen = QApplication.primaryScreen().availableGeometry()
    assert gui_window.width() <= screen.width()
    assert gui_window.height() <= screen.height()
