"""Small building blocks shared by the screens: field errors, banners, dialogs, prompts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator, QTextCursor, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.i18n import say, tr
from edge_app.ui.roles import (
    PinGuard,
    SettingsStore,
    has_manager_pin,
    pin_problem,
    set_manager_pin,
)

Check = Callable[[str], str | None]

ERROR_STYLE = "color: #b00020;"
BANNER_STYLES = {
    "info": "background: #e8f0fe; color: #17325c; border: 1px solid #b6cbf2;",
    "success": "background: #e6f4ea; color: #14532d; border: 1px solid #a8d5b5;",
    "warning": "background: #fff4e0; color: #6b4500; border: 1px solid #f0c36d;",
    "error": "background: #fde7e9; color: #8a1020; border: 1px solid #f1a9b1;",
}


class ErrorLabel(QLabel):
    """A red sentence under a field; hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.setVisible(False)

    def show_error(self, text: str | None) -> None:
        self.setText(text or "")
        self.setVisible(bool(text))


class Banner(QLabel):
    """A coloured message line at the top of a screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)
        self.kind = ""

    def show_message(self, text: str, kind: str = "info") -> None:
        self.kind = kind
        self.setStyleSheet(f"QLabel {{ {BANNER_STYLES[kind]} border-radius: 4px; padding: 8px; }}")
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.kind = ""
        self.setText("")
        self.setVisible(False)


class WrappingEdit(QPlainTextEdit):
    """A one-line value shown over several lines, so that a long one (limits for eight
    currencies) is read in full; Enter and Tab leave the field instead of adding a line."""

    def __init__(self, name: str, lines: int = 2) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setTabChangesFocus(True)
        self.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        height = self.fontMetrics().lineSpacing() * lines + 2 * self.document().documentMargin()
        self.setFixedHeight(int(height) + margins + 4)

    def text(self) -> str:
        return " ".join(self.toPlainText().split())

    def setText(self, text: str) -> None:
        self.setPlainText(text)

    def setCursorPosition(self, position: int) -> None:
        cursor = self.textCursor()
        cursor.setPosition(min(position, len(self.toPlainText())), QTextCursor.MoveMode.MoveAnchor)
        self.setTextCursor(cursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.ignore()  # to the page, as a line edit does
            return
        super().keyPressEvent(event)


class FieldForm:
    """A QFormLayout whose rows carry an error label under the field, keyed by the core's names."""

    def __init__(self, layout: QFormLayout) -> None:
        self.layout = layout
        self.errors: dict[str, ErrorLabel] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}

    def add(self, name: str, label: str, widget: QWidget | QLayout, hint: str = "") -> ErrorLabel:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if isinstance(widget, QLayout):
            column.addLayout(widget)
        else:
            column.addWidget(widget)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setStyleSheet("color: #5f6368;")
            hint_label.setWordWrap(True)
            column.addWidget(hint_label)
        error = ErrorLabel()
        column.addWidget(error)
        caption = QLabel(label)
        if isinstance(widget, QWidget):
            caption.setBuddy(widget)
        self.layout.addRow(caption, box)
        self.errors[name] = error
        self.rows[name] = (caption, box)
        return error

    def set_row_visible(self, name: str, visible: bool) -> None:
        caption, box = self.rows[name]
        caption.setVisible(visible)
        box.setVisible(visible)

    def set_row_enabled(self, name: str, enabled: bool) -> None:
        caption, box = self.rows[name]
        caption.setEnabled(enabled)
        box.setEnabled(enabled)

    def show_errors(self, errors: Mapping[str, str]) -> dict[str, str]:
        """Show each error next to its field; returns those that have no field here."""
        self.clear()
        unplaced: dict[str, str] = {}
        for name, text in errors.items():
            if name in self.errors:
                self.errors[name].show_error(text)
            else:
                unplaced[name] = text
        return unplaced

    def clear(self) -> None:
        for label in self.errors.values():
            label.show_error(None)

    def visible_errors(self) -> dict[str, str]:
        return {n: lbl.text() for n, lbl in self.errors.items() if lbl.text()}


def errors_of(exc: BaseException) -> dict[str, str]:
    """A core refusal as {field: sentence}; a refusal without a field comes under ''."""
    from edge_app.domain.errors import FormErrors

    if isinstance(exc, FormErrors):
        return {name: say(text) for name, text in exc.messages.items()}
    field = getattr(exc, "field", None)
    return {field or "": say(exc)}


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.35)
    font.setBold(True)
    label.setFont(font)
    return label


class AskDialog(QDialog):
    """One line of input checked by `check` before the dialog closes; errors appear under it."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        prompt: str,
        label: str,
        check: Check,
        *,
        password: bool = False,
        digits: bool = False,
        text: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        self._check = check
        layout = QVBoxLayout(self)
        question = QLabel(prompt)
        question.setWordWrap(True)
        layout.addWidget(question)
        form = QFormLayout()
        self.edit = QLineEdit()
        self.edit.setObjectName("ask_input")
        if password:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        if digits:
            self.edit.setValidator(QRegularExpressionValidator(r"[0-9]{0,8}", self.edit))
        self.edit.setText(text)
        self.edit.selectAll()
        self._password = password
        form.addRow(label, self.edit)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def try_accept(self) -> None:
        problem = self._check(self.edit.text())
        if problem:
            if self._password:
                self.edit.setText("")  # a secret is typed again; anything else is kept
            self.error.show_error(problem)
            return
        self.edit.setText("")
        self.accept()


class NewPinDialog(QDialog):
    """Set (or change) the manager PIN: the new PIN twice, checked before closing."""

    def __init__(self, parent: QWidget | None, prompt: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Manager PIN"))
        self.pin = ""
        layout = QVBoxLayout(self)
        text = QLabel(prompt)
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.first = pin_edit()
        self.second = pin_edit()
        form.addRow(tr("New PIN"), self.first)
        form.addRow(tr("Repeat PIN"), self.second)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def try_accept(self) -> None:
        problem = pin_problem(self.first.text(), self.second.text())
        if problem:
            self.error.show_error(tr(problem))
            return
        self.pin = self.first.text()
        self.first.setText("")
        self.second.setText("")
        self.accept()


def pin_edit(name: str = "", max_width: int = 0) -> QLineEdit:
    """A masked line for a PIN: digits only, at most 8."""
    edit = QLineEdit()
    if name:
        edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setValidator(QRegularExpressionValidator(r"[0-9]{0,8}", edit))
    edit.setMaxLength(8)
    if max_width:
        edit.setMaximumWidth(max_width)
    return edit


class Prompts:
    """Every modal question the window asks. Tests replace these methods with scripted answers."""

    def ask(
        self,
        parent: QWidget | None,
        title: str,
        prompt: str,
        label: str,
        check: Check,
        *,
        password: bool = False,
        digits: bool = False,
        text: str = "",
    ) -> bool:
        dialog = AskDialog(
            parent, title, prompt, label, check, password=password, digits=digits, text=text
        )
        return dialog.exec() == QDialog.DialogCode.Accepted

    def new_pin(self, parent: QWidget | None, prompt: str) -> str | None:
        dialog = NewPinDialog(parent, prompt)
        return dialog.pin if dialog.exec() == QDialog.DialogCode.Accepted else None

    def open_file(self, parent: QWidget | None, title: str, filters: str) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
        return Path(name) if name else None

    def save_file(
        self, parent: QWidget | None, title: str, default: str, filters: str
    ) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(parent, title, default, filters)
        return Path(name) if name else None

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        answer = QMessageBox.question(parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def choose(
        self, parent: QWidget | None, title: str, text: str, choices: list[tuple[str, str]]
    ) -> str | None:
        """One of `choices` ((key, button text), the first is the default); None: cancelled."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        buttons = [
            (box.addButton(label, QMessageBox.ButtonRole.AcceptRole), key) for key, label in choices
        ]
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(buttons[0][0])
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        return next((key for button, key in buttons if button is clicked), None)


class ManagerGate:
    """Asks for the manager PIN before a manager action; sets one first if none exists yet.

    `settings` is where the PIN's hash is kept: the installation's `secure_settings()`.
    """

    def __init__(
        self,
        settings: SettingsStore,
        prompts: Prompts,
        events: Callable[[str, str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.prompts = prompts
        self.guard = PinGuard(settings)
        # events("approved" | "refused", action): the audit trail of approvals and wrong PINs
        self.events = events

    def _event(self, what: str, action: str) -> None:
        if self.events is not None:
            self.events(what, action)

    def require(self, parent: QWidget | None, action: str) -> bool:
        if not has_manager_pin(self.settings):
            pin = self.prompts.new_pin(
                parent,
                tr(
                    "No manager PIN is set on this PC yet. Set one now; it will be asked before "
                    "voids, refunds, retries, card list changes and settings."
                ),
            )
            if pin is None:
                return False
            set_manager_pin(self.settings, pin)
            self._event("approved", action)
            return True

        def check(pin: str) -> str | None:
            problem = self.guard.check(pin)
            if problem:
                self._event("refused", action)
            return tr(problem) if problem else None

        approved = self.prompts.ask(
            parent,
            tr("Manager PIN"),
            tr("A manager must approve: {action}").format(action=action),
            tr("Manager PIN"),
            check,
            password=True,
            digits=True,
        )
        if approved:
            self._event("approved", action)
        return approved
