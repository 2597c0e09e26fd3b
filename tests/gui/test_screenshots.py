"""Screenshots of every screen under test-output/screenshots/ for people to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_helpers import MANAGER_PIN, SCREENSHOTS, settle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from support import DECLINED_CARD, MASTERCARD, TEST_CVV, VISA

from edge_app.ui.wizard import SetupWizard

AMEX = "378282246310005"


def save(widget: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()  # let pending layout changes settle before the grab
    path = SCREENSHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 5000
    return path


def test_screenshots_of_every_screen(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    window = gui_window
    window.resize(1180, 760)
    gui_gateway.set_options(
        decline_cards=frozenset({DECLINED_CARD}), refuse_cards=frozenset({AMEX})
    )
    sold = ((VISA, "120.00"), (MASTERCARD, "45.50"), (DECLINED_CARD, "88.00"), (AMEX, "30.00"))
    for card, amount in sold:
        gui_app.capture_sale(
            amount=amount, currency="HKD", card_number=card, expiry="2912", cvv=TEST_CVV
        )
    with qtbot.waitSignal(window.sync.finished, timeout=20_000):
        window.sync.start("window")
    gui_app.capture_sale(
        amount="15.00", currency="USD", card_number=VISA, expiry="2912", cvv=TEST_CVV
    )
    gui_app.blocklist_add([MASTERCARD])
    window.refresh_status()
    qtbot.waitUntil(lambda: window.status.waiting.text().startswith("1 waiting"), timeout=3000)

    page = window.sale_page
    qtbot.keyClicks(page.amount, "abc")
    qtbot.keyClicks(page.card_number, "4111111111111112")
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    save(window, "01-new-sale-errors")
    page.clear_form()
    qtbot.keyClicks(page.amount, "25.00")
    qtbot.keyClicks(page.card_number, VISA)
    qtbot.keyClicks(page.expiry, "12/29")
    qtbot.keyClicks(page.cvv, TEST_CVV)
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)  # the status bar counts the new sale
    save(window, "02-new-sale-queued")
    page.reader_mode.setCurrentIndex(page.reader_mode.findData("contact"))
    save(window, "03-new-sale-chip")
    page.reader_mode.setCurrentIndex(0)

    window.show_page("transactions")
    tx = window.transactions_page
    tx.refresh()
    rows = (tx.model.record(row) for row in range(tx.model.rowCount()))
    declined = next(r for r in rows if r.state.value == "failed")
    tx.select_uuid(declined.uuid)
    settle(qtbot, window)  # its audit trail
    save(window, "04-transactions")
    held = next(
        tx.model.record(row)
        for row in range(tx.model.rowCount())
        if tx.model.record(row).state.value == "held"
    )
    tx.select_uuid(held.uuid)
    assert tx.give_up_button.isEnabled()
    settle(qtbot, window)
    save(window, "04b-transactions-held")

    window.show_page("blocklist")
    settle(qtbot, window)  # the list's counts
    save(window, "05-card-block-list")
    window.show_page("sync")
    settle(qtbot, window)  # the history
    save(window, "06-sync")
    window.show_page("settings")
    window.settings_page.batch_size.setText("5000")
    gui_prompts.answers = [MANAGER_PIN]
    window.settings_page.save()
    save(window, "07-settings-error")
    window.settings_page.load()


def test_screenshots_of_the_wizard(qtbot: Any, home: Path, db_key: str) -> None:
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.resize(700, 560)
    wizard.show()
    save(wizard, "10-wizard-environment")
    wizard.button(QWizard.WizardButton.NextButton).click()
    wizard.store_page.store_id.setText("bad id!")
    wizard.button(QWizard.WizardButton.NextButton).click()
    save(wizard, "11-wizard-store-errors")
    wizard.store_page.store_id.setText("shop-1")
    wizard.store_page.username.setText("manager@example.com")
    wizard.button(QWizard.WizardButton.NextButton).click()
    wizard.security_page.key_buttons["file"].setChecked(True)
    save(wizard, "12-wizard-security")


def test_screenshot_in_traditional_chinese(qtbot: Any, gui_app: Any, gui_prompts: Any) -> None:
    from edge_app.ui.i18n import install_translator, remove_translator
    from edge_app.ui.main_window import MainWindow

    translator = install_translator("zh_TW")
    try:
        window = MainWindow(gui_app, prompts=gui_prompts, monitor=False)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.last_status is not None, timeout=5000)
        assert window.sale_page.submit_button.text() == "加入佇列"
        save(window, "08-new-sale-zh_TW")
        window.show_page("sync")
        settle(qtbot, window)
        save(window, "09-sync-zh_TW")
        window.shutdown()
    finally:
        remove_translator(translator)
