"""New sale: the cashier's form. Nothing is stored until every field is valid.

The full card number never stays in a widget after a sale: a swiped card shows masked, and the
form is emptied with `setText("")` (which, unlike `clear()`, also drops the undo history).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from PySide6.QtCore import QElapsedTimer, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from edge_app.ui.i18n import say, tr
from edge_app.ui.page import Page, button, combo, group, hint, line_edit
from edge_app.ui.present import problem_words
from edge_app.ui.widgets import FieldForm, errors_of

COMMON_CURRENCIES = ("HKD", "USD", "CNY", "MOP", "TWD", "SGD", "JPY", "EUR", "GBP")
# ISO 4217 fund and unit-of-account codes: not what a customer pays in.
FUND_CODES = frozenset({"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"})
CURRENCY_WORDS = {
    "AUD": "Australian dollar",
    "CAD": "Canadian dollar",
    "CHF": "Swiss franc",
    "CNY": "Chinese yuan",
    "EUR": "Euro",
    "GBP": "Pound sterling",
    "HKD": "Hong Kong dollar",
    "IDR": "Indonesian rupiah",
    "INR": "Indian rupee",
    "JPY": "Japanese yen",
    "KRW": "South Korean won",
    "MOP": "Macanese pataca",
    "MYR": "Malaysian ringgit",
    "NZD": "New Zealand dollar",
    "PHP": "Philippine peso",
    "SGD": "Singapore dollar",
    "THB": "Thai baht",
    "TWD": "New Taiwan dollar",
    "USD": "US dollar",
    "VND": "Vietnamese dong",
}
# An amount as typed: digits, then at most one point and four decimals (no signs, no letters).
AMOUNT_PATTERN = r"[0-9]{0,12}([.][0-9]{0,4})?"
SEARCH_RESET_MS = 1000
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


def currency_text(code: str) -> str:
    name = CURRENCY_WORDS.get(code)
    return f"{code} — {tr(name)}" if name else code


class CurrencyBox(QComboBox):
    """Currencies by code; typing letters selects the first code that starts with them (the
    store's currencies come first), so "h" selects HKD and does not step on to HNL."""

    def __init__(self, store_codes: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("currency")
        self.setEditable(False)
        codes = currency_order(store_codes)
        for code in codes:
            self.addItem(currency_text(code), code)
        first = len([c for c in codes if c in store_codes])
        if 0 < first < len(codes):
            self.insertSeparator(first)
        self._typed = ""
        self._since = QElapsedTimer()

    def code(self) -> str:
        return str(self.currentData() or "")

    def select(self, code: str) -> None:
        index = self.findData(code)
        self.setCurrentIndex(max(index, 0))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if (
            len(text) == 1
            and text.isalpha()
            and not event.modifiers()
            & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        ):
            if not self._since.isValid() or self._since.elapsed() > SEARCH_RESET_MS:
                self._typed = ""
            self._since.start()
            letter = text.upper()
            # A letter that makes no code goes on from itself ("HHG" would select nothing).
            self._typed = self._typed + letter if self._find(self._typed + letter) >= 0 else letter
            index = self._find(self._typed)
            if index >= 0:
                self.setCurrentIndex(index)
            event.accept()
            return
        super().keyPressEvent(event)

    def _find(self, prefix: str) -> int:
        """The first item whose code starts with `prefix` (store currencies come first)."""
        for index in range(self.count()):
            if str(self.itemData(index) or "").startswith(prefix):
                return index
        return -1


class SalePage(Page):
    """Amount, card and approval code; `sale_queued(uuid)` after a sale is stored."""

    sale_queued = Signal(str)

    def __init__(self, app: Any, parent: QWidget | None = None) -> None:
        super().__init__(tr("New sale"), parent, spacing=12)
        self.app = app
        self._swiped: Any = None  # Track2 of a swiped card; never shown in full
        self.last_queued: tuple[str, str] | None = None  # (uuid, words) of the sale just queued
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
        self.amount.setValidator(QRegularExpressionValidator(AMOUNT_PATTERN, self.amount))
        big = self.amount.font()
        big.setPointSizeF(big.pointSizeF() * 1.3)
        self.amount.setFont(big)
        self.form.add("amount", tr("Amount"), self.amount)
        self.currency = CurrencyBox(store_currencies(self.app))
        self.form.add("currency", tr("Currency"), self.currency)
        self.tips = line_edit("tips", placeholder=tr("optional"))
        self.tips.setValidator(QRegularExpressionValidator(AMOUNT_PATTERN, self.tips))
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
            edit.textEdited.connect(self._acting_again)
        self.currency.activated.connect(self._acting_again)
        self.reader_mode.activated.connect(self._acting_again)

    # -- behaviour --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.amount.text():
            self.amount.setFocus(Qt.FocusReason.OtherFocusReason)

    def start_sale(self) -> None:
        """A new sale: the form emptied (the store's first currency again), Amount focused."""
        self.clear_form()

    def _acting_again(self, *_: Any) -> None:
        """The person types again: the last sale's message (or the error list) goes away."""
        if self.banner.kind in ("success", "warning", "error"):
            self.banner.clear_message()
            self.last_queued = None

    def recheck_last(self) -> None:
        """After a sync: replace "Sale queued" by what became of that sale when it failed."""
        if self.last_queued is None or not self.banner.isVisible():
            return
        uuid, text = self.last_queued
        record = self.app.transaction(uuid)
        if record is None or record.state.value not in ("failed", "held"):
            return
        words = (
            tr("Declined: the sale of {sale} was not accepted by the gateway ({why}).")
            if record.state.value == "failed"
            else tr("Held: the sale of {sale} needs a manager on the Transactions screen ({why}).")
        )
        self.last_queued = None
        self.banner.show_message(
            words.format(sale=text, why=problem_words(record) or tr("no reason given")), "error"
        )

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
            self.card_form.errors["track2"].show_error(say(exc))
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
            "currency": self.currency.code(),
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
        sale = tr("{amount} on card {card}").format(
            amount=f"{values['currency']} {values['amount']}", card=masked
        )
        text = tr("Sale queued: {sale}. It is sent at the next sync.").format(sale=sale)
        for warning in capture.warnings:
            text += "\n" + say(warning)
        self.clear_form()
        self.banner.show_message(text, "warning" if capture.warnings else "success")
        self.last_queued = (capture.uuid, sale)
        self.sale_queued.emit(capture.uuid)
        return True

    def _show_errors(self, errors: dict[str, str]) -> None:
        self.last_queued = None
        self._focus_first(errors)
        left = self.form.show_errors(errors)
        left = self.card_form.show_errors(left)
        if "track2" in errors and self._swiped is not None:
            self.card_form.errors["track2"].show_error(errors["track2"])
        if left:
            self.banner.show_message("\n".join(left.values()), "error")
        else:
            self.banner.show_message(tr("Please correct the fields marked in red."), "error")

    def _focus_first(self, errors: dict[str, str]) -> None:
        """Put the cursor in the first field (top to bottom) that has a problem."""
        order = {
            "amount": self.amount,
            "currency": self.currency,
            "tips": self.tips,
            "auth_code": self.auth_code,
            "reader_mode": self.reader_mode,
            "track2": self.reader,
            "card_number": self.card_number,
            "expiry": self.expiry,
            "cvv": self.cvv,
            "card_sn": self.card_sn,
            "icc": self.icc,
        }
        for name, widget in order.items():
            if name in errors and widget.isVisibleTo(self):
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
                if isinstance(widget, QLineEdit):
                    widget.selectAll()
                return

    def clear_form(self) -> None:
        self._forget_swiped()
        for edit in (*self._text_edits(), self.reader):
            edit.setText("")
        self.reader_mode.setCurrentIndex(0)
        self.currency.setCurrentIndex(0)  # the last sale's currency is not carried over
        self.form.clear()
        self.card_form.clear()
        self.banner.clear_message()
        self.amount.setFocus(Qt.FocusReason.OtherFocusReason)


def store_currencies(app: Any) -> list[str]:
    """The currencies this store takes offline: those with a configured per-sale limit, in
    the config's order."""
    try:
        return [str(code) for code in app.limits.per_transaction]
    except Exception:  # no readable limits: the common ones
        return list(COMMON_CURRENCIES)


def currency_order(store_codes: list[str]) -> list[str]:
    """The store's currencies first, then every other ISO 4217 code A-Z, without fund codes."""
    from edge_app.domain.money import MINOR_UNITS

    first = [c for c in store_codes if c in MINOR_UNITS]
    rest = sorted(set(MINOR_UNITS) - set(first) - FUND_CODES)
    return first + rest
