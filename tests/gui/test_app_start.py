"""`run_gui`: opens an existing installation (asking the passphrase when needed) and the window."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog
from support import init_app

from edge_app.ui.app import EXIT_SETUP, open_showing_progress, run_gui
from edge_app.ui.main_window import MainWindow
from edge_app.ui.widgets import AskDialog

PASSPHRASE = "a long passphrase"


def make_passphrase_install(home: Path) -> None:
    from edge_app.services import App, InitSettings

    app = App.init(
        home,
        InitSettings(store_id="s1", environment="sandbox", username="u", key_store="file"),
        passphrase_provider=lambda: PASSPHRASE,
    )
    app.close()


def windows() -> list[Any]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


# The offscreen platform warns that it cannot resize a shown dialog; a real display does not.
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_run_gui_asks_the_passphrase_then_opens_the_window(qapp: Any, home: Path) -> None:
    make_passphrase_install(home)
    seen: list[str] = []

    def step() -> None:
        for widget in windows():
            if isinstance(widget, AskDialog):
                typed = "wrong passphrase" if not seen else PASSPHRASE
                seen.append(typed)
                widget.edit.setText(typed)
                widget.try_accept()
                if widget.isVisible():
                    seen.append(widget.error.text())
            elif isinstance(widget, MainWindow):
                seen.append(widget.windowTitle())
                seen.append(widget.store_label.text())
                widget.close()
                return
        QTimer.singleShot(50, step)

    QTimer.singleShot(50, step)
    assert run_gui(home) == 0
    assert seen[0] == "wrong passphrase"
    assert seen[1] == "The passphrase is wrong."
    assert seen[2] == PASSPHRASE
    assert seen[3] == "Edge Uploader"
    assert seen[4].startswith("Store s1")


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_run_gui_gives_up_when_the_passphrase_is_not_given(qapp: Any, home: Path) -> None:
    make_passphrase_install(home)

    def cancel() -> None:
        for widget in windows():
            if isinstance(widget, AskDialog):
                widget.reject()
                return
        QTimer.singleShot(50, cancel)

    QTimer.singleShot(50, cancel)
    assert run_gui(home) == EXIT_SETUP


def _notices() -> list[str]:
    return [w.labelText() for w in windows() if isinstance(w, QProgressDialog)]


def test_a_slow_open_says_the_queue_is_being_opened_then_goes_on(
    qapp: Any, home: Path, db_key: str
) -> None:
    """A new version's first start may update a large queue for a minute: past half a second
    the person is told, and the window's events go on meanwhile."""
    from edge_app.services import App

    init_app(home).close()
    seen: list[list[str]] = []
    QTimer.singleShot(200, lambda: seen.append(_notices()))

    def slow_open() -> Any:
        time.sleep(0.6)  # as long as an upgrade of a large trail would take, in short
        return App.open(home)

    opened = open_showing_progress(slow_open, after_s=0.1)
    try:
        assert seen and len(seen[0]) == 1 and seen[0][0].startswith("Opening the queue.")
        assert opened.transaction_count() == 0  # the real store, usable from this thread
        assert _notices() == []  # the message is gone once the queue is open
    finally:
        opened.close()


def test_an_open_that_fails_in_its_thread_raises_here(qapp: Any, home: Path) -> None:
    from storage.errors import DatabaseKeyError

    def failing_open() -> Any:
        time.sleep(0.3)
        raise DatabaseKeyError("The database key is wrong.")

    with pytest.raises(DatabaseKeyError, match="key is wrong"):
        open_showing_progress(failing_open, after_s=0.05)
    assert _notices() == []
