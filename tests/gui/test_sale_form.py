"""The cashier's form: a sale typed or swiped, errors next to fields, no full card number left."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from gui_helpers import all_texts, field_error
from PySide6.QtCore import Qt
from support import MASTERCARD, TEST_CVV, VISA

from edge_app.ui.sale_page import expiry_for_core

EXPIRY = f"12/{(date.today().year + 3) % 100:02d}"


def type_sale(qtbot: Any, page: Any, *, amount: str, card: str, expiry: str, cvv: str) -> None:
    qtbot.keyClicks(page.amount, amount)
    qtbot.keyClicks(page.card_number, card)
    qtbot.keyClicks(page.expiry, expiry)
    qtbot.keyClicks(page.cvv, cvv)


def test_a_typed_sale_is_queued_and_the_form_is_emptied(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    page = gui_window.sale_page
    type_sale(qtbot, page, amount="25.00", card=VISA, expiry=EXPIRY, cvv=TEST_CVV)
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)

    assert "Sale queued" in page.banner.text()
    assert "411111******1111" in page.banner.text()
    records = gui_app.store.list_transactions()
    assert len(records) == 1
    assert records[0].amount is not None
    assert str(records[0].amount) == "25.00"
    assert records[0].state.value == "queued"
    for edit in (page.amount, page.card_number, page.expiry, page.cvv):
        assert edit.text() == ""
        assert not edit.isUndoAvailable()


def test_no_full_card_number_is_visible_anywhere_after_a_sale(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    page = gui_window.sale_page
    type_sale(qtbot, page, amount="12.50", card=VISA, expiry=EXPIRY, cvv=TEST_CVV)
    qtbot.keyClick(page.cvv, Qt.Key.Key_Return)
    assert gui_app.store.count_transactions() == 1
    gui_window.show_page("transactions")
    tx = gui_window.transactions_page
    tx.table.selectRow(0)
    assert tx.detail["card"].text() == "411111******1111"
    texts = all_texts(gui_window)
    assert any("411111******1111" in t for t in texts)
    assert not [t for t in texts if VISA in t]
    assert not [t for t in texts if f"{TEST_CVV}" == t]


def test_bad_input_shows_each_error_next_to_its_field_and_stores_nothing(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    page = gui_window.sale_page
    type_sale(qtbot, page, amount="abc", card="4111111111111112", expiry="13/29", cvv="1")
    qtbot.keyClicks(page.tips, "0.125")
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)

    assert page.amount.text() == ""  # the field takes only an amount: letters are not typed
    assert field_error(page.form, "amount") == "Amount is required."
    assert field_error(page.form, "tips") == "HKD amounts have at most 2 decimal places."
    assert page.amount.hasFocus()  # the first wrong field
    assert "card number" in field_error(page.card_form, "card_number").lower()
    assert "month/year" in field_error(page.card_form, "expiry")
    assert "CVV" in field_error(page.card_form, "cvv")
    assert page.banner.kind == "error"
    assert gui_app.store.count_transactions() == 0

    # Correcting the fields clears the errors and stores the sale.
    for edit, text in (
        (page.amount, "10"),
        (page.tips, ""),
        (page.card_number, MASTERCARD),
        (page.expiry, EXPIRY),
        (page.cvv, TEST_CVV),
    ):
        edit.setText("")
        qtbot.keyClicks(edit, text)
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    assert gui_app.store.count_transactions() == 1
    assert not any(page.form.visible_errors().values())
    assert not any(page.card_form.visible_errors().values())


def test_a_swiped_card_fills_the_fields_and_shows_only_the_masked_number(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    page = gui_window.sale_page
    yymm = expiry_for_core(EXPIRY)
    qtbot.keyClicks(page.amount, "8.80")
    qtbot.keyClicks(page.reader, f";{VISA}={yymm}1010000000000000?")
    qtbot.keyClick(page.reader, Qt.Key.Key_Return)

    assert page.reader.text() == ""
    assert page.card_number.text() == "411111******1111"
    assert page.card_number.isReadOnly()
    assert page.expiry.text() == EXPIRY
    assert page.mode() == "swipe"
    assert not [t for t in all_texts(page) if VISA in t]

    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    assert "Sale queued" in page.banner.text(), page.card_form.visible_errors()
    record = gui_app.store.list_transactions()[0]
    (item,) = gui_app.store.query(
        "SELECT upload_item FROM transactions WHERE uuid = ?", (record.uuid,)
    )[0]
    card = json.loads(item)["credit_card"]  # what the sync sends: the ITEM stored at capture
    assert card["card_number"] == VISA
    assert card["card_reader_mode"] == "swipe"
    assert card["card_track2"]
    assert not [t for t in all_texts(page) if VISA in t]


def test_an_unreadable_swipe_is_refused_next_to_the_reader_line(
    qtbot: Any, gui_window: Any
) -> None:
    page = gui_window.sale_page
    page.reader_mode.setCurrentIndex(1)  # swipe
    qtbot.keyClicks(page.reader, ";not-a-card?")
    qtbot.keyClick(page.reader, Qt.Key.Key_Return)
    assert "read the card again" in field_error(page.card_form, "track2")
    assert page.card_number.text() == ""


def test_card_sequence_number_and_chip_data_only_for_chip_cards(gui_window: Any) -> None:
    page = gui_window.sale_page
    assert not page.card_sn.isVisibleTo(page)
    assert not page.icc.isVisibleTo(page)
    for mode, chip in (
        ("contact", True),
        ("contactless", True),
        ("swipe", False),
        ("manual", False),
    ):
        page.reader_mode.setCurrentIndex(page.reader_mode.findData(mode))
        assert page.card_sn.isVisibleTo(page) is chip
        assert page.icc.isVisibleTo(page) is chip


def test_expiry_is_read_as_printed_on_the_card() -> None:
    assert expiry_for_core("12/29") == "2912"
    assert expiry_for_core("0530") == "3005"
    assert expiry_for_core(" 01 / 27 ") == "2701"
    assert expiry_for_core("13/29") is None
    assert expiry_for_core("2912x") is None
