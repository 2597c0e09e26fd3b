"""First-run wizard: gateway, store and account, card list mode, database key, manager PIN.

The installation is created (`App.init`) when the person confirms the security page; the last page
then logs in, in a worker. No network is needed to finish: an offline setup is allowed and says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from edge_app.ui.i18n import LANGUAGES, app_icon, current_language, say, switch_language, tr
from edge_app.ui.page import hint, line_edit
from edge_app.ui.roles import pin_problem, set_manager_pin
from edge_app.ui.settings_page import ENVIRONMENT_WORDS
from edge_app.ui.widgets import ErrorLabel, FieldForm, errors_of, pin_edit
from edge_app.ui.workers import TaskRunner, plain_error

KEY_STORES = (
    ("keyring", "In this computer's keyring (recommended)"),
    ("file", "In a file protected by a passphrase (asked at every start)"),
    ("env", "In the EDGE_APP_DB_KEY environment variable (for servers)"),
)
MIN_PASSPHRASE = 8
LANGUAGE_CHANGED = 7  # the wizard's result when it must be opened again in another language
ENVIRONMENT_HINTS = {
    "production": "Real card payments of a live store.",
    "develop": "The payment provider's test system, with test cards only.",
    "sandbox": "A test gateway inside this program, for training and trying things out.",
    "custom": "Addresses and client credentials your payment provider gave you.",
}


class EnvironmentPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(tr("Which gateway?"))
        self.setSubTitle(
            tr("Choose where this store's payments are sent. Your payment provider tells you.")
        )
        outer = QVBoxLayout(self)
        welcome = QLabel(
            tr(
                "Welcome. These few steps set up Edge Uploader on this PC: where payments go, "
                "the store, how the queue is protected and who may approve voids and refunds."
            )
        )
        welcome.setWordWrap(True)
        outer.addWidget(welcome)
        outer.addSpacing(8)
        layout = QFormLayout()
        outer.addLayout(layout)
        outer.addStretch(1)
        self.form = FieldForm(layout)
        self.environment = QComboBox()
        self.environment.setObjectName("wizard_environment")
        for name in ("production", "develop", "sandbox", "custom"):
            self.environment.addItem(tr(ENVIRONMENT_WORDS[name]), name)
        self.env_hint = hint("")
        self.language = QComboBox()
        self.language.setObjectName("wizard_language")
        for code, words in LANGUAGES.items():
            self.language.addItem(words, code)
        self.language.setCurrentIndex(max(0, self.language.findData(current_language())))
        self.form.add("language", tr("Language"), self.language)
        self.form.add("environment", tr("Environment"), self.environment)
        layout.addRow("", self.env_hint)
        self.base_url = QLineEdit()
        self.base_url.setObjectName("wizard_base_url")
        self.form.add("base_url", tr("Payment address"), self.base_url)
        self.login_url = QLineEdit()
        self.login_url.setObjectName("wizard_login_url")
        self.login_url.setPlaceholderText(tr("same as the payment address"))
        self.form.add("login_url", tr("Login address"), self.login_url)
        self.client_id = QLineEdit()
        self.client_id.setObjectName("wizard_client_id")
        self.form.add("client_id", tr("Client id"), self.client_id)
        self.client_secret = QLineEdit()
        self.client_secret.setObjectName("wizard_client_secret")
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.add("client_secret", tr("Client secret"), self.client_secret)
        self.environment.currentIndexChanged.connect(self._changed)
        self._changed()

    def name(self) -> str:
        return str(self.environment.currentData())

    def _changed(self) -> None:
        """Rows are enabled or disabled, never hidden, so the page keeps its size."""
        from edge_app.config import SANDBOX_URL
        from edge_app.gateway.urls import ENVIRONMENTS

        name = self.name()
        editable = name in ("custom", "sandbox")
        for field in ("base_url", "login_url"):
            self.form.set_row_enabled(field, editable)
        for field in ("client_id", "client_secret"):
            self.form.set_row_enabled(field, name == "custom")
        self.env_hint.setText(tr(ENVIRONMENT_HINTS[name]))
        if name in ENVIRONMENTS:
            env = ENVIRONMENTS[name]
            self.base_url.setText(env.base_url)
            self.login_url.setText(env.login_url)
            self.client_id.setText(env.client_id)
        else:
            fixed = {e.base_url for e in ENVIRONMENTS.values()} | {SANDBOX_URL}
            if name == "sandbox":
                self.base_url.setText(SANDBOX_URL)
            elif self.base_url.text() in fixed:
                self.base_url.setText("")
            if name == "sandbox" or self.login_url.text() in {
                e.login_url for e in ENVIRONMENTS.values()
            }:
                self.login_url.setText("")
            if self.client_id.text() in {e.client_id for e in ENVIRONMENTS.values()}:
                self.client_id.setText("")
        self.form.clear()

    def validatePage(self) -> bool:
        self.form.clear()
        errors: dict[str, str] = {}
        if self.name() in ("custom", "sandbox"):
            from edge_app.domain.errors import ValidationError
            from edge_app.gateway.urls import check_url_allowed

            for field, edit in (("base_url", self.base_url), ("login_url", self.login_url)):
                text = edit.text().strip()
                if not text and field == "base_url":
                    errors[field] = tr("Type the address your payment provider gave you.")
                elif text:
                    try:
                        check_url_allowed(text, field)
                    except ValidationError as exc:
                        errors[field] = say(exc)
        if self.name() == "custom":
            if not self.client_id.text().strip():
                errors["client_id"] = tr("Type the client id your payment provider gave you.")
            if not self.client_secret.text():
                errors["client_secret"] = tr(
                    "Type the client secret your payment provider gave you."
                )
        self.form.show_errors(errors)
        return not errors


class StorePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(tr("Store and account"))
        self.setSubTitle(tr("The store id and the gateway account this PC sends with."))
        outer = QVBoxLayout(self)
        layout = QFormLayout()
        outer.addLayout(layout)
        self.form = FieldForm(layout)
        self.store_id = QLineEdit()
        self.store_id.setObjectName("wizard_store_id")
        self.form.add("store_id", tr("Store id"), self.store_id)
        self.username = QLineEdit()
        self.username.setObjectName("wizard_username")
        self.form.add("username", tr("Gateway user"), self.username)
        self.password = QLineEdit()
        self.password.setObjectName("wizard_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.add(
            "password",
            tr("Password"),
            self.password,
            tr(
                "Used to log in when setup finishes. Without a network you can still finish; "
                "the window logs in later."
            ),
        )
        mode_box = QWidget()
        modes = QVBoxLayout(mode_box)
        modes.setContentsMargins(0, 0, 0, 0)
        self.blacklist = QRadioButton(tr("Block list: cards on the list are refused"))
        self.blacklist.setObjectName("wizard_blacklist")
        self.whitelist = QRadioButton(tr("Allow list: only cards on the list are accepted"))
        self.whitelist.setObjectName("wizard_whitelist")
        self.blacklist.setChecked(True)
        modes.addWidget(self.blacklist)
        modes.addWidget(self.whitelist)
        self.form.add(
            "list_mode",
            tr("Card list"),
            mode_box,
            tr("Must match how the payment provider set up the store."),
        )

    def list_mode(self) -> str:
        return "whitelist" if self.whitelist.isChecked() else "blacklist"

    def validatePage(self) -> bool:
        from edge_app.config import STORE_ID_PATTERN

        errors: dict[str, str] = {}
        if not STORE_ID_PATTERN.match(self.store_id.text().strip()):
            errors["store_id"] = tr(
                "Store id must be 1 to 32 letters, digits, '-' or '_', as given by the gateway."
            )
        if not self.username.text().strip():
            errors["username"] = tr("Username is required.")
        self.form.show_errors(errors)
        return not errors


class SecurityPage(QWizardPage):
    """Where the database key is kept, and the manager PIN. Confirming creates the installation."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Security"))
        self.setSubTitle(
            tr("The queue is encrypted. Choose where its key is kept, and set the manager PIN.")
        )
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, tr("Set up"))
        layout = QFormLayout(self)
        self.form = FieldForm(layout)
        self.form.add("key_store", tr("Database key"), self._build_key_choice())
        self.passphrase = line_edit("wizard_passphrase", password=True)
        self.form.add(
            "passphrase",
            tr("Passphrase"),
            self.passphrase,
            tr("At least 8 characters. Without it the queue cannot be opened: keep it safe."),
        )
        self.passphrase2 = line_edit("wizard_passphrase2", password=True)
        self.form.add("passphrase2", tr("Repeat passphrase"), self.passphrase2)
        self.pin = pin_edit("wizard_pin", 140)
        self.form.add(
            "pin",
            tr("Manager PIN"),
            self.pin,
            tr(
                "4 to 8 digits; asked before voids, refunds, retries, card list changes "
                "and settings."
            ),
        )
        self.pin2 = pin_edit("wizard_pin2", 140)
        self.form.add("pin2", tr("Repeat PIN"), self.pin2)
        self.general = ErrorLabel()
        self.general.setObjectName("wizard_error")
        layout.addRow(self.general)
        self.key_group.buttonToggled.connect(self._key_changed)
        self._key_changed()

    def _build_key_choice(self) -> QWidget:
        key_box = QWidget()
        keys = QVBoxLayout(key_box)
        keys.setContentsMargins(0, 2, 0, 2)
        keys.setSpacing(6)
        self.key_group = QButtonGroup(self)
        self.key_buttons: dict[str, QRadioButton] = {}
        for name, words in KEY_STORES:
            choice = QRadioButton(tr(words))
            choice.setObjectName(f"wizard_key_{name}")
            self.key_group.addButton(choice)
            self.key_buttons[name] = choice
            keys.addWidget(choice)
        from storage.keys import keyring_available

        self.has_keyring = keyring_available()
        self.key_buttons["keyring"].setEnabled(self.has_keyring)
        self.key_buttons["keyring" if self.has_keyring else "file"].setChecked(True)
        if not self.has_keyring:
            keys.addWidget(
                hint(
                    tr(
                        "No keyring was found on this computer, so the key is kept in a file "
                        "protected by your passphrase."
                    )
                )
            )
        env_set = bool(os.environ.get("EDGE_APP_DB_KEY"))
        keys.addWidget(
            hint(
                tr("EDGE_APP_DB_KEY is set in this session.")
                if env_set
                else tr("EDGE_APP_DB_KEY is not set in this session.")
            )
        )
        return key_box

    def key_store(self) -> str:
        for name, button in self.key_buttons.items():
            if button.isChecked():
                return name
        return "keyring"

    def _key_changed(self, *_: Any) -> None:
        file = self.key_store() == "file"
        self.form.set_row_enabled("passphrase", file)
        self.form.set_row_enabled("passphrase2", file)

    def validatePage(self) -> bool:
        self.form.clear()
        self.general.show_error(None)
        errors: dict[str, str] = {}
        if self.key_store() == "file":
            if len(self.passphrase.text()) < MIN_PASSPHRASE:
                errors["passphrase"] = tr("The passphrase must be at least 8 characters long.")
            elif self.passphrase.text() != self.passphrase2.text():
                errors["passphrase2"] = tr("The two passphrases differ; type the same one twice.")
        if self.key_store() == "env" and not os.environ.get("EDGE_APP_DB_KEY"):
            errors["key_store"] = tr(
                "EDGE_APP_DB_KEY is not set; choose another place for the key."
            )
        problem = pin_problem(self.pin.text(), self.pin2.text())
        if problem:
            errors["pin2" if "differ" in problem else "pin"] = tr(problem)
        if errors:
            self.form.show_errors(errors)
            return False
        try:
            self._wizard.create_installation()
        except Exception as exc:
            if getattr(getattr(exc, "msg", None), "id", "") == "key.no_keyring":
                # The command line's sentence names its flag; a window user picks a button.
                self.form.show_errors(
                    {
                        "key_store": tr(
                            "No OS keyring is available on this computer; choose the "
                            "passphrase file instead."
                        )
                    }
                )
                return False
            left = self.form.show_errors(
                {k if k != "" else "key_store": v for k, v in errors_of(exc).items()}
            )
            if left:
                self.general.show_error(plain_error(exc))
            return False
        return True


class DonePage(QWizardPage):
    """Logs in (in a worker) and says how the setup ended."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Finishing"))
        layout = QVBoxLayout(self)
        self.message = QLabel()
        self.message.setObjectName("wizard_done")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.finished_login = False

    def initializePage(self) -> None:
        wizard = self._wizard
        app = wizard.app
        lines = [
            tr("Edge Uploader is set up for store {store} in {home}.").format(
                store=app.config.store_id, home=str(app.home)
            )
        ]
        if app.key_source.warning:
            lines.append(tr(app.key_source.warning))
        self._lines = lines
        password = wizard.password
        wizard.password = ""
        if not password:
            self._show(
                tr(
                    "No password was given: this PC works offline. Log in from the Sync screen "
                    "before the first sync."
                )
            )
            return
        self.message.setText("\n\n".join([*lines, tr("Logging in to the gateway…")]))
        wizard.runner.submit(lambda: self._login(app, password), self._logged_in)

    @staticmethod
    def _login(app: Any, password: str) -> str:
        from edge_app.gateway.errors import AuthError, GatewayError

        try:
            app.login(password)
        except AuthError as exc:
            return tr(
                "The gateway refused the login ({why}). Log in again from the Sync screen."
            ).format(why=str(exc))
        except (GatewayError, OSError):
            # Keep the password so the first sync can log in once the gateway is reachable.
            app.set_password(password)
            return tr(
                "The gateway could not be reached, so this PC was set up offline. Sales can be "
                "taken now; the password is kept encrypted and used at the first sync."
            )
        return tr("Logged in to the gateway.")

    def _logged_in(self, text: str) -> None:
        self._show(text)

    def _show(self, text: str) -> None:
        self.finished_login = True
        self.message.setText("\n\n".join([*self._lines, text]))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.finished_login


class SetupWizard(QWizard):
    """`app` holds the new installation once the security page was confirmed."""

    def __init__(self, home: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.app: Any = None
        self.password = ""
        self.runner = TaskRunner(self, max_threads=1)
        self.setWindowTitle(tr("Set up Edge Uploader"))
        self.setWindowIcon(app_icon())
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setPixmap(QWizard.WizardPixmap.LogoPixmap, app_icon().pixmap(48, 48))
        self.setMinimumSize(640, 520)
        self._add_pages()

    def _add_pages(self) -> None:
        self.environment_page = EnvironmentPage()
        self.store_page = StorePage()
        self.security_page = SecurityPage(self)
        self.done_page = DonePage(self)
        for page in (self.environment_page, self.store_page, self.security_page, self.done_page):
            self.addPage(page)
        self.environment_page.language.currentIndexChanged.connect(self._language_chosen)

    def language(self) -> str:
        return str(self.environment_page.language.currentData())

    def _language_chosen(self) -> None:
        """Show the wizard again in the language just chosen, at once (it is the first page):
        the wizard closes with LANGUAGE_CHANGED and `run_gui` opens a new one."""
        if switch_language(self.language()):
            QTimer.singleShot(0, lambda: self.done(LANGUAGE_CHANGED))

    def create_installation(self) -> None:
        from edge_app.services import App, InitSettings

        env = self.environment_page
        store = self.store_page
        security = self.security_page
        name = env.name()
        settings = InitSettings(
            store_id=store.store_id.text().strip(),
            environment=name,
            username=store.username.text().strip(),
            base_url=env.base_url.text().strip() or None if name in ("custom", "sandbox") else None,
            login_url=env.login_url.text().strip() or None
            if name in ("custom", "sandbox")
            else None,
            client_id=env.client_id.text().strip() or None if name == "custom" else None,
            client_secret=env.client_secret.text() or None if name == "custom" else None,
            list_mode=store.list_mode(),
            key_store=security.key_store(),
        )
        passphrase = security.passphrase.text()
        self.app = App.init(self.home, settings, passphrase_provider=lambda: passphrase)
        if self.language() != "en":
            self.app.update_config(language=self.language())
        set_manager_pin(self.app.secure_settings(), security.pin.text())
        self.password = store.password.text()
        for edit in (
            store.password,
            security.passphrase,
            security.passphrase2,
            security.pin,
            security.pin2,
            env.client_secret,
        ):
            edit.setText("")

    def done(self, result: int) -> None:
        self.runner.shutdown(60_000)
        super().done(result)
