"""What every screen shares: the page base (margins, heading, banner), small widget makers, and
the screen's own read-only connection to the queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.widgets import Banner, heading

if TYPE_CHECKING:
    from edge_app.ui.widgets import ManagerGate, Prompts
    from edge_app.ui.workers import TaskRunner
    from storage.repository import Store

PAGE_MARGINS = (24, 18, 24, 18)
HINT_STYLE = "color: #5f6368;"


class Page(QWidget):
    """A screen: a column with the page margins and the heading on top; `add_banner` puts the
    message line where the screen wants it (right under the heading, or under its summary)."""

    def __init__(self, title: str, parent: QWidget | None = None, *, spacing: int = 10) -> None:
        super().__init__(parent)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(*PAGE_MARGINS)
        self.outer.setSpacing(spacing)
        self.outer.addWidget(heading(title))
        self.banner = Banner()

    def add_banner(self, name: str) -> Banner:
        self.banner.setObjectName(name)
        self.outer.addWidget(self.banner)
        return self.banner


class ManagerPage(Page):
    """A screen with manager actions: the app, the worker runner for its reads, the PIN gate and
    the dialogs it asks through."""

    def __init__(
        self,
        title: str,
        app: Any,
        runner: TaskRunner,
        gate: ManagerGate,
        prompts: Prompts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.app = app
        self.runner = runner
        self.gate = gate
        self.prompts = prompts


class PageReader:
    """A screen's own read-only connection to the queue (`App.open_reader`), opened on first use.

    Its reads never wait for the sync's writer (WAL), so the GUI thread can page through the
    queue while a sync or another program commits. `App.close` closes it; from then on `store()`
    is None and the screen shows nothing instead of reading a closed connection.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._store: Store | None = None

    def store(self) -> Store | None:
        if self._app.closed:
            self._store = None
            return None
        if self._store is None:
            self._store = self._app.open_reader()
        return self._store


def group(title: str, layout: type[QLayout]) -> tuple[QGroupBox, Any]:
    """A titled box and the layout that fills it."""
    box = QGroupBox(title)
    return box, layout(box)


def button(text: str, name: str = "", *, primary: bool = False) -> QPushButton:
    widget = QPushButton(text)
    if name:
        widget.setObjectName(name)
    if primary:
        widget.setProperty("primary", True)
    return widget


def line_edit(
    name: str, *, placeholder: str = "", password: bool = False, max_width: int = 0
) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    if password:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    if max_width:
        edit.setMaximumWidth(max_width)
    return edit


def combo(name: str, items: Iterable[tuple[str, Any]]) -> QComboBox:
    """A choice list of (shown text, value) items."""
    box = QComboBox()
    box.setObjectName(name)
    for text, value in items:
        box.addItem(text, value)
    return box


def label(name: str = "", *, wrap: bool = False, style: str = "") -> QLabel:
    widget = QLabel()
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    if style:
        widget.setStyleSheet(style)
    return widget


def hint(text: str) -> QLabel:
    """A grey explanatory line."""
    widget = QLabel(text)
    widget.setWordWrap(True)
    widget.setStyleSheet(HINT_STYLE)
    return widget


CELL_PAD = 14  # a cell's text margins, with room to spare


def fitting_widths(table: QTableView, samples: Sequence[Sequence[str]]) -> tuple[int, ...]:
    """Column widths that fit each column's header and its longest sample text, in the
    current language and font (a column with no samples fits its header)."""
    metrics = table.fontMetrics()
    model = table.model()
    widths = []
    for column in range(model.columnCount()):
        header = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        texts = [header, *(samples[column] if column < len(samples) else ())]
        widths.append(max(metrics.horizontalAdvance(text) for text in texts) + CELL_PAD)
    return tuple(widths)


def list_table(table: QTableView, name: str, widths: Sequence[int]) -> QTableView:
    """The screens' tables: whole rows selected, no row numbers, the last column stretched."""
    table.setObjectName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    return table
