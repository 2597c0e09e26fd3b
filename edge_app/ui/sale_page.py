"""New sale: the cashier's form. Nothing is stored until every field is valid.

The full card number never stays in a widget after a sale: a swiped card shows masked, and the
form is emptied with `setText("")` (which, unlike `clear()`, also drops the undo history).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from edge_app.ui.i18n import tr
from edge_app.ui.page import Page, button, combo, group, hint, line_edit
from edge_app.ui.widgets import FieldForm, errors_of

COMMON_CURRENCIES = ("HKD", "USD", "CNY", "MOP", "TWD", "SGD", "JPY", "EUR", "GBP")
READER_MODES = ("manual", "swipe", "contact", "contactless")
READER_WORDS = {
    "manual": "Typed in (manual)",
    "swipe": "Swiped (magnetic stripe)",
    "contact": "Chip inserted (contact)",
    "contactless": "Tapped (contactless)",
}
EXPIRY_PATTERN = re.compile(r"^\s*(0[1-9]|1[0-2])\s*/?\s*([0-9]{2})\s*$")


def expiry_for_core(text: str) -> str | None:
    """The card's MM/YY (or MMYY) as the gateway's YYMM; None when it is not in that shape."""
    match = EXPIRY_PATTERN.match(text)
    if not match:
        return None
    return match.group(2) + match.group(1)


def expiry_for_display(yymm: str) -> str:
    return f"{yymm[2:4]}/{yymm[0:2]}" if len(yymm) == 4 else yymm


class SalePage(Page):
    """Amount, card and approval code; `sale_queued(uuid)` after a sale is stored."""

    sale_queued = Signal(str)

    def __init__(self, app: Any, parent: QWidget | None = None) -> None:
        super().__init__(tr("New sale"), parent, spacing=12)
        self.app = app
        self._swiped: Any = None  # Track2 of a swiped card; never shown in full
        self.add_banner("sale_banner")
        columns = QHBoxLayout()
        columns.setSpacing(18)
        self.outer.addLayout(columns)
        columns.addWidget(self._build_payment(), 2)
        columns.addWidget(self._build_card(), 3)
        self.outer.addLayout(self._build_buttons())
        self.outer.addWidget(
            hint(
                tr(
                    "Press Enter to queue the sale. Nothing is stored until every field is "
                    "right; after the sale the card number is only shown masked."
                )
            )
        )
        self.outer.addStretch(1)
        self._connect()
        self._mode_changed()

    def _build_payment(self) -> QGroupBox:
        box, layout = group(tr("Payment"), QFormLayout)
        layout.setVerticalSpacing(6)
        self.form = FieldForm(layout)
        self.amount = line_edit("amount", placeholder="0.00")
        big = self.amount.font()
        big.setPointSizeF(big.pointSizeF() * 1.3)
        self.amount.setFont(big)
        self.form.add("amount", tr("Amount"), self.amount)
        self.currency = QComboBox()
        self.currency.setObjectName("currency")
        self.currency.setEditable(False)
        self.currency.addItems(_currencies())
        self.form.add("currency", tr("Currency"), self.currency)
        self.tips = line_edit("tips", placeholder=tr("optional"))
        self.form.add("tips", tr("Tips"), self.tips)
        self.auth_code = line_edit("auth_code", placeholder=tr("optional"))
        self.form.add(
            "auth_code",
            tr("Approval code"),
            self.auth_code,
            tr("Only if the bank gave an approval code by phone."),
        )
        return box

    def _build_card(self) -> QGroupBox:
        box, layout = group(tr("Card"), QFormLayout)
        layout.setVerticalSpacing(6)
        self.card_form = FieldForm(layout)
        self.reader_mode = combo("reader_mode", ((tr(READER_WORDS[m]), m) for m in READER_MODES))
        self.card_form.add("reader_mode", tr("How the card was read"), self.reader_mode)
        self.reader = line_edit(
            "card_reader", placeholder=tr("Click here, then swipe the card"), password=True
        )
        self.card_form.add("track2", tr("Card reader"), self.reader)
        self.card_number = line_edit(
            "card_number", placeholder=tr("Card number as printed on the card")
        )
        self.card_number.setValidator(
            QRegularExpressionValidator(r"[0-9 ]{0,23}", self.card_number)
        )
        self.forget_card = button(tr("Other card"), "forget_card")
        self.forget_card.setVisible(False)
        number_row = QHBoxLayout()
        number_row.addWidget(self.card_number, 1)
        number_row.addWidget(self.forget_card)
        self.card_form.add("card_number", tr("Card number"), number_row)
        self.expiry = line_edit("expiry", placeholder=tr("MM/YY"), max_width=110)
        self.expiry.setMaxLength(7)
        self.card_form.add("expiry", tr("Expiry"), self.expiry)
        self.cvv = line_edit("cvv", password=True, max_width=110)
        self.cvv.setMaxLength(4)
        self.card_form.add("cvv", tr("CVV"), self.cvv, tr("The 3 or 4 digits on the back."))
        self.card_sn = line_edit("card_sn")
        self.card_form.add("card_sn", tr("Card sequence number"), self.card_sn)
        self.icc = line_edit("icc", password=True)
        self.card_form.add("icc", tr("Chip data (ICC)"), self.icc)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        self.clear_button = button(tr("Clear"), "clear_sale")
        self.submit_button = button(tr("Queue sale"), "submit_sale", primary=True)
        self.submit_button.setDefault(True)
        self.submit_button.setMinimumHeight(36)
        self.submit_button.setMinimumWidth(160)
        self.submit_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.submit_button)
        return buttons

    def _text_edits(self) -> tuple[QLineEdit, ...]:
        """The typed fields: Enter in any of them queues the sale."""
        return (
            self.amount,
            self.tips,
            self.card_number,
            self.expiry,
            self.cvv,
            self.card_sn,
            self.icc,
            self.auth_code,
        )

    def _connect(self) -> None:
        self.reader_mode.currentIndexChanged.connect(self._mode_changed)
        self.reader.returnPressed.connect(self._card_swiped)
        self.forget_card.clicked.connect(self._forget_swiped)
        self.submit_button.clicked.connect(self.submit)
        self.clear_button.clicked.connect(self.clear_form)
        for edit in self._text_edits():
            edit.returnPressed.connect(self.submit)

    # -- behaviour --------------------------------------------------------------------------

    def mode(self) -> str:
        return str(self.reader_mode.currentData())

    def _mode_changed(self) -> None:
        chip = self.mode() in ("contact", "contactless")
        self.card_form.set_row_visible("card_sn", chip)
        self.card_form.set_row_visible("icc", chip)
        self.card_form.set_row_visible(
            "track2", self.mode() != "manual" or self._swiped is not None
        )
        if not chip:
            self.card_sn.setText("")
            self.icc.setText("")

    def _card_swiped(self) -> None:
        """The reader typed a track-2 line and Enter: fill the card fields, number masked."""
        from edge_app.domain.card import mask_card_number, parse_track2
        from edge_app.domain.errors import ValidationError

        raw = self.reader.text()
        self.reader.setText("")
        self.card_form.errors["track2"].show_error(None)
        try:
            track = parse_track2(raw)
        except ValidationError as exc:
            self.card_form.errors["track2"].show_error(str(exc))
            return
        self._swiped = track
        self.card_number.setText(mask_card_number(track.card_number))
        self.card_number.setReadOnly(True)
        self.forget_card.setVisible(True)
        self.expiry.setText(expiry_for_display(track.expiry))
        if self.mode() == "manual":
            self.reader_mode.setCurrentIndex(READER_MODES.index("swipe"))
        self.card_form.errors["card_number"].show_error(None)
        self.banner.show_message(tr("Card read. Check the amount, then queue the sale."), "info")
        self.cvv.setFocus()

    def _forget_swiped(self) -> None:
        self._swiped = None
        self.card_number.setReadOnly(False)
        self.card_number.setText("")
        self.forget_card.setVisible(False)
        self.expiry.setText("")
        self._mode_changed()

    def fields(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The core's keyword arguments, and problems the window itself finds (expiry shape)."""
        mode = self.mode()
        problems: dict[str, str] = {}
        expiry_text = self.expiry.text().strip()
        expiry: str | None = None
        if expiry_text:
            expiry = expiry_for_core(expiry_text)
            if expiry is None:
                problems["expiry"] = tr(
                    "Type the expiry as printed on the card: month/year, like 12/29."
                )
        chip = mode in ("contact", "contactless")
        values: dict[str, Any] = {
            "amount": self.amount.text().strip(),
            "currency": self.currency.currentText(),
            "tips": self.tips.text().strip() or None,
            "reader_mode": mode,
            "card_number": self.card_number.text().replace(" ", "") or None,
            "expiry": expiry,
            "cvv": self.cvv.text().strip() or None,
            "track2": None,
            "card_sn": (self.card_sn.text().strip() or None) if chip else None,
            "icc": (self.icc.text().strip() or None) if chip else None,
            "auth_code": self.auth_code.text().strip() or None,
        }
        if self._swiped is not None:
            values["card_number"] = self._swiped.card_number
            values["expiry"] = self._swiped.expiry
            values["track2"] = self._swiped.raw
        return values, problems

    def submit(self) -> bool:
        """Validate and queue the sale; True when it was stored."""
        from edge_app.domain.card import mask_card_number
        from edge_app.domain.errors import ValidationError

        values, problems = self.fields()
        self.banner.clear_message()
        self.form.clear()
        self.card_form.clear()
        if problems:
            # Nothing is stored: the pure check collects every other field's problem as well.
            from edge_app.domain.transactions import validate_sale

            errors: dict[str, str] = {}
            try:
                validate_sale(**{**values, "expiry": None}, today=date.today())
            except ValidationError as exc:
                errors = errors_of(exc)
            self._show_errors({**errors, **problems})
            return False
        try:
            capture = self.app.capture_sale(**values)
        except ValidationError as exc:
            self._show_errors(errors_of(exc))
            return False
        masked = mask_card_number(values["card_number"]) if values["card_number"] else ""
        text = tr("Sale queued: {amount} on card {card}. It is sent at the next sync.").format(
            amount=f"{values['currency']} {values['amount']}", card=masked
        )
        for warning in capture.warnings:
            text += "\n" + warning
        self.clear_form()
        self.banner.show_message(text, "warning" if capture.warnings else "success")
        self.sale_queued.emit(capture.uuid)
        return True

    def _show_errors(self, errors: dict[str, str]) -> None:
        left = self.form.show_errors(errors)
        left = self.card_form.show_errors(left)
        if "track2" in errors and self._swiped is not None:
            self.card_form.errors["track2"].show_error(errors["track2"])
        if left:
            self.banner.show_message("\n".join(left.values()), "error")
        else:
            self.banner.show_message(tr("Please correct the fields marked in red."), "error")

    def clear_form(self) -> None:
        self._forget_swiped()
        for edit in (*self._text_edits(), self.reader):
            edit.setText("")
        self.reader_mode.setCurrentIndex(0)
        self.form.clear()
        self.card_form.clear()
        self.banner.clear_message()
        self.amount.setFocus(Qt.FocusReason.OtherFocusReason)


def _currencies() -> list[str]:
    try:
        from edge_app.domain.money import MINOR_UNITS
    except ImportError:  # pragma: no cover
        return list(COMMON_CURRENCIES)
    known = set(MINOR_UNITS)
    rest = sorted(known - set(COMMON_CURRENCIES))
    return [c for c in COMMON_CURRENCIES if c in known] + rest
