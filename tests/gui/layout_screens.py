"""Every screen, in English and in Traditional Chinese, on the screen this process was started with
(test_layout_sizes.py starts it at 1024×700 and at 150 % scaling): nothing cut, nothing outside the
window, the window no larger than the screen. Each screen is also saved as a PNG into
EDGE_APP_LAYOUT_SHOTS for people to look at (docs/screens.md shows them).

Not collected on its own: its screen is set before Qt starts, so it only runs in that subprocess."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import MANAGER_PIN, settle
from layout import layout_problems
from PySide6.QtWidgets import QApplication, QWizard
from support import AMEX, DECLINED_CARD, MASTERCARD, TEST_CVV, VISA

from edge_app.ui.i18n import switch_language
from edge_app.ui.wizard import SetupWizard

SHOTS = Path(os.environ.get("EDGE_APP_LAYOUT_SHOTS", "test-output/layout"))
LANGUAGES = ("en", "zh_TW")


def shoot(widget: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    assert widget.grab().save(str(SHOTS / f"{name}.png"))


def assert_nothing_cut(found: dict[str, list[str]]) -> None:
    lines = [f"{screen}: {problem}" for screen, problems in found.items() for problem in problems]
    assert not lines, "\n".join(lines)


@pytest.fixture
def store_day(qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any) -> Any:
    """A window after a store day: uploaded, declined and held sales, a refund, one waiting,
    a card on the list."""
    gui_gateway.set_options(
        decline_cards=frozenset({DECLINED_CARD}), refuse_cards=frozenset({AMEX})
    )
    sold = ((VISA, "1,234.50"), (MASTERCARD, "45.50"), (DECLINED_CARD, "88.00"), (AMEX, "30.00"))
    uuids = [
        gui_app.capture_sale(
            amount=amount.replace(",", ""),
            currency="HKD",
            card_number=card,
            expiry="2912",
            cvv=TEST_CVV,
        ).uuid
        for card, amount in sold
    ]
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        gui_window.sync.start("window")
    gui_app.capture_refund(uuids[0], "234.50")
    gui_app.capture_sale(
        amount="15.00", currency="USD", card_number=VISA, expiry="2912", cvv=TEST_CVV
    )
    gui_app.blocklist_add([MASTERCARD])
    gui_window.refresh_status()
    settle(qtbot, gui_window)
    return gui_window, uuids


# The offscreen platform cannot raise a popup menu nor grab the keyboard for it.
@pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard")
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_fits(qtbot: Any, store_day: Any, gui_prompts: Any, language: str) -> None:
    window, uuids = store_day
    switch_language(language)
    window.retranslate()
    window.status.set_online(True)  # the pill only: the window's monitor is off in tests
    settle(qtbot, window)  # as the fixture showed it: the usual size, cut to the screen
    found: dict[str, list[str]] = {}

    def look(name: str) -> None:
        settle(qtbot, window)
        QApplication.processEvents()
        found[name] = layout_problems(window)
        shoot(window, f"{language}-{name}")

    window.show_page("sale")
    look("sale")
    menu = window.status.attention.menu()  # the status bar's "⚠ 2 need a manager"
    menu.popup(window.status.attention.mapToGlobal(window.status.attention.rect().topLeft()))
    qtbot.waitUntil(menu.isVisible, timeout=3000)
    assert [a.text() for a in menu.actions() if a.text()], "the menu lists the records"
    found["attention-menu"] = [p for p in layout_problems(menu) if "larger than" not in p]
    shoot(menu, f"{language}-attention-menu")
    menu.close()
    window.sale_page.submit_button.click()  # every field's error shown at once
    look("sale-errors")
    window.sale_page.clear_form()
    window.show_page("transactions")
    window.transactions_page.refresh()
    for name, uuid in (("transactions", uuids[0]), ("transactions-declined", uuids[2])):
        window.open_record(uuid)
        look(name)
    window.show_page("blocklist")
    look("card-list")
    window.show_page("sync")
    look("sync")
    gui_prompts.answers = [MANAGER_PIN]
    window.show_page("report")
    window.report_page.show_report()
    look("report")
    window.show_page("settings")
    look("settings")
    # both screens are smaller than the usual size: the window opens maximized on them
    assert window.fills_screen
    window.show_fitted()
    qtbot.waitUntil(window.isMaximized, timeout=3000)
    window.show_page("sale")
    look("sale-maximized")
    assert_nothing_cut(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_wizard_page_fits(qtbot: Any, home: Path, language: str) -> None:
    switch_language(language)
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    found: dict[str, list[str]] = {}
    for name in ("environment", "store", "security"):
        QApplication.processEvents()
        found[name] = layout_problems(wizard)
        shoot(wizard, f"{language}-wizard-{name}")
        if name == "environment":
            wizard.button(QWizard.WizardButton.NextButton).click()
        elif name == "store":
            wizard.store_page.store_id.setText("shop-1")
            wizard.store_page.username.setText("manager@example.com")
            wizard.button(QWizard.WizardButton.NextButton).click()
    assert_nothing_cut(found)
