"""Window fixtures: a real installation on the sandbox gateway over loopback, scripted dialogs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import MANAGER_PIN
from support import init_app

from edge_app.sandbox.server import SandboxGateway, SandboxOptions


class ScriptedPrompts:
    """Answers the window's questions from lists; an empty list means the person cancelled."""

    def __init__(self) -> None:
        self.answers: list[str] = []  # typed into the next ask() dialogs, in order
        self.files: list[Path] = []
        self.new_pins: list[str] = []
        self.asked: list[str] = []  # titles of the dialogs shown
        self.refusals: list[str] = []  # sentences a dialog showed for wrong input
        self.choices: list[str] = []  # keys picked in the next choose() dialogs
        self.questions: list[str] = []  # texts of the choose() dialogs shown
        self.prefilled: list[str] = []  # the text each ask() dialog opened with

    def ask(
        self,
        parent: Any,
        title: str,
        prompt: str,
        label: str,
        check: Callable[[str], str | None],
        **options: Any,
    ) -> bool:
        self.asked.append(title)
        self.prefilled.append(str(options.get("text", "")))
        while self.answers:
            problem = check(self.answers.pop(0))
            if problem is None:
                return True
            self.refusals.append(problem)
        return False

    def new_pin(self, parent: Any, prompt: str) -> str | None:
        self.asked.append("new PIN")
        return self.new_pins.pop(0) if self.new_pins else None

    def open_file(self, parent: Any, title: str, filters: str) -> Path | None:
        return self.files.pop(0) if self.files else None

    def save_file(self, parent: Any, title: str, default: str, filters: str) -> Path | None:
        return self.files.pop(0) if self.files else None

    def confirm(self, parent: Any, title: str, text: str) -> bool:
        return True

    def choose(self, parent: Any, title: str, text: str, choices: list[tuple[str, str]]) -> Any:
        self.questions.append(text)
        offered = [key for key, _ in choices]
        if not self.choices:
            return None
        picked = self.choices.pop(0)
        assert picked in offered, (picked, offered)
        return picked


@pytest.fixture
def gui_gateway() -> Iterator[SandboxGateway]:
    server = SandboxGateway(SandboxOptions(seed=7, pending_seconds=0.2)).start()
    yield server
    server.stop()


@pytest.fixture
def gui_app(home: Path, db_key: str, gui_gateway: SandboxGateway) -> Iterator[Any]:
    from edge_app.ui.roles import set_manager_pin

    application = init_app(home, base_url=gui_gateway.url)
    application.login("sandbox")
    set_manager_pin(application.store, MANAGER_PIN)
    yield application
    application.close()


@pytest.fixture
def gui_prompts() -> ScriptedPrompts:
    return ScriptedPrompts()


@pytest.fixture
def gui_window(qtbot: Any, gui_app: Any, gui_prompts: ScriptedPrompts) -> Iterator[Any]:
    from edge_app.ui.main_window import MainWindow

    window = MainWindow(gui_app, prompts=gui_prompts, monitor=False, status_interval_ms=60_000)  # type: ignore[arg-type]
    window.sync.options = {"query_interval": 0.1, "pending_wait": 3.0}
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.last_status is not None, timeout=5000)
    yield window
    window.shutdown()


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    """A test that switches the window's language (Settings, the wizard) leaves English."""
    yield
    from edge_app.ui.i18n import switch_language

    switch_language("en")
