"""Transactions: the queue, fetched page by page, with a detail panel and manager actions."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.i18n import tr
from edge_app.ui.present import (
    STATE_COLOURS,
    captured_time,
    gateway_answer,
    kind_words,
    local_time,
    money,
    state_words,
)
from edge_app.ui.widgets import Banner, ManagerGate, Prompts, heading
from edge_app.ui.workers import TaskRunner, plain_error

PAGE_SIZE = 200
STATE_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("All states", ()),
    ("Not sent yet", ("queued", "uploading", "pending")),
    ("Waiting to send", ("queued",)),
    ("Waiting for the gateway's answer", ("pending",)),
    ("Accepted", ("uploaded",)),
    ("Failed", ("failed",)),
    ("Cancelled", ("cancelled",)),
)
DETAIL_WORDS = {
    "kind": "Type",
    "state": "State",
    "amount": "Amount",
    "tips": "Tips",
    "card": "Card",
    "auth_code": "Approval code",
    "captured": "Captured",
    "original": "Original sale",
    "brn": "Reference (BRN)",
    "uuid": "Transaction id",
    "attempts": "Tries",
}
AnyIndex = QModelIndex | QPersistentModelIndex


class TransactionsModel(QAbstractTableModel):
    """The queue, newest first, loaded `page_size` rows at a time as the view scrolls."""

    COLUMNS = ("Captured", "Type", "State", "Amount", "Card", "Reference (BRN)", "Note")

    def __init__(self, store: Any, page_size: int = PAGE_SIZE, parent: Any = None) -> None:
        super().__init__(parent)
        from storage.repository import TxFilter

        self.store = store
        self.page_size = page_size
        self.filter: Any = TxFilter()
        self.records: list[Any] = []
        self._exhausted = False

    # -- loading ------------------------------------------------------------------------------

    def set_filter(self, flt: Any) -> None:
        self.filter = flt
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self.records = []
        self._exhausted = False
        self.endResetModel()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted:
            return
        page = self.store.list_transactions(
            self.filter, offset=len(self.records), limit=self.page_size
        )
        if len(page) < self.page_size:
            self._exhausted = True
        if self.records:
            # Newer records shift the offsets; ids only go down, so drop anything already shown.
            last_id = self.records[-1].id
            page = [r for r in page if r.id < last_id]
        if not page:
            return
        first = len(self.records)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self.records.extend(page)
        self.endInsertRows()

    # -- the table ----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.COLUMNS[section])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.records):
            return None
        record = self.records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(record, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            colour = STATE_COLOURS.get(record.state.value)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 6 and record.error_desc:
            return record.error_desc
        return None

    @staticmethod
    def cell_text(record: Any, column: int) -> str:
        if column == 0:
            return captured_time(record)
        if column == 1:
            return kind_words(record.kind.value)
        if column == 2:
            return state_words(record.state.value)
        if column == 3:
            return money(record.amount, record.currency)
        if column == 4:
            return record.masked_card or ""
        if column == 5:
            return record.brn or ""
        if column == 6:
            return record.error_desc or ""
        return ""

    def record(self, row: int) -> Any:
        return self.records[row] if 0 <= row < len(self.records) else None

    def row_of(self, uuid: str) -> int:
        for row, record in enumerate(self.records):
            if record.uuid == uuid:
                return row
        return -1


class TransactionsPage(QWidget):
    """Filter, browse and act on the queue. Emits `changed` after an action stores something."""

    changed = Signal()

    def __init__(
        self,
        app: Any,
        runner: TaskRunner,
        gate: ManagerGate,
        prompts: Prompts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.app = app
        self.runner = runner
        self.gate = gate
        self.prompts = prompts
        self.model = TransactionsModel(app.store, parent=self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.setSpacing(10)
        outer.addWidget(heading(tr("Transactions")))
        self.banner = Banner()
        self.banner.setObjectName("tx_banner")
        outer.addWidget(self.banner)

        filters = QHBoxLayout()
        filters.setSpacing(8)
        self.state_filter = QComboBox()
        self.state_filter.setObjectName("state_filter")
        for label, states in STATE_FILTERS:
            self.state_filter.addItem(tr(label), states)
        self.use_dates = QCheckBox(tr("Captured from"))
        self.use_dates.setObjectName("use_dates")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.search = QLineEdit()
        self.search.setObjectName("tx_search")
        self.search.setPlaceholderText(tr("Search: reference, last 4 digits, amount"))
        self.search.setClearButtonEnabled(True)
        self.refresh_button = QPushButton(tr("Refresh"))
        filters.addWidget(QLabel(tr("Show")))
        filters.addWidget(self.state_filter)
        filters.addSpacing(12)
        filters.addWidget(self.use_dates)
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel(tr("to")))
        filters.addWidget(self.date_to)
        filters.addSpacing(12)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.refresh_button)
        outer.addLayout(filters)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableView()
        self.table.setObjectName("tx_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((118, 52, 112, 92, 128, 100)):
            self.table.setColumnWidth(column, width)
        left_layout.addWidget(self.table)
        self.count_label = QLabel()
        self.count_label.setObjectName("tx_count")
        self.count_label.setStyleSheet("color: #5f6368;")
        left_layout.addWidget(self.count_label)
        splitter.addWidget(left)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(8, 0, 0, 0)
        box = QGroupBox(tr("Details"))
        form = QFormLayout(box)
        self.detail: dict[str, QLabel | QLineEdit] = {}
        for key, label in DETAIL_WORDS.items():
            value: QLabel | QLineEdit
            if key == "uuid":  # long: a frameless read-only line scrolls and copies in full
                value = QLineEdit()
                value.setReadOnly(True)
                value.setFrame(False)
                value.setStyleSheet("background: transparent; min-height: 0; padding: 0;")
            else:
                value = QLabel()
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(f"detail_{key}")
            form.addRow(tr(label), value)
            self.detail[key] = value
        detail_layout.addWidget(box)
        answer_box = QGroupBox(tr("Gateway answer"))
        answer_layout = QVBoxLayout(answer_box)
        self.answer = QLabel(tr("Select a transaction to see its details."))
        self.answer.setObjectName("detail_answer")
        self.answer.setWordWrap(True)
        self.answer.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.answer.setMinimumHeight(self.answer.fontMetrics().lineSpacing() * 3 + 6)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        answer_layout.addWidget(self.answer)
        detail_layout.addWidget(answer_box)
        trail_box = QGroupBox(tr("History (audit trail)"))
        trail_layout = QVBoxLayout(trail_box)
        self.trail = QTreeWidget()
        self.trail.setObjectName("audit_trail")
        self.trail.setRootIsDecorated(False)
        self.trail.setHeaderLabels([tr("When"), tr("What"), tr("Detail")])
        self.trail.setColumnWidth(0, 112)
        self.trail.setColumnWidth(1, 170)
        trail_layout.addWidget(self.trail)
        detail_layout.addWidget(trail_box, 1)
        actions = QHBoxLayout()
        self.void_button = QPushButton(tr("Void…"))
        self.void_button.setObjectName("void")
        self.refund_button = QPushButton(tr("Refund…"))
        self.refund_button.setObjectName("refund")
        self.retry_button = QPushButton(tr("Retry"))
        self.retry_button.setObjectName("retry")
        for button in (self.void_button, self.refund_button, self.retry_button):
            button.setEnabled(False)
            actions.addWidget(button)
        detail_layout.addLayout(actions)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([560, 420])
        outer.addWidget(splitter, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(300)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.state_filter.currentIndexChanged.connect(self.apply_filter)
        self.use_dates.toggled.connect(self._dates_toggled)
        self.date_from.dateChanged.connect(self.apply_filter)
        self.date_to.dateChanged.connect(self.apply_filter)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.void_button.clicked.connect(self.void_selected)
        self.refund_button.clicked.connect(self.refund_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        self.model.modelReset.connect(self._selection_changed)
        self.model.rowsInserted.connect(self._update_count)
        self._total: int | None = None
        self.apply_filter()

    # -- filtering ----------------------------------------------------------------------------

    def current_filter(self) -> Any:
        from storage.repository import TxFilter

        since = until = None
        if self.use_dates.isChecked():
            since = _day_start(self.date_from.date())
            until = _day_start(self.date_to.date().addDays(1))
        return TxFilter(
            states=tuple(self.state_filter.currentData() or ()),
            text=self.search.text().strip(),
            since_ts=since,
            until_ts=until,
        )

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.apply_filter()

    def apply_filter(self) -> None:
        flt = self.current_filter()
        self.model.set_filter(flt)
        self.model.fetchMore(QModelIndex())
        self._total = None
        self._update_count()
        store = self.app.store
        self.runner.submit(lambda: (flt, store.count_transactions(flt)), self._counted)

    def refresh(self) -> None:
        """Reload after a change, keeping the selected record selected when it is still shown."""
        selected = self.selected()
        self.apply_filter()
        if selected is not None:
            self.select_uuid(selected.uuid)

    def _counted(self, result: tuple[Any, int]) -> None:
        flt, total = result
        if flt == self.model.filter:
            self._total = total
            self._update_count()

    def _update_count(self, *_: Any) -> None:
        shown = self.model.rowCount()
        if self._total is None:
            self.count_label.setText(tr("Showing {n}").format(n=f"{shown:,}"))
        else:
            self.count_label.setText(
                tr("Showing {n} of {total}").format(n=f"{shown:,}", total=f"{self._total:,}")
            )

    # -- selection and details ----------------------------------------------------------------

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def select_uuid(self, uuid: str) -> bool:
        row = self.model.row_of(uuid)
        if row < 0:
            return False
        self.table.selectRow(row)
        return True

    def _selection_changed(self, *_: Any) -> None:
        record = self.selected()
        self.trail.clear()
        if record is None:
            for label in self.detail.values():
                label.setText("")
            self.answer.setText(tr("Select a transaction to see its details."))
            for button in (self.void_button, self.refund_button, self.retry_button):
                button.setEnabled(False)
            return
        fresh = self.app.store.get(record.uuid) or record
        self._show_record(fresh)

    def _show_record(self, record: Any) -> None:
        d = self.detail
        d["kind"].setText(kind_words(record.kind.value))
        d["state"].setText(state_words(record.state.value))
        d["amount"].setText(money(record.amount, record.currency))
        d["tips"].setText(money(record.tips, record.currency))
        d["card"].setText(record.masked_card or "")
        d["auth_code"].setText(record.auth_code or "")
        d["captured"].setText(captured_time(record))
        d["original"].setText(record.origin_brn or record.origin_uuid or "")
        d["brn"].setText(record.brn or "")
        d["uuid"].setText(record.uuid)
        if isinstance(d["uuid"], QLineEdit):
            d["uuid"].setCursorPosition(0)
        d["attempts"].setText(str(record.attempts))
        self.answer.setText(gateway_answer(record))
        for at_ts, event, from_state, to_state, detail in self.app.store.audit_trail(record.uuid):
            what = event
            if to_state:
                what = (f"{state_words(from_state)} → " if from_state else "") + state_words(
                    to_state
                )
            item = QTreeWidgetItem(
                self.trail, [local_time(at_ts, "%m-%d %H:%M:%S"), what, detail or ""]
            )
            item.setToolTip(1, what)
            item.setToolTip(2, detail or "")
        sale = record.kind.value == "sale"
        state = record.state.value
        self.void_button.setEnabled(sale and state not in ("failed", "cancelled"))
        self.refund_button.setEnabled(sale and state not in ("failed", "cancelled"))
        self.retry_button.setEnabled(state == "failed")

    # -- manager actions ----------------------------------------------------------------------

    def _act(self, action: str, work: Callable[[Any], str]) -> None:
        record = self.selected()
        if record is None:
            return
        if not self.gate.require(self, action):
            self.banner.show_message(tr("Not done: the manager PIN was not given."), "warning")
            return
        try:
            message = work(record)
        except Exception as exc:  # the core refused: show its sentence
            self.banner.show_message(plain_error(exc), "error")
            return
        if message:
            self.banner.show_message(message, "success")
            self.refresh()
            self.changed.emit()

    def void_selected(self) -> None:
        record = self.selected()
        if record is None:
            return
        what = tr("void the sale of {amount} on card {card}").format(
            amount=money(record.amount, record.currency), card=record.masked_card or "-"
        )

        def work(rec: Any) -> str:
            capture = self.app.capture_void(rec.uuid)
            return capture.note or tr("Void queued; it is sent at the next sync.")

        self._act(what, work)

    def refund_selected(self) -> None:
        record = self.selected()
        if record is None:
            return
        what = tr("refund part or all of {amount} on card {card}").format(
            amount=money(record.amount, record.currency), card=record.masked_card or "-"
        )

        def work(rec: Any) -> str:
            done: list[Any] = []

            def check(text: str) -> str | None:
                try:
                    done.append(self.app.capture_refund(rec.uuid, text.strip()))
                except Exception as exc:
                    return plain_error(exc)
                return None

            if not self.prompts.ask(
                self,
                tr("Refund"),
                tr("How much to refund of {amount}?").format(
                    amount=money(rec.amount, rec.currency)
                ),
                tr("Refund amount"),
                check,
            ):
                return ""
            return tr("Refund queued; it is sent at the next sync.")

        self._act(what, work)

    def retry_selected(self) -> None:
        record = self.selected()
        if record is None:
            return

        def work(rec: Any) -> str:
            self.app.retry_failed(rec.uuid)
            return tr("It will be sent again at the next sync.")

        self._act(tr("send a failed transaction again"), work)


def _day_start(day: QDate) -> float:
    return datetime(day.year(), day.month(), day.day()).timestamp()


def now() -> float:
    return time.time()
