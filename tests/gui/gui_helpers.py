"""Helpers for the window tests: read every text a person could see."""

from __future__ import annotations

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
