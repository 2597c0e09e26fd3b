"""Settings: gateway, store, device, offline limits, schedule, sending, language, manager PIN.

Everything is saved through `App.update_config`, which validates first; its refusal appears next
to the field it names. Saving needs the manager PIN.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.i18n import LANGUAGES, say, tr
from edge_app.ui.page import Page, button, combo, group, line_edit
from edge_app.ui.roles import has_manager_pin, pin_problem, set_manager_pin
from edge_app.ui.widgets import FieldForm, ManagerGate, WrappingEdit, pin_edit
from edge_app.ui.workers import plain_error

KEY_STORE_WORDS = {
    "environment variable": "environment variable",
    "OS keyring": "OS keyring",
    "passphrase file": "passphrase file",
}
ENVIRONMENT_WORDS = {
    "production": "Production (live payments)",
    "develop": "Develop (the payment provider's test system)",
    "sandbox": "Sandbox (built-in test gateway, no account)",
    "custom": "Custom (addresses given by the provider)",
}
LIST_MODE_WORDS = {
    "blacklist": "Block list: refuse listed cards",
    "whitelist": "Allow list: accept only listed cards",
}
LIMIT_WORDS = {
    "per_transaction": "Largest offline sale, per currency",
    "total_per_currency": "Most unsent money, per currency",
    "warn_after_hours": "Warn when the oldest unsent record is older than (hours)",
    "refuse_after_hours": "Refuse new sales when it is older than (hours)",
}


def limits_to_text(value: Any) -> str:
    """A limit as one line: numbers as they are, per-currency maps as `HKD 5000, USD 700`."""
    if isinstance(value, dict):
        return ", ".join(f"{cur} {amount}" for cur, amount in value.items())
    if value is None:
        return ""
    return str(value)


def limits_from_text(text: str, like: Any) -> Any:
    """Read a limit back in the shape of its current value (raises ValueError with a sentence)."""
    text = text.strip()
    if isinstance(like, dict):
        result: dict[str, str] = {}
        for part in text.replace(";", ",").split(","):
            if not part.strip():
                continue
            bits = part.replace("=", " ").replace(":", " ").split()
            if len(bits) != 2:
                raise ValueError(tr("Write each currency and amount like: HKD 5000, USD 1000."))
            result[bits[0].upper()] = bits[1]
        return result
    if like is None and not text:
        return None
    if isinstance(like, bool):
        return text.lower() in ("1", "yes", "true", "on")
    if isinstance(like, int | float):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(tr("Type a number.")) from None
        return int(number) if isinstance(like, int) and number.is_integer() else number
    return text


# page margins, the space between the columns and the scroll bar
SIDE_BY_SIDE_CHROME = 2 * 24 + 16 + 24


class SettingsPage(Page):
    saved = Signal()

    def __init__(self, app: Any, gate: ManagerGate, parent: QWidget | None = None) -> None:
        super().__init__(tr("Settings"), parent)
        self.app = app
        self.gate = gate
        self.add_banner("settings_banner")
        scroll = self.body_scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(12)
        scroll.setWidget(body)
        self.outer.addWidget(scroll, 1)
        self.form_by_field: dict[str, FieldForm] = {}
        self.boxes = (
            self._build_gateway(),
            self._build_store(),
            self._build_limits(),
            self._build_sending(),
            self._build_pin(),
            self._about_box(),
        )
        self.outer.addLayout(self._build_buttons())
        self.grid = grid
        self.columns = 0
        self._arrange(self.width())
        self.environment.currentIndexChanged.connect(self._environment_changed)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)
        self.pin_button.clicked.connect(self.change_pin)
        self.load()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def _arrange(self, width: int) -> None:
        """The boxes in two columns where both fit side by side, else in one: a setting is
        never behind a sideways scroll bar."""
        left = max(box.minimumSizeHint().width() for box in self.boxes[0::2])
        right = max(box.minimumSizeHint().width() for box in self.boxes[1::2])
        columns = 2 if width >= left + right + SIDE_BY_SIDE_CHROME else 1
        if columns == self.columns:
            return
        self.columns = columns
        for box in self.boxes:
            self.grid.removeWidget(box)
        for index, box in enumerate(self.boxes):
            self.grid.addWidget(box, index // columns, index % columns)
        rows = (len(self.boxes) + columns - 1) // columns
        for row in range(len(self.boxes) + 1):
            self.grid.setRowStretch(row, 1 if row == rows else 0)
        self.grid.setColumnStretch(0, 1)
        self.grid.setColumnStretch(1, 1 if columns == 2 else 0)

    def _build_gateway(self) -> QGroupBox:
        box, layout = group(tr("Gateway"), QFormLayout)
        gateway = FieldForm(layout)
        self.environment = combo(
            "environment",
            ((tr(ENVIRONMENT_WORDS[n]), n) for n in ("production", "develop", "sandbox", "custom")),
        )
        gateway.add("environment", tr("Environment"), self.environment)
        self.base_url = line_edit("base_url")
        gateway.add("base_url", tr("Payment address"), self.base_url)
        self.login_url = line_edit("login_url")
        gateway.add("login_url", tr("Login address"), self.login_url)
        self.client_id = line_edit("client_id")
        gateway.add("client_id", tr("Client id"), self.client_id)
        self.client_secret = line_edit("client_secret", placeholder=tr("unchanged"), password=True)
        gateway.add("client_secret", tr("Client secret"), self.client_secret)
        self._register(gateway)
        return box

    def _build_store(self) -> QGroupBox:
        box, layout = group(tr("Store and device"), QFormLayout)
        store = FieldForm(layout)
        self.store_id = line_edit("store_id")
        store.add("store_id", tr("Store id"), self.store_id)
        self.username = line_edit("username")
        store.add("username", tr("Gateway user"), self.username)
        self.device_model = line_edit("device_model")
        store.add(
            "device_model",
            tr("Device model"),
            self.device_model,
            tr("Sent to the gateway in the device headers."),
        )
        self.device_id = QLineEdit()
        self.device_id.setReadOnly(True)
        store.add("device_id", tr("Device id"), self.device_id)
        self.list_mode = combo(
            "list_mode_setting", ((tr(LIST_MODE_WORDS[m]), m) for m in ("blacklist", "whitelist"))
        )
        store.add("list_mode", tr("Card list mode"), self.list_mode)
        self._register(store)
        return box

    def _build_limits(self) -> QGroupBox:
        from edge_app.domain.limits import limits_to_json

        box, layout = group(tr("Offline limits"), QFormLayout)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.limits_form = FieldForm(layout)
        self.limit_edits: dict[str, QLineEdit | WrappingEdit] = {}
        self._limit_values: dict[str, Any] = {}
        for key, value in limits_to_json(self.app.limits).items():
            per_currency = isinstance(value, dict)
            edit: QLineEdit | WrappingEdit = (
                WrappingEdit(f"limit_{key}")
                if per_currency
                else line_edit(f"limit_{key}", max_width=90)
            )
            self.limit_edits[key] = edit
            self._limit_values[key] = value
            hint = tr("Like: HKD 5000, USD 1000") if per_currency else ""
            text = tr(LIMIT_WORDS[key]) if key in LIMIT_WORDS else key.replace("_", " ")
            self.limits_form.add(key, text, edit, hint)
        self.limits_form.add("limits", "", QWidget())
        self._register(self.limits_form)
        return box

    def _build_sending(self) -> QGroupBox:
        box, layout = group(tr("Sending and schedule"), QFormLayout)
        send = FieldForm(layout)
        self.shop_close = line_edit("shop_close", max_width=90)
        send.add(
            "shop_close",
            tr("Shop closes at (HH:MM)"),
            self.shop_close,
            tr("The window syncs at this time if it is open."),
        )
        self.batch_size = line_edit("batch_size", max_width=90)
        send.add("batch_size", tr("Records per request"), self.batch_size)
        self.concurrency = line_edit("concurrency", max_width=90)
        send.add("concurrency", tr("Requests at the same time"), self.concurrency)
        self.timeout = line_edit("timeout_seconds", max_width=90)
        send.add("timeout_seconds", tr("Request timeout (seconds)"), self.timeout)
        self.send_delay = line_edit("send_delay_seconds", max_width=90)
        send.add(
            "send_delay_seconds",
            tr("Send new records after (seconds)"),
            self.send_delay,
            tr("While the gateway is reachable; 0 sends only on Sync or when it comes back."),
        )
        self.language = combo("language", ((name, code) for code, name in LANGUAGES.items()))
        send.add(
            "language", tr("Language"), self.language, tr("Changes when the settings are saved.")
        )
        self._register(send)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        self.revert_button = button(tr("Undo changes"))
        self.save_button = button(tr("Save settings"), "save_settings", primary=True)
        self.save_button.setMinimumWidth(140)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        return buttons

    def _build_pin(self) -> QGroupBox:
        box, pin_layout = group(tr("Manager PIN"), QVBoxLayout)
        pin_form_layout = QFormLayout()
        self.pin_form = FieldForm(pin_form_layout)
        self.pin_current = pin_edit("pin_current", 120)
        self.pin_new = pin_edit("pin_new", 120)
        self.pin_repeat = pin_edit("pin_repeat", 120)
        self.pin_form.add("pin_current", tr("Current PIN"), self.pin_current)
        self.pin_form.add("pin_new", tr("New PIN (4 to 8 digits)"), self.pin_new)
        self.pin_form.add("pin_repeat", tr("Repeat new PIN"), self.pin_repeat)
        pin_layout.addLayout(pin_form_layout)
        self.pin_button = button(tr("Change PIN"), "change_pin")
        pin_buttons = QHBoxLayout()
        pin_buttons.addStretch(1)
        pin_buttons.addWidget(self.pin_button)
        pin_layout.addLayout(pin_buttons)
        return box

    def _about_box(self) -> QGroupBox:
        from edge_app import __version__

        box = QGroupBox(tr("This PC"))
        form = QFormLayout(box)
        home = QLabel(str(self.app.home))
        home.setWordWrap(True)
        home.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(tr("Data folder"), home)
        form.addRow(tr("Database key kept in"), QLabel(tr(self.app.key_source.describe())))
        form.addRow(tr("Version"), QLabel(__version__))
        return box

    def _register(self, form: FieldForm) -> None:
        for name in form.errors:
            self.form_by_field[name] = form

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        config = self.app.config
        self._select(self.environment, config.environment)
        self.base_url.setText(config.base_url)
        self.login_url.setText(config.login_url)
        self.client_id.setText(config.client_id)
        self.client_secret.setText("")
        self.store_id.setText(config.store_id)
        self.username.setText(config.username)
        self.device_model.setText(config.device_model)
        self.device_id.setText(config.device_id)
        self._select(self.list_mode, config.list_mode)
        from edge_app.domain.limits import limits_to_json

        for key, value in limits_to_json(self.app.limits).items():
            if key in self.limit_edits:
                self._limit_values[key] = value
                self.limit_edits[key].setText(limits_to_text(value))
                self.limit_edits[key].setCursorPosition(0)
        self.shop_close.setText(config.shop_close)
        self.batch_size.setText(str(config.batch_size))
        self.concurrency.setText(str(config.concurrency))
        self.timeout.setText(f"{float(config.timeout_seconds):g}")
        self.send_delay.setText(f"{float(config.send_delay_seconds):g}")
        self._select(self.language, config.language)
        self._clear_errors()
        self._environment_changed()

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        combo.setCurrentIndex(max(index, 0))

    def _environment_changed(self) -> None:
        name = str(self.environment.currentData())
        custom = name == "custom"
        fixed = name in ("production", "develop")
        if fixed:
            from edge_app.gateway.urls import ENVIRONMENTS

            env = ENVIRONMENTS[name]
            self.base_url.setText(env.base_url)
            self.login_url.setText(env.login_url)
            self.client_id.setText(env.client_id)
        for edit in (self.base_url, self.login_url):
            edit.setReadOnly(fixed)
        self.client_id.setReadOnly(not custom)
        form = self.form_by_field["client_secret"]
        form.set_row_visible("client_secret", custom)

    def _clear_errors(self) -> None:
        for form in set(self.form_by_field.values()):
            form.clear()

    def show_field_error(self, field: str, text: str) -> None:
        form = self.form_by_field.get(field)
        if form is None and field.startswith("limit"):
            form, field = self.limits_form, "limits"
        if form is None:
            self.banner.show_message(text, "error")
            return
        form.errors[field].show_error(text)
        self.banner.show_message(tr("Not saved: please correct the fields marked in red."), "error")
        caption, box = form.rows[field]
        if caption.buddy() is not None:
            caption.buddy().setFocus()
        # once the error label has its room: the wrong field may be below the visible part
        QTimer.singleShot(0, lambda: self.body_scroll.ensureWidgetVisible(box))

    def visible_errors(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for form in set(self.form_by_field.values()):
            found.update(form.visible_errors())
        return found

    # -- saving -------------------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """The settings as typed, in the config's types; _FieldProblem if one is unreadable."""
        values: dict[str, Any] = {
            "environment": str(self.environment.currentData()),
            "base_url": self.base_url.text().strip().rstrip("/"),
            "login_url": self.login_url.text().strip().rstrip("/"),
            "client_id": self.client_id.text().strip(),
            "store_id": self.store_id.text().strip(),
            "username": self.username.text().strip(),
            "device_model": self.device_model.text().strip(),
            "list_mode": str(self.list_mode.currentData()),
            "shop_close": self.shop_close.text().strip(),
            "language": str(self.language.currentData()),
        }
        for name, edit, kind in (
            ("batch_size", self.batch_size, int),
            ("concurrency", self.concurrency, int),
            ("timeout_seconds", self.timeout, float),
            ("send_delay_seconds", self.send_delay, float),
        ):
            try:
                values[name] = kind(edit.text().strip())
            except ValueError:
                raise _FieldProblem(name, tr("Type a number.")) from None
        limits: dict[str, Any] = {}
        for key, limit_edit in self.limit_edits.items():
            try:
                limits[key] = limits_from_text(limit_edit.text(), self._limit_values.get(key))
            except ValueError as exc:
                raise _FieldProblem(key, str(exc)) from None
        values["limits"] = limits
        if not values["device_model"]:
            raise _FieldProblem("device_model", tr("Device model must not be empty."))
        return values

    def save(self) -> bool:
        self._clear_errors()
        self.banner.clear_message()
        try:
            values = self.changes()
        except _FieldProblem as problem:
            self.show_field_error(problem.field, problem.text)
            return False
        if values["environment"] == "custom" and not (
            self.client_secret.text() or self.app.has_client_secret()
        ):
            self.show_field_error(
                "client_secret", tr("A custom environment needs the client secret.")
            )
            return False
        if not self.gate.require(self, tr("change the settings")):
            self.banner.show_message(tr("Not saved: the manager PIN was not given."), "warning")
            return False
        from edge_app.domain.errors import ValidationError

        try:
            # Check the limits the same way the core reads them, so a bad one names its field.
            from edge_app.domain.limits import limits_from_json

            limits_from_json(values["limits"])
        except ValidationError as exc:
            self.show_field_error(getattr(exc, "field", None) or "limits", say(exc))
            return False
        try:
            self.app.update_config(**values)
        except ValidationError as exc:
            self.show_field_error(getattr(exc, "field", None) or "", say(exc))
            return False
        except Exception as exc:
            self.banner.show_message(plain_error(exc), "error")
            return False
        if values["environment"] == "custom" and self.client_secret.text():
            self.app.set_client_secret(self.client_secret.text())
        self.load()
        self.banner.show_message(tr("Settings saved."), "success")
        self.saved.emit()
        return True

    # -- manager PIN ------------------------------------------------------------------------

    def change_pin(self) -> bool:
        self.pin_form.clear()
        current, new, repeat = self.pin_current.text(), self.pin_new.text(), self.pin_repeat.text()
        for edit in (self.pin_current, self.pin_new, self.pin_repeat):
            edit.setText("")
        if has_manager_pin(self.app.secure_settings()):
            problem = self.gate.guard.check(current)
            if problem:
                self.pin_form.errors["pin_current"].show_error(tr(problem))
                return False
        problem = pin_problem(new, repeat)
        if problem:
            field = "pin_repeat" if "differ" in problem else "pin_new"
            self.pin_form.errors[field].show_error(tr(problem))
            return False
        set_manager_pin(self.app.secure_settings(), new)
        self.banner.show_message(tr("The manager PIN was changed."), "success")
        return True


class _FieldProblem(Exception):
    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field
        self.text = text
