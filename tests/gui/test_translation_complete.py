"""Traditional Chinese everywhere: every screen walked in zh_TW shows no English left, the core's
refusals come translated by message id, Qt's own buttons too, and the language switches at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_helpers import MANAGER_PIN, english_words, settle, visible_texts
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QWizard
from support import DECLINED_CARD, MASTERCARD, TEST_CVV, VISA

from edge_app.ui.i18n import current_language, switch_language
from edge_app.ui.widgets import AskDialog, NewPinDialog
from edge_app.ui.wizard import SetupWizard

# The engine's per-record detail lines under "Needs attention" are English sentences of the
# sync log; the one-line reason above them is translated (see the report of issue 11).
UNTRANSLATED_WIDGETS = {"sync_attention"}


def leaks(root: Any) -> list[tuple[str, str]]:
    return [
        (name, text)
        for name, text in visible_texts(root)
        if name not in UNTRANSLATED_WIDGETS and english_words(text)
    ]


def test_every_screen_in_traditional_chinese_has_no_english_left(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any
) -> None:
    window = gui_window
    gui_gateway.set_options(decline_cards=frozenset({DECLINED_CARD}))
    for card in (VISA, DECLINED_CARD):
        gui_app.capture_sale(
            amount="12.00", currency="HKD", card_number=card, expiry="2912", cvv=TEST_CVV
        )
    with qtbot.waitSignal(window.sync.finished, timeout=20_000):
        window.sync.start("window")
    gui_app.blocklist_add([MASTERCARD])
    gui_prompts.answers = [MANAGER_PIN]
    gui_app.update_config(language="zh_TW")
    window.settings_page.load()
    window.settings_page.save()  # saving switches the language at once
    assert current_language() == "zh_TW"
    found: dict[str, list[tuple[str, str]]] = {}

    page = window.sale_page
    window.show_page("sale")
    found["sale"] = leaks(window)
    qtbot.keyClicks(page.amount, "0")
    qtbot.keyClicks(page.card_number, "4111111111111112")
    qtbot.keyClicks(page.expiry, "1/2")
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    assert page.banner.kind == "error"
    found["sale errors"] = leaks(window)
    page.reader_mode.setCurrentIndex(page.reader_mode.findData("contact"))
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    found["sale chip errors"] = leaks(window)
    page.clear_form()
    for edit, text in ((page.amount, "25"), (page.card_number, VISA), (page.expiry, "12/29")):
        qtbot.keyClicks(edit, text)
    qtbot.keyClicks(page.cvv, TEST_CVV)
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    assert page.banner.kind == "success"
    found["sale queued"] = leaks(window)

    window.show_page("transactions")
    tx = window.transactions_page
    tx.refresh()
    for row in range(tx.model.rowCount()):
        tx.table.selectRow(row)
        settle(qtbot, window)
        found[f"transactions row {row}"] = leaks(window)
    for name in ("blocklist", "sync", "settings"):
        window.show_page(name)
        settle(qtbot, window)
        found[name] = leaks(window)
    window.settings_page.batch_size.setText("5000")
    gui_prompts.answers = [MANAGER_PIN]
    window.settings_page.save()
    found["settings error"] = leaks(window)
    left = {k: v for k, v in found.items() if v}
    assert left == {}, "\n".join(f"{k}: {v}" for k, v in left.items())


def test_dialogs_and_qt_buttons_are_translated(qtbot: Any) -> None:
    switch_language("zh_TW")
    ask = AskDialog(None, "t", "p", "l", lambda _: None)
    qtbot.addWidget(ask)
    buttons = ask.findChild(QDialogButtonBox)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert (ok.text(), cancel.text()) == ("確定", "取消")  # Qt's own qtbase_zh_TW
    pin = NewPinDialog(None, "p")
    qtbot.addWidget(pin)
    assert not [t for _, t in visible_texts(pin) if english_words(t)]


def test_core_refusals_come_translated_by_message_id(qtbot: Any) -> None:
    from edge_app.domain.errors import ValidationError
    from edge_app.domain.money import parse_amount
    from edge_app.ui.i18n import say

    try:
        parse_amount("abc", "HKD")
    except ValidationError as exc:
        english = str(exc)
        refusal = exc
    assert english == "Amount must be a number such as 12.50."
    switch_language("zh_TW")
    assert say(refusal) == "金額必須是數字，例如 12.50。"
    assert str(refusal) == english  # the command line keeps English


def test_the_wizard_offers_the_language_and_switches_at_once(qtbot: Any, home: Path) -> None:
    from edge_app.ui.wizard import LANGUAGE_CHANGED

    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    box = wizard.environment_page.language
    with qtbot.waitSignal(wizard.finished, timeout=3000) as closed:
        box.setCurrentIndex(box.findData("zh_TW"))
    assert closed.args == [LANGUAGE_CHANGED]  # run_gui opens it again, now in Chinese
    assert current_language() == "zh_TW"
    again = SetupWizard(home)
    qtbot.addWidget(again)
    again.show()
    assert again.environment_page.title() == "使用哪個閘道？"
    assert again.environment_page.language.currentData() == "zh_TW"
    assert not [(n, t) for n, t in visible_texts(again) if english_words(t)]
    again.button(QWizard.WizardButton.NextButton).click()
    assert again.currentPage() is again.store_page
    assert not [(n, t) for n, t in visible_texts(again) if english_words(t)]
