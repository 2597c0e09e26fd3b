"""The wizard's database-key choice: no keyring preselected where there is none, and never a
command-line flag for a person in front of the window."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import all_texts
from PySide6.QtWidgets import QWizard

from edge_app.ui.wizard import SetupWizard

FLAG = re.compile(r"(^|[\s(\"'])--[a-z]")


def flags_in(wizard: SetupWizard) -> list[str]:
    return [text for text in all_texts(wizard) if FLAG.search(text)]


def to_security_page(qtbot: Any, wizard: SetupWizard, url: str = "http://127.0.0.1:9") -> None:
    env = wizard.environment_page
    env.environment.setCurrentIndex(env.environment.findData("sandbox"))
    env.base_url.setText(url)
    wizard.button(QWizard.WizardButton.NextButton).click()
    store = wizard.store_page
    qtbot.keyClicks(store.store_id, "shop-7")
    qtbot.keyClicks(store.username, "manager@example.com")
    wizard.button(QWizard.WizardButton.NextButton).click()
    assert wizard.currentPage() is wizard.security_page


def without_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDGE_APP_DB_KEY", raising=False)
    monkeypatch.delenv("EDGE_APP_PASSPHRASE", raising=False)


def test_without_a_keyring_the_passphrase_file_is_chosen_and_the_keyring_cannot_be(
    qtbot: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_env_key(monkeypatch)
    monkeypatch.setattr("storage.keys.keyring_available", lambda: False)
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    to_security_page(qtbot, wizard)
    security = wizard.security_page
    keyring = security.key_buttons["keyring"]
    assert not keyring.isChecked() and not keyring.isEnabled()
    assert security.key_store() == "file"
    assert security.passphrase.isEnabled()
    texts = all_texts(security)
    assert any("No keyring was found on this computer" in t for t in texts)
    assert any("EDGE_APP_DB_KEY is not set in this session." in t for t in texts)
    assert flags_in(wizard) == []

    # The environment variable chosen while it is not set: a sentence, no flag.
    security.key_buttons["env"].setChecked(True)
    security.pin.setText("2580")
    security.pin2.setText("2580")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    assert wizard.currentPage() is security
    assert "choose another place for the key" in security.form.visible_errors()["key_store"]
    assert flags_in(wizard) == []
    assert not (home / "config.json").exists()


def test_with_a_keyring_it_is_the_one_chosen(
    qtbot: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storage.keys.keyring_available", lambda: True)
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    security = wizard.security_page
    assert security.key_buttons["keyring"].isEnabled()
    assert security.key_store() == "keyring"
    assert not security.passphrase.isEnabled()
    assert not any("No keyring" in t for t in all_texts(security))


def test_a_keyring_that_fails_at_setup_says_what_to_pick_not_which_flag(
    qtbot: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_env_key(monkeypatch)
    monkeypatch.setattr("storage.keys.keyring_available", lambda: True)
    monkeypatch.setattr("storage.keys._keyring_store", lambda installation_id, key: False)
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    to_security_page(qtbot, wizard)
    security = wizard.security_page
    assert security.key_store() == "keyring"
    security.pin.setText("2580")
    security.pin2.setText("2580")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    assert wizard.currentPage() is security
    assert security.form.visible_errors()["key_store"] == (
        "No OS keyring is available on this computer; choose the passphrase file instead."
    )
    assert flags_in(wizard) == []

    # Following that advice sets the store up, and the last page names no flag either.
    security.key_buttons["file"].setChecked(True)
    security.passphrase.setText("correct horse")
    security.passphrase2.setText("correct horse")
    security.pin.setText("2580")
    security.pin2.setText("2580")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    assert wizard.currentPage() is wizard.done_page, security.form.visible_errors()
    qtbot.waitUntil(wizard.done_page.isComplete, timeout=15_000)
    app = wizard.app
    try:
        assert app.key_source.backend == "file"
        assert "passphrase" in wizard.done_page.message.text()
        assert flags_in(wizard) == []
    finally:
        wizard.button(QWizard.WizardButton.FinishButton).click()
        app.close()
