"""First-run wizard: validation next to the fields, then a working installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWizard

from edge_app.config import load_config
from edge_app.ui.roles import PIN_SETTING, verify_pin
from edge_app.ui.wizard import SetupWizard


def next_page(qtbot: Any, wizard: SetupWizard) -> None:
    wizard.button(QWizard.WizardButton.NextButton).click()


def fill_first_pages(qtbot: Any, wizard: SetupWizard, url: str) -> None:
    env = wizard.environment_page
    env.environment.setCurrentIndex(env.environment.findData("sandbox"))
    env.base_url.setText(url)
    next_page(qtbot, wizard)
    store = wizard.store_page
    qtbot.keyClicks(store.store_id, "shop-42")
    qtbot.keyClicks(store.username, "manager@example.com")
    qtbot.keyClicks(store.password, "sandbox")
    next_page(qtbot, wizard)


def test_wizard_sets_up_a_sandbox_store_and_logs_in(
    qtbot: Any, home: Path, db_key: str, gui_gateway: Any
) -> None:
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    fill_first_pages(qtbot, wizard, gui_gateway.url)
    security = wizard.security_page
    assert wizard.currentPage() is security
    security.key_buttons["file"].setChecked(True)
    qtbot.keyClicks(security.passphrase, "correct horse")
    qtbot.keyClicks(security.passphrase2, "correct horse")
    qtbot.keyClicks(security.pin, "4321")
    qtbot.keyClicks(security.pin2, "4321")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    assert wizard.currentPage() is wizard.done_page, security.form.visible_errors()
    qtbot.waitUntil(wizard.done_page.isComplete, timeout=10_000)
    assert "Logged in" in wizard.done_page.message.text()

    config = load_config(home)
    assert (config.store_id, config.environment, config.base_url) == (
        "shop-42",
        "sandbox",
        gui_gateway.url,
    )
    app = wizard.app
    try:
        assert app.key_source.backend == "file"
        assert verify_pin("4321", app.store.get_setting(PIN_SETTING))
        assert app.credentials() == ("manager@example.com", "sandbox")
    finally:
        wizard.button(QWizard.WizardButton.FinishButton).click()
        app.close()
    assert wizard.result() == QWizard.DialogCode.Accepted


def test_wizard_errors_appear_next_to_the_fields(qtbot: Any, home: Path, db_key: str) -> None:
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    env = wizard.environment_page
    env.environment.setCurrentIndex(env.environment.findData("custom"))
    env.base_url.setText("http://payments.example.com")
    next_page(qtbot, wizard)
    assert wizard.currentPage() is env
    errors = env.form.visible_errors()
    assert set(errors) == {"base_url", "client_id", "client_secret"}

    env.environment.setCurrentIndex(env.environment.findData("sandbox"))
    next_page(qtbot, wizard)
    store = wizard.store_page
    store.store_id.setText("no spaces allowed")
    next_page(qtbot, wizard)
    assert wizard.currentPage() is store
    assert set(store.form.visible_errors()) == {"store_id", "username"}
    store.store_id.setText("s1")
    store.username.setText("u")
    next_page(qtbot, wizard)

    security = wizard.security_page
    security.key_buttons["file"].setChecked(True)
    security.passphrase.setText("short")
    security.pin.setText("12")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    assert wizard.currentPage() is security
    assert set(security.form.visible_errors()) == {"passphrase", "pin"}
    security.passphrase.setText("long enough")
    security.passphrase2.setText("long enougH")
    security.pin.setText("1234")
    security.pin2.setText("1243")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    assert set(security.form.visible_errors()) == {"passphrase2", "pin2"}
    assert not (home / "config.json").exists()


def test_wizard_finishes_offline_with_a_clear_note(qtbot: Any, home: Path, db_key: str) -> None:
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    fill_first_pages(qtbot, wizard, "http://127.0.0.1:9")  # nothing listens on the discard port
    security = wizard.security_page
    security.key_buttons["env"].setChecked(True)
    security.pin.setText("2580")
    security.pin2.setText("2580")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    assert wizard.currentPage() is wizard.done_page, security.form.visible_errors()
    qtbot.waitUntil(wizard.done_page.isComplete, timeout=15_000)
    assert "offline" in wizard.done_page.message.text()
    app = wizard.app
    try:
        assert app.credentials()[1] == "sandbox"  # kept for the first sync
    finally:
        wizard.button(QWizard.WizardButton.FinishButton).click()
        app.close()
