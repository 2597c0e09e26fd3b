"""Card block list: the store's card numbers (shown masked), changes queued for the gateway."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.i18n import tr
from edge_app.ui.page import (
    HINT_STYLE,
    ManagerPage,
    PageReader,
    button,
    group,
    hint,
    label,
    line_edit,
    list_table,
)
from edge_app.ui.widgets import ErrorLabel, ManagerGate, Prompts
from edge_app.ui.workers import TaskRunner, plain_error

PAGE_SIZE = 500
PENDING_WORDS = {"add": "Added: sent at the next sync", "del": "Removed: sent at the next sync"}
MODE_WORDS = {
    "blacklist": "Block list: cards on this list are refused at the till.",
    "whitelist": "Allow list: only cards on this list are accepted at the till.",
}
AnyIndex = QModelIndex | QPersistentModelIndex


class BlocklistModel(QAbstractTableModel):
    """The card list, masked, read `PAGE_SIZE` entries at a time through the page's reader."""

    COLUMNS = ("Card", "On the gateway", "Change waiting", "Problem")

    def __init__(self, reader: PageReader, parent: Any = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.text = ""
        self.entries: list[Any] = []
        self._exhausted = False

    def set_text(self, text: str) -> None:
        self.beginResetModel()
        self.text = text
        self.entries = []
        self._exhausted = False
        self.endResetModel()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted:
            return
        store = self.reader.store()
        if store is None:
            self._exhausted = True
            return
        page = store.blocklist_entries(text=self.text, offset=len(self.entries), limit=PAGE_SIZE)
        if len(page) < PAGE_SIZE:
            self._exhausted = True
        if not page:
            return
        first = len(self.entries)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self.entries.extend(page)
        self.endInsertRows()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.COLUMNS[section])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(entry, column)
        if role == Qt.ItemDataRole.BackgroundRole:
            if entry.failed_reason:
                return QBrush(QColor("#fde7e9"))
            if entry.pending:
                return QBrush(QColor("#fff4e0"))
        if role == Qt.ItemDataRole.FontRole and entry.pending and column == 2:
            font = QFont()
            font.setBold(True)
            return font
        return None

    @staticmethod
    def cell_text(entry: Any, column: int) -> str:
        if column == 0:
            return str(entry.masked)
        if column == 1:
            return tr("Yes") if entry.on_gateway else tr("No")
        if column == 2:
            return tr(PENDING_WORDS[entry.pending]) if entry.pending else ""
        return str(entry.failed_reason or "")


def split_numbers(text: str) -> list[str]:
    """Card numbers typed one after another, separated by commas, semicolons or new lines."""
    return [part.replace(" ", "") for part in re.split(r"[,;\n]+", text) if part.strip()]


class BlocklistPage(ManagerPage):
    changed = Signal()

    def __init__(
        self,
        app: Any,
        runner: TaskRunner,
        gate: ManagerGate,
        prompts: Prompts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(tr("Card block list"), app, runner, gate, prompts, parent)
        self.model = BlocklistModel(PageReader(app), self)
        self._counts_asked = 0  # the latest count; older answers are dropped
        self.mode_label = label("list_mode", wrap=True)
        self.outer.addWidget(self.mode_label)
        self.counts_label = label("list_counts", style=HINT_STYLE)
        self.outer.addWidget(self.counts_label)
        self.add_banner("list_banner")
        self.outer.addWidget(self._build_changes())
        self.outer.addLayout(self._build_search())
        self.table = QTableView()
        self.table.setModel(self.model)
        list_table(self.table, "list_table", (170, 120, 220))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.remove_selected_action = QAction(tr("Remove the selected cards"), self.table)
        self.remove_selected_action.setObjectName("list_remove_selected")
        self.remove_selected_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove_selected_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.table.addAction(self.remove_selected_action)
        self.outer.addWidget(self.table, 1)
        self.outer.addWidget(
            hint(tr("Select rows and press Delete, or right-click them, to remove those cards."))
        )
        self._connect()
        self.reload()

    def _build_changes(self) -> QGroupBox:
        box, change = group(tr("Add or remove cards"), QVBoxLayout)
        self.numbers = line_edit(
            "list_numbers", placeholder=tr("Full card number(s), separated by commas")
        )
        self.add_button = button(tr("Add to list"), "list_add")
        self.remove_button = button(tr("Remove from list"), "list_remove")
        row = QHBoxLayout()
        row.addWidget(self.numbers, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        change.addLayout(row)
        self.numbers_error = ErrorLabel()
        self.numbers_error.setObjectName("list_numbers_error")
        change.addWidget(self.numbers_error)
        self.import_button = button(tr("Import CSV…"), "list_import")
        self.import_removes = QCheckBox(tr("The file lists cards to remove"))
        self.import_removes.setObjectName("list_import_removes")
        self.export_button = button(tr("Export report (masked)…"), "list_export")
        files = QHBoxLayout()
        files.addWidget(self.import_button)
        files.addWidget(self.import_removes)
        files.addStretch(1)
        files.addWidget(self.export_button)
        change.addLayout(files)
        return box

    def _build_search(self) -> QHBoxLayout:
        self.search = line_edit("list_search", placeholder=tr("Search by first 6 or last 4 digits"))
        self.search.setClearButtonEnabled(True)
        search_row = QHBoxLayout()
        search_row.addWidget(QLabel(tr("Search")))
        search_row.addWidget(self.search, 1)
        return search_row

    def _connect(self) -> None:
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(300)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(self._search_timer.start)
        self.add_button.clicked.connect(self.add_numbers)
        self.numbers.returnPressed.connect(self.add_numbers)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.remove_selected_action.triggered.connect(self.remove_selected)
        self.remove_button.clicked.connect(self.remove_numbers)
        self.import_button.clicked.connect(self.import_file)
        self.export_button.clicked.connect(self.export_file)

    def reload(self) -> None:
        """Show the list again; its counts are read in a worker (the writer may be committing)."""
        mode = self.app.config.list_mode
        self.mode_label.setText(tr(MODE_WORDS.get(mode, mode)))
        self._counts_asked += 1
        asked, app = self._counts_asked, self.app
        self.runner.submit(
            app.card_list_counts,
            lambda counts: self._counted(asked, counts),
            lambda exc: self.banner.show_message(plain_error(exc), "error"),
        )
        self.model.set_text(self.search.text().strip())
        self.model.fetchMore(QModelIndex())

    def _counted(self, asked: int, counts: dict[str, int]) -> None:
        if asked != self._counts_asked:
            return  # a later reload asked again
        self.counts_label.setText(
            tr(
                "{cards} card(s) on the list; {pending} change(s) waiting to be sent; "
                "{failed} refused"
            ).format(**counts)
        )

    def _change(self, add: bool) -> None:
        self.numbers_error.show_error(None)
        numbers = split_numbers(self.numbers.text())
        if not numbers:
            self.numbers_error.show_error(tr("Type at least one card number."))
            return
        what = tr("add {n} card(s) to the list") if add else tr("remove {n} card(s) from the list")
        if not self.gate.require(self, what.format(n=len(numbers))):
            self.banner.show_message(tr("Not done: the manager PIN was not given."), "warning")
            return
        try:
            changed = self.app.blocklist_add(numbers) if add else self.app.blocklist_del(numbers)
        except Exception as exc:
            self.numbers_error.show_error(plain_error(exc))
            return
        self.numbers.setText("")
        self.banner.show_message(
            tr("{n} card(s) changed; the gateway gets the change at the next sync.").format(
                n=changed
            ),
            "success",
        )
        self.reload()
        self.changed.emit()

    def selected_entries(self) -> list[Any]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.entries[row] for row in rows if row < len(self.model.entries)]

    def _context_menu(self, position: Any) -> None:
        if not self.selected_entries():
            return
        menu = QMenu(self.table)
        menu.addAction(self.remove_selected_action)
        menu.popup(self.table.viewport().mapToGlobal(position))
        self.context_menu = menu  # kept for tests

    def remove_selected(self) -> None:
        """Remove the selected rows' cards (asks for the manager PIN)."""
        entries = self.selected_entries()
        if not entries:
            return
        what = tr("remove {n} card(s) from the list").format(n=len(entries))
        if not self.gate.require(self, what):
            self.banner.show_message(tr("Not done: the manager PIN was not given."), "warning")
            return
        try:
            changed = self.app.blocklist_remove_entries(entries)
        except Exception as exc:
            self.banner.show_message(plain_error(exc), "error")
            return
        self.banner.show_message(
            tr("{n} card(s) changed; the gateway gets the change at the next sync.").format(
                n=changed
            ),
            "success",
        )
        self.reload()
        self.changed.emit()

    def add_numbers(self) -> None:
        self._change(True)

    def remove_numbers(self) -> None:
        self._change(False)

    def import_file(self) -> None:
        delete = self.import_removes.isChecked()
        action = (
            tr("import cards to remove from a file") if delete else tr("import cards from a file")
        )
        if not self.gate.require(self, action):
            self.banner.show_message(tr("Not done: the manager PIN was not given."), "warning")
            return
        path = self.prompts.open_file(
            self, tr("Import card numbers"), tr("CSV or text files (*.csv *.txt)")
        )
        if path is None:
            return
        self.import_button.setEnabled(False)
        self.banner.show_message(tr("Importing {name}…").format(name=path.name), "info")
        app = self.app
        self.runner.submit(
            lambda: app.blocklist_import(path, delete=delete), self._imported, self._import_failed
        )

    def _imported(self, changed: int) -> None:
        self.import_button.setEnabled(True)
        self.banner.show_message(
            tr("{n} card(s) changed; the gateway gets the change at the next sync.").format(
                n=changed
            ),
            "success",
        )
        self.reload()
        self.changed.emit()

    def _import_failed(self, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        text = plain_error(exc)
        problems = list(getattr(exc, "problems", []))
        if problems:
            text += "\n" + "\n".join(problems[:5])
            if len(problems) > 5:
                text += "\n" + tr("…and {n} more.").format(n=len(problems) - 5)
        self.banner.show_message(text, "error")

    def export_file(self) -> None:
        path = self.prompts.save_file(
            self, tr("Export the card list"), "card-list.csv", tr("CSV files (*.csv)")
        )
        if path is None:
            return
        app = self.app
        self.runner.submit(
            # The save dialog already asked before replacing a file; files of the home are
            # refused all the same.
            lambda: app.blocklist_export(Path(path), force=True),
            lambda n: self.banner.show_message(
                tr("Wrote {n} masked card number(s) to {name}.").format(n=n, name=path.name),
                "success",
            ),
            lambda exc: self.banner.show_message(plain_error(exc), "error"),
        )
