"""Manager PIN hashing (no Qt), the Traditional Chinese translation, and the Qt boundary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from edge_app.ui.roles import (
    LOCKOUT_SECONDS,
    MAX_WRONG_TRIES,
    PIN_SETTING,
    PinGuard,
    hash_pin,
    pin_problem,
    verify_pin,
)

ROOT = Path(__file__).resolve().parents[2]


class MemorySettings:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_setting(self, name: str) -> str | None:
        return self.values.get(name)

    def set_setting(self, name: str, value: str | None, *, audit_detail: str | None = None) -> None:
        assert value is not None
        self.values[name] = value


def test_pin_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_pin("4821"), hash_pin("4821")
    assert first != second  # a random salt each time
    assert first.startswith("scrypt$")
    assert "4821" not in first
    assert verify_pin("4821", first)
    assert verify_pin("4821", second)
    assert not verify_pin("4822", first)
    assert not verify_pin("4821", "scrypt$damaged")
    assert not verify_pin("4821", "")


@pytest.mark.parametrize(
    ("pin", "repeat", "words"),
    [
        ("123", None, "4 to 8 digits"),
        ("123456789", None, "4 to 8 digits"),
        ("12a4", None, "4 to 8 digits"),
        ("1234", "1235", "differ"),
    ],
)
def test_bad_new_pins_are_refused(pin: str, repeat: str | None, words: str) -> None:
    problem = pin_problem(pin, repeat)
    assert problem is not None
    assert words in problem
    assert pin_problem("12345678", "12345678") is None


def test_repeated_wrong_pins_lock_for_a_while() -> None:
    store = MemorySettings()
    store.values[PIN_SETTING] = hash_pin("9753")
    now = [1000.0]
    guard = PinGuard(store, clock=lambda: now[0])
    for _ in range(MAX_WRONG_TRIES - 1):
        assert guard.check("0000") == "That PIN is not the manager PIN."
    assert "Too many wrong PINs" in str(guard.check("0000"))
    assert "Too many wrong PINs" in str(guard.check("9753"))  # even the right PIN waits
    now[0] += LOCKOUT_SECONDS + 1
    assert guard.check("9753") is None


def test_no_pin_stored_refuses_every_pin() -> None:
    assert PinGuard(MemorySettings()).check("1234") == "That PIN is not the manager PIN."


def test_traditional_chinese_translation_is_compiled_and_used(qapp: Any) -> None:
    from edge_app.ui.i18n import install_translator, remove_translator, tr

    qm = ROOT / "resources" / "i18n" / "edge_app_zh_TW.qm"
    assert qm.exists()
    assert qm.stat().st_size > 1000
    translator = install_translator("zh_TW")
    try:
        assert translator is not None
        assert tr("New sale") == "新增交易"
        assert tr("Sync now") == "立即同步"
    finally:
        remove_translator(translator)
    assert tr("New sale") == "New sale"
    assert install_translator("en") is None


def test_every_window_string_has_a_chinese_translation() -> None:
    import xml.etree.ElementTree as ET

    root = ET.parse(ROOT / "resources" / "i18n" / "edge_app_zh_TW.ts").getroot()  # noqa: S314
    unfinished = [
        m.findtext("source")
        for m in root.iter("message")
        if m.find("translation") is not None and m.find("translation").get("type") == "unfinished"
    ]
    assert unfinished == []


def test_only_the_ui_package_imports_qt() -> None:
    offenders = []
    ui = ROOT / "edge_app" / "ui"
    for path in [*(ROOT / "edge_app").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]:
        if path.is_relative_to(ui):
            continue
        if re.search(r"^\s*(from|import)\s+PySide6", path.read_text("utf-8"), re.MULTILINE):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    roles = (ROOT / "edge_app" / "ui" / "roles.py").read_text("utf-8")
    assert "PySide6" not in roles
    assert "probe" not in roles


def test_no_function_of_the_window_is_longer_than_60_lines() -> None:
    import ast

    long = []
    for path in sorted((ROOT / "edge_app" / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []
