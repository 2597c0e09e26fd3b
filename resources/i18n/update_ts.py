"""Collect the window's strings into edge_app_<lang>.ts and compile the .qm with pyside6-lrelease.

    python resources/i18n/update_ts.py            # update edge_app_zh_TW.ts and build the .qm

Strings are found without running the code: every `tr("...")` literal in edge_app/ui, the values
of the module-level word tables (names ending in _WORDS, COLUMNS, _FILTERS, KEY_STORES, _HINTS),
the sentences `edge_app/ui/roles.py` returns, and the core's message templates (the values of
`MESSAGES` in edge_app/domain/messages.py, which the window renders with `say()`). Translations
already in the .ts are kept; new strings are added as unfinished (Qt falls back to English).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
UI = HERE.parents[1] / "edge_app" / "ui"
CATALOGUE = HERE.parents[1] / "edge_app" / "domain" / "messages.py"
CONTEXT = "EdgeUploader"
TABLE_SUFFIXES = ("_WORDS", "COLUMNS", "_FILTERS", "KEY_STORES", "_HINTS")


def _strings_in(node: ast.AST) -> list[str]:
    return [
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value[:1].isupper()
    ]


def _table_values(node: ast.AST) -> list[str]:
    """Values (not keys) of a word table: dict values (any case), tuple and list items."""
    if isinstance(node, ast.Dict):
        return [
            n.value
            for value in node.values
            if value is not None
            for n in ast.walk(value)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value
        ]
    return _strings_in(node)


def catalogue(path: Path = CATALOGUE) -> list[str]:
    """The English templates of the core's messages (`MESSAGES = MappingProxyType({...})`)."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "MESSAGES" for t in targets):
                table = next(n for n in ast.walk(node) if isinstance(n, ast.Dict))
                return [
                    v.value
                    for v in table.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                ]
    return []


def collect(ui_dir: Path = UI) -> list[str]:
    found: dict[str, None] = dict.fromkeys(catalogue())
    for path in sorted(ui_dir.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "tr"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if any(name.endswith(TABLE_SUFFIXES) for name in names):
                    for text in _table_values(node.value):
                        found.setdefault(text)
            elif (
                path.name == "roles.py"
                and isinstance(node, ast.Return)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.setdefault(node.value.value)
    return list(found)


def read_translations(ts: Path) -> dict[str, str]:
    if not ts.exists():
        return {}
    done: dict[str, str] = {}
    # Our own file, written by this script or Qt Linguist.
    for message in ET.parse(ts).getroot().iter("message"):  # noqa: S314
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is not None and translation.text and translation.get("type") != "unfinished":
            done[source] = translation.text
    return done


def write_ts(ts: Path, language: str, sources: list[str], translations: dict[str, str]) -> int:
    root = ET.Element("TS", version="2.1", language=language)
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = CONTEXT
    missing = 0
    for source in sources:
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = source
        translation = ET.SubElement(message, "translation")
        if source in translations:
            translation.text = translations[source]
        else:
            translation.set("type", "unfinished")
            missing += 1
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    ts.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", "utf-8")
    return missing


def compile_qm(ts: Path) -> bool:
    tool = shutil.which("pyside6-lrelease")
    if tool is None:
        print("pyside6-lrelease not found; the .ts was written but not compiled.", file=sys.stderr)
        return False
    subprocess.run([tool, str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)
    return True


def main(language: str = "zh_TW") -> int:
    ts = HERE / f"edge_app_{language}.ts"
    sources = collect()
    missing = write_ts(ts, language, sources, read_translations(ts))
    print(f"{ts.name}: {len(sources)} strings, {missing} without a translation.")
    return 0 if compile_qm(ts) else 1


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
