"""Helpers for the window tests: read every text a person could see."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStatusBar,
    QTextEdit,
    QWidget,
)

MANAGER_PIN = "2468"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def model_texts(model: Any, parent: QModelIndex | None = None) -> list[str]:
    parent = parent if parent is not None else QModelIndex()
    texts: list[str] = []
    try:
        columns = model.columnCount(parent)
    except TypeError:  # a list model keeps columnCount private: it has one column
        columns = 1
    for row in range(model.rowCount(parent)):
        for column in range(columns):
            index = model.index(row, column, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if value is not None:
                    texts.append(str(value))
            if column == 0 and model.rowCount(index) > 0:
                texts.extend(model_texts(model, index))
    return texts


def all_texts(root: QWidget) -> list[str]:
    """Texts of every line edit (including its undo history), label, button, list and table."""
    texts: list[str] = [root.windowTitle()]
    for widget in [root, *root.findChildren(QWidget)]:
        texts.append(widget.toolTip())
        if isinstance(widget, QLineEdit):
            texts.append(widget.text())
            texts.append(widget.displayText())
            if widget.isUndoAvailable():
                widget.undo()  # what Ctrl+Z would bring back
                texts.append(widget.text())
                widget.redo()
        elif isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QStatusBar):
            texts.append(widget.currentMessage())
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            texts.extend(model_texts(widget.model()))
    return [t for t in texts if t]


def field_error(form: Any, name: str) -> str:
    label = form.errors[name]
    return label.text() if label.isVisibleTo(label.window()) else ""


def settle(qtbot: Any, window: Any, timeout: int = 5000) -> None:
    """Wait until every background read of the window (counts, details, history) has answered:
    the screens read those in workers, so they show a moment after the change."""
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=timeout)


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(widget name, text) of everything a person sees now: labels, buttons, group titles,
    line edits and their placeholders, combo boxes, list and table rows and headers."""
    from PySide6.QtWidgets import QGroupBox, QHeaderView, QListWidget

    found: list[tuple[str, str]] = [("window title", root.windowTitle())]
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root):
            continue
        name = widget.objectName() or type(widget).__name__
        texts: list[str] = []
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QLineEdit):
            # What is typed in a field is the person's data; the placeholder is ours.
            texts.append(widget.placeholderText())
        elif isinstance(widget, QComboBox):
            texts.append(widget.currentText())
        elif isinstance(widget, QListWidget):
            texts += [widget.item(i).text() for i in range(widget.count())]
        elif isinstance(widget, QHeaderView) and widget.model() is not None:
            model = widget.model()
            texts += [
                str(model.headerData(i, widget.orientation()) or "")
                for i in range(widget.count())
                if not widget.isSectionHidden(i)
            ]
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            rows = min(model.rowCount(), 30)
            columns = model.columnCount() if hasattr(model, "columnCount") else 1
            cells = [model.index(r, c) for r in range(rows) for c in range(columns)]
            texts += [str(model.data(index) or "") for index in cells]
        found += [(name, t) for t in texts if t]
    return found


# Words that stay as they are in every language: product name, codes, card words.
KEPT_WORDS = frozenset(
    {"Edge", "Uploader", "PIN", "CVV", "ICC", "BRN", "UUID", "CSV", "ISO", "MM", "YY", "YYMM",
     "BIN", "HH", "OK", "Ctrl", "F5", "N", "F", "h", "s", "Delete",
     "English", "Traditional", "Chinese"}
)  # fmt: skip
# URLs, paths, e-mail addresses, ids with digits (store-1, uuids), file names.
_TOKEN_KEPT = re.compile(r"^(\S*://\S*|\S*[/\\@]\S*|\S*[0-9]\S*|\S*\.(csv|txt|json)\S*)$")


def english_words(text: str) -> list[str]:
    """Latin words in `text` that are not amounts, codes, masked cards, paths or kept words."""
    words: list[str] = []
    for token in text.split():
        if _TOKEN_KEPT.match(token):
            continue
        for word in re.findall(r"[A-Za-z][A-Za-z']+", token):
            if word in KEPT_WORDS or (word.isupper() and len(word) <= 6):
                continue  # HKD, USD, EDGE ... codes and acronyms
            words.append(word)
    return words
