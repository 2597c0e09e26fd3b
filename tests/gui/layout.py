"""What a person would see cut: text wider than its widget, columns wider than their table, widgets
outside the window, a window larger than the screen. Used by the two-size layout test."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QTreeView,
    QWidget,
)

CELL_PADDING = 12  # a view's text margin on both sides of a cell, plus the focus frame
COMBO_ARROW = 28  # the drop-down arrow and the frame of a combo box
EDIT_MARGINS = 10  # the frame and text margins of a line edit


def _name(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, QLabel | QAbstractButton):
        text = widget.text()
    elif isinstance(widget, QLineEdit):
        text = widget.placeholderText() or widget.text()
    label = widget.objectName() or type(widget).__name__
    return f"{label} {text[:40]!r}" if text else label


def _in_scrolled_content(widget: QWidget, window: QWidget) -> bool:
    """Content of a scroll area may lie beyond its viewport: scrolling reaches it."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent.parentWidget(), QAbstractScrollArea) and (
            parent is parent.parentWidget().viewport()  # type: ignore[union-attr]
        ):
            return True
        parent = parent.parentWidget()
    return False


def _shown(widget: QWidget, window: QWidget) -> bool:
    return widget.isVisibleTo(window) and widget.width() > 0 and widget.height() > 0


def _label_problem(label: QLabel) -> str | None:
    if not label.text() or (label.pixmap() is not None and not label.pixmap().isNull()):
        return None
    if label.wordWrap():
        needed = label.heightForWidth(label.width())
        if needed > label.height() + 1:
            return f"needs {needed} px of height, has {label.height()}"
        return None
    needed = label.sizeHint().width()
    if needed > label.width() + 1:
        return f"needs {needed} px, has {label.width()}"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    if not button.text():
        return None
    needed = button.sizeHint().width()
    return f"needs {needed} px, has {button.width()}" if needed > button.width() + 1 else None


def _edit_problem(edit: QLineEdit) -> str | None:
    text = edit.text() or edit.placeholderText()
    if not text or edit.echoMode() != QLineEdit.EchoMode.Normal:
        return None
    in_spin_box = isinstance(edit.parentWidget(), QAbstractSpinBox)  # no frame of its own
    needed = QFontMetrics(edit.font()).horizontalAdvance(text) + (
        2 if in_spin_box else EDIT_MARGINS
    )
    return f"needs {needed} px, has {edit.width()}" if needed > edit.width() else None


def _combo_problem(combo: QComboBox) -> str | None:
    if not combo.currentText():
        return None
    needed = QFontMetrics(combo.font()).horizontalAdvance(combo.currentText()) + COMBO_ARROW
    return f"needs {needed} px, has {combo.width()}" if needed > combo.width() else None


def _table_problems(view: QTableView | QTreeView) -> list[str]:
    """Every header and every visible cell fits its column (or wraps in it), and the columns fit
    the view."""
    problems: list[str] = []
    header: QHeaderView = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
    wraps = view.wordWrap()
    model = view.model()
    if model is None:
        return problems
    metrics = QFontMetrics(view.font())
    header_metrics = QFontMetrics(header.font())
    shown_columns = [c for c in range(model.columnCount()) if not view.isColumnHidden(c)]
    total = sum(header.sectionSize(c) for c in shown_columns)
    if total > view.viewport().width() + 1:
        problems.append(f"columns need {total} px, the table shows {view.viewport().width()}")
    rows = range(min(model.rowCount(), 40))  # the first screenful or so
    for column in shown_columns:
        width = header.sectionSize(column)
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        if title and header_metrics.horizontalAdvance(title) + CELL_PADDING > width:
            problems.append(f"header {title!r} cut ({width} px)")
        for row in rows:
            text = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
            if wraps:
                break
            widest = max(
                (metrics.horizontalAdvance(line) for line in str(text).split("\n")), default=0
            )
            if text and widest + CELL_PADDING > width:
                problems.append(f"column {title!r} cuts {str(text)[:30]!r} ({width} px)")
                break
    return problems


def layout_problems(window: QWidget) -> list[str]:
    """Sentences naming each cut text or misplaced widget of the window as it is shown now."""
    problems: list[str] = []
    screen = window.screen()
    if screen is not None:
        free = screen.availableGeometry()
        if window.frameGeometry().width() > free.width() or (
            window.frameGeometry().height() > free.height()
        ):
            problems.append(
                f"window {window.frameGeometry().size().toTuple()} larger than the screen "
                f"{free.size().toTuple()}"
            )
    inside = QRect(QPoint(0, 0), window.size())
    for widget in window.findChildren(QWidget):
        if not _shown(widget, window):
            continue
        where = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if not inside.contains(where) and not _in_scrolled_content(widget, window):
            problems.append(f"{_name(widget)} lies outside the window at {where.getRect()}")
            continue
        problem: str | None = None
        if isinstance(widget, QLabel):
            problem = _label_problem(widget)
        elif isinstance(widget, QAbstractButton):
            problem = _button_problem(widget)
        elif isinstance(widget, QLineEdit) and not isinstance(widget.parentWidget(), QComboBox):
            problem = _edit_problem(widget)
        elif isinstance(widget, QComboBox):
            problem = _combo_problem(widget)
        if problem:
            problems.append(f"{_name(widget)} cut: {problem}")
        if isinstance(widget, QAbstractScrollArea) and widget.horizontalScrollBar().maximum() > 0:
            problems.append(f"{_name(widget)} hides part of its content behind a sideways scroll")
        if isinstance(widget, QTableView | QTreeView):
            problems.extend(f"{_name(widget)}: {p}" for p in _table_problems(widget))
    return problems
