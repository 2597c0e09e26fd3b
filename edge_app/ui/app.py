"""`run_gui(home)`: the window's entry point (`edge-app gui`, or `edge-app` with no command)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from edge_app.ui.i18n import app_icon, say, switch_language, tr
from edge_app.ui.widgets import AskDialog

APP_NAME = "Edge Uploader"
EXIT_OK = 0
EXIT_SETUP = 2
# An open that takes longer than this says so: the first start of a new version may update a
# large queue (schema 12 fills in every audit entry's record id) for up to a minute.
SLOW_OPEN_S = 0.5
NOTICE_WIDTH = 440  # px: the opening message in two or three lines


def application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    qt_app = QApplication(sys.argv[:1])
    qt_app.setApplicationName(APP_NAME)
    qt_app.setApplicationDisplayName(APP_NAME)
    qt_app.setOrganizationName("edge-app")
    qt_app.setDesktopFileName("edge-app")  # matches resources/edge-app.desktop
    qt_app.setWindowIcon(app_icon())
    return qt_app


def configured_language(home: Path) -> str:
    """The language in config.json, read without opening the database; English by default."""
    from edge_app.config import load_config

    try:
        return load_config(home).language
    except Exception:  # no config yet, or damaged: the wizard or the error comes next
        return "en"


def needs_passphrase(home: Path) -> bool:
    from storage.keys import ENV_KEY, ENV_PASSPHRASE, read_keystore

    try:
        doc = read_keystore(home)
    except Exception:
        return False
    return bool(
        doc
        and doc.get("backend") == "file"
        and not os.environ.get(ENV_KEY)
        and not os.environ.get(ENV_PASSPHRASE)
    )


def open_installation(home: Path, parent: QWidget | None = None) -> Any:
    """App.open, asking for the passphrase in a dialog when the key file needs one.

    Returns None when the person cancels; raises the core's error for anything else.
    """
    from edge_app.services import App
    from storage.errors import KeyUnavailable

    if not needs_passphrase(home):
        return open_showing_progress(lambda: App.open(home), parent)
    opened: list[Any] = []

    def check(passphrase: str) -> str | None:
        if not passphrase:
            return tr("Type the passphrase.")
        try:
            opened.append(
                open_showing_progress(
                    lambda: App.open(home, passphrase_provider=lambda: passphrase), parent
                )
            )
        except KeyUnavailable as exc:
            return say(exc)
        return None

    dialog = AskDialog(
        parent,
        tr("Open Edge Uploader"),
        tr("The queue's key is protected by a passphrase. Type it to open the queue."),
        tr("Passphrase"),
        check,
        password=True,
    )
    if dialog.exec() != QDialog.DialogCode.Accepted or not opened:
        return None
    return opened[0]


def open_showing_progress(
    open_queue: Callable[[], Any], parent: QWidget | None = None, *, after_s: float = SLOW_OPEN_S
) -> Any:
    """`open_queue()` in a thread while Qt's events go on; past `after_s` a message says that
    the queue is being opened, so a long upgrade is not taken for a program that hangs.
    Returns what it returned, or raises what it raised."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(open_queue())
        except BaseException as exc:  # raised again below, in the window's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="open-queue", daemon=True)
    worker.start()
    worker.join(after_s)
    if worker.is_alive():
        notice = QProgressDialog("", "", 0, 0, parent)
        label = QLabel(
            tr(
                "Opening the queue. The first start of a new version updates it, which can "
                "take a minute for a store with a long history."
            )
        )
        label.setWordWrap(True)  # two short lines rather than one as wide as the screen
        notice.setLabel(label)
        notice.setFixedWidth(NOTICE_WIDTH)
        notice.setWindowTitle(APP_NAME)
        notice.setCancelButton(None)  # the update is one transaction: it finishes or not at all
        notice.setMinimumDuration(0)
        notice.show()
        while worker.is_alive():
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            worker.join(0.05)
        notice.close()
        notice.deleteLater()
    if failure:
        raise failure[0]
    return result[0]


def run_gui(home: Path) -> int:
    """Open the window for the installation in `home` (the first-run wizard if there is none)."""
    from edge_app.config import CONFIG_FILE
    from edge_app.ui.main_window import MainWindow
    from edge_app.ui.wizard import LANGUAGE_CHANGED, SetupWizard

    qt_app = application()
    switch_language(configured_language(home))
    app: Any = None
    if not (home / CONFIG_FILE).exists():
        wizard = SetupWizard(home)
        while wizard.exec() == LANGUAGE_CHANGED:
            wizard = SetupWizard(home)  # in the language just chosen
        if wizard.result() != QDialog.DialogCode.Accepted and wizard.app is None:
            return EXIT_SETUP
        app = wizard.app
        switch_language(app.config.language)
    else:
        try:
            app = open_installation(home)
        except Exception as exc:
            from edge_app.ui.workers import plain_error

            QMessageBox.critical(None, APP_NAME, plain_error(exc))
            return EXIT_SETUP
        if app is None:
            return EXIT_SETUP
    window = MainWindow(app)
    if app.key_source.warning:
        window.statusBar().showMessage(tr(app.key_source.warning), 15_000)
    window.show_fitted()
    try:
        return int(qt_app.exec())
    finally:
        window.shutdown()
        app.close()
