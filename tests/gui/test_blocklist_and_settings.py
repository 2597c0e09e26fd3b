"""Card block list and Settings screens: manager PIN, errors next to fields, nothing half-saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gui_helpers import MANAGER_PIN, all_texts, settle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from support import AMEX, MASTERCARD, VISA

from edge_app.config import load_config


def test_add_and_remove_cards_need_the_pin_and_show_pending_changes(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    gui_window.show_page("blocklist")
    page = gui_window.blocklist_page
    assert "Block list" in page.mode_label.text()

    qtbot.keyClicks(page.numbers, f"{VISA}, {MASTERCARD}")
    gui_prompts.answers = ["1357"]  # wrong PIN, then the dialog is cancelled
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.blocklist_counts()["cards"] == 0
    assert gui_prompts.refusals

    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.blocklist_counts() == {"cards": 2, "pending": 2, "failed": 0}
    assert page.numbers.text() == ""
    assert page.model.rowCount() == 2
    assert page.model.data(page.model.index(0, 2)) == "Added: sent at the next sync"
    settle(qtbot, gui_window)  # the counts are read in a worker
    assert "2 card(s) on the list; 2 change(s)" in page.counts_label.text()
    assert not [t for t in all_texts(page) if VISA in t or MASTERCARD in t]

    qtbot.keyClicks(page.numbers, VISA)
    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.blocklist_counts()["cards"] == 1
    assert page.model.rowCount() == 1

    qtbot.keyClicks(page.search, "5555")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.text == "5555", timeout=3000)
    page.search.setText("")


def test_bad_card_number_is_shown_next_to_the_field(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any
) -> None:
    page = gui_window.blocklist_page
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert "at least one" in page.numbers_error.text()
    qtbot.keyClicks(page.numbers, "4111111111111112")
    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert page.numbers_error.text()
    assert gui_app.store.blocklist_counts()["cards"] == 0


def test_csv_import_and_masked_export(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any, tmp_path: Path
) -> None:
    page = gui_window.blocklist_page
    good = tmp_path / "cards.csv"
    good.write_text(f"card_number\n{VISA}\n{MASTERCARD}\n{AMEX}\n")
    gui_prompts.answers = [MANAGER_PIN]
    gui_prompts.files = [good]
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "success", timeout=5000)
    assert "3 card(s) changed" in page.banner.text()
    assert page.model.rowCount() == 3

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{VISA}\n1234\n")
    gui_prompts.answers = [MANAGER_PIN]
    gui_prompts.files = [bad]
    page.import_removes.setChecked(True)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "error", timeout=5000)
    assert "line 2" in page.banner.text()
    assert gui_app.store.blocklist_counts()["cards"] == 3  # nothing changed

    report = tmp_path / "report.csv"
    gui_prompts.files = [report]
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: report.exists() and "Wrote 3" in page.banner.text(), timeout=5000)
    assert VISA not in report.read_text()
    assert "411111******1111" in report.read_text()


def test_settings_save_with_the_pin(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_prompts: Any, home: Path
) -> None:
    gui_window.show_page("settings")
    page = gui_window.settings_page
    for edit, text in (
        (page.device_model, "Till 3"),
        (page.shop_close, "21:30"),
        (page.batch_size, "250"),
        (page.concurrency, "3"),
    ):
        edit.setText("")
        qtbot.keyClicks(edit, text)
    page.language.setCurrentIndex(page.language.findData("zh_TW"))

    gui_prompts.answers = []  # no PIN: nothing saved
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert load_config(home).device_model != "Till 3"

    gui_prompts.answers = [MANAGER_PIN]
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.banner.text() == "Settings saved.", page.visible_errors()
    saved = load_config(home)
    assert (saved.device_model, saved.shop_close, saved.batch_size, saved.concurrency) == (
        "Till 3",
        "21:30",
        250,
        3,
    )
    assert saved.language == "zh_TW"
    assert gui_app.device_info().device_model == "Till 3"


def in_view(scroll: Any, widget: Any) -> bool:
    viewport = scroll.viewport()
    return bool(viewport.rect().contains(widget.mapTo(viewport, widget.rect().bottomLeft())))


def test_bad_settings_show_errors_next_to_the_fields_and_save_nothing(
    qtbot: Any, gui_window: Any, gui_prompts: Any, home: Path
) -> None:
    page = gui_window.settings_page
    gui_window.show_page("settings")
    before = json.loads((home / "config.json").read_text())
    cases = (
        (page.batch_size, "lots", "batch_size", "number"),
        (page.batch_size, "5000", "batch_size", "between 1 and 1000"),
        (page.shop_close, "25:99", "shop_close", "HH:MM"),
        (page.store_id, "bad store!", "store_id", "Store id"),
        (page.device_model, "", "device_model", "empty"),
    )
    for edit, text, field, words in cases:
        page.load()
        edit.setText(text)
        gui_prompts.answers = [MANAGER_PIN]
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
        errors = page.visible_errors()
        assert words in errors.get(field, ""), (field, errors)
        assert page.banner.kind == "error"
        # the wrong field is scrolled into view and has the focus
        label = page.form_by_field[field].errors[field]
        qtbot.waitUntil(lambda label=label: in_view(page.body_scroll, label), timeout=2000)
        assert edit.hasFocus() or QApplication.focusWidget() is edit
    page.load()
    page.environment.setCurrentIndex(page.environment.findData("custom"))
    page.base_url.setText("http://gateway.example.com")
    gui_prompts.answers = [MANAGER_PIN]
    page.client_secret.setText("s3cret")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert "https" in page.visible_errors().get("base_url", ""), page.visible_errors()
    assert json.loads((home / "config.json").read_text()) == before


def test_change_manager_pin(qtbot: Any, gui_window: Any, gui_app: Any) -> None:
    from edge_app.ui.roles import PIN_SETTING, verify_pin

    page = gui_window.settings_page
    qtbot.keyClicks(page.pin_current, "0000")
    qtbot.keyClicks(page.pin_new, "13579")
    qtbot.keyClicks(page.pin_repeat, "13579")
    qtbot.mouseClick(page.pin_button, Qt.MouseButton.LeftButton)
    assert "not the manager PIN" in page.pin_form.errors["pin_current"].text()

    qtbot.keyClicks(page.pin_current, MANAGER_PIN)
    qtbot.keyClicks(page.pin_new, "13579")
    qtbot.keyClicks(page.pin_repeat, "13570")
    qtbot.mouseClick(page.pin_button, Qt.MouseButton.LeftButton)
    assert "differ" in page.pin_form.errors["pin_repeat"].text()

    qtbot.keyClicks(page.pin_current, MANAGER_PIN)
    qtbot.keyClicks(page.pin_new, "13579")
    qtbot.keyClicks(page.pin_repeat, "13579")
    qtbot.mouseClick(page.pin_button, Qt.MouseButton.LeftButton)
    assert "changed" in page.banner.text()
    stored = gui_app.store.get_setting(PIN_SETTING)
    assert verify_pin("13579", stored)
    assert not verify_pin(MANAGER_PIN, stored)
    assert "13579" not in stored
