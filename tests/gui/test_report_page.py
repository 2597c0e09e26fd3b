"""The Report page: the shop-close report behind the manager PIN, saved as PDF and CSV,
reconciliation with the gateway, and "last night's report" in the side panel."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gui_helpers import MANAGER_PIN, all_texts, settle
from PySide6.QtCore import Qt
from support import DECLINED_CARD, capture_sales


def day_of_sales(gui_app: Any, gui_gateway: Any) -> list[str]:
    gui_gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    sales = capture_sales(gui_app, 2)
    capture_sales(gui_app, 1, card=DECLINED_CARD, amount="25.00")
    gui_app.sync(query_interval=0.1, pending_wait=3.0)
    return sales


def test_the_report_needs_the_pin_and_shows_the_day(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any, tmp_path: Path
) -> None:
    day_of_sales(gui_app, gui_gateway)
    gui_window.show_page("report")
    page = gui_window.report_page
    gui_prompts.answers = ["0000"]  # wrong, then the dialog is cancelled
    qtbot.mouseClick(page.show_button, Qt.MouseButton.LeftButton)
    assert "not shown" in page.banner.text().lower()
    assert page.view.toPlainText() == "" and not page.pdf_button.isEnabled()

    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.show_button, Qt.MouseButton.LeftButton)
    settle(qtbot, gui_window)
    text = page.view.toPlainText()
    assert "Sales confirmed by the gateway" in text and "20.00" in text
    assert "400000******0002" in text and "Declined by the card issuer." in text
    assert "Verified:" in text and "need a manager" in page.banner.text()
    assert DECLINED_CARD not in " ".join(all_texts(gui_window))
    events = [r[0] for r in gui_app.store.query("SELECT event FROM audit ORDER BY id")]
    assert events[-2:] == ["manager_pin_refused", "manager_approved"]
    roles = gui_app.store.query("SELECT actor FROM audit WHERE event = 'manager_approved'")
    assert roles == [("manager",)]

    gui_prompts.files = [tmp_path / "day.pdf", tmp_path / "day.csv"]
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.csv_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "day.pdf").read_bytes().startswith(b"%PDF")
    assert "declined_record,HKD,sale,1,25.00" in (tmp_path / "day.csv").read_text("utf-8")


def test_reconcile_from_the_window_keeps_the_difference(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    sales = day_of_sales(gui_app, gui_gateway)
    gui_gateway.set_options(disagree={sales[0]: "refunded"})
    gui_window.show_page("report")
    page = gui_window.report_page
    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.reconcile_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Asking" not in page.banner.text(), timeout=10_000)
    assert "Asked about 2 record(s): 1 difference(s)." in page.banner.text()
    assert gui_app.count_open_differences() == 1
    settle(qtbot, gui_window)
    assert "refunded of the sale" in page.view.toPlainText()


def test_last_nights_report_is_announced_and_opens_the_day(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    from edge_app.services.report_files import write_day_report

    yesterday = date.today() - timedelta(days=1)
    assert gui_window.announce_last_report() is None
    assert not gui_window.last_report_button.isVisible()
    write_day_report(gui_app.home, gui_app.report(yesterday), None)
    saved = gui_window.announce_last_report()
    assert saved is not None and saved.day == yesterday
    assert gui_window.last_report_button.isVisible()
    text = gui_window.last_report_button.text()
    assert text.startswith("Last night's report\n" + yesterday.isoformat()), text
    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(gui_window.last_report_button, Qt.MouseButton.LeftButton)
    settle(qtbot, gui_window)
    assert gui_window.stack.currentWidget() is gui_window.report_page
    assert gui_window.report_page.period() == (yesterday, yesterday)
    assert f"Store store-1, {yesterday.isoformat()}" in gui_window.report_page.view.toPlainText()
    old = date.today() - timedelta(days=5)  # an old report is not "last night's"
    assert gui_window.announce_last_report(today=old + timedelta(days=10)) is None
