"""Transactions: the whole queue in one windowed list, with a detail panel and manager actions."""

from __future__ import annotations

from collections import OrderedDict
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
from PySide6.QtGui import QBrush, QColor, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.i18n import tr
from edge_app.ui.page import (
    HINT_STYLE,
    ManagerPage,
    PageReader,
    button,
    combo,
    fitting_widths,
    group,
    label,
    line_edit,
    list_table,
)
from edge_app.ui.present import (
    STATE_COLOURS,
    audit_detail,
    captured_time,
    gateway_answer,
    kind_words,
    local_time,
    money,
    problem_words,
    record_state_words,
    state_words,
)
from edge_app.ui.widgets import ManagerGate, Prompts
from edge_app.ui.workers import TaskRunner, plain_error

PAGE_SIZE = 200
MAX_PAGES = 30  # pages of PAGE_SIZE records held at most (6,000 records)
STATE_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("All states", ()),
    ("Not sent yet", ("queued", "uploading", "pending")),
    ("Waiting to send", ("queued",)),
    ("Waiting for the gateway's answer", ("pending",)),
    ("Held for a manager", ("held",)),
    ("Accepted", ("uploaded",)),
    ("Declined or failed", ("failed",)),
    ("Cancelled", ("cancelled",)),
)
DETAIL_WORDS = {
    "kind": "Type",
    "state": "State",
    "amount": "Amount",
    "refunded": "Refunded",
    "remaining": "Left to refund",
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
    """The queue, newest first: every matching record is a row, read a page at a time.

    `rowCount()` is the filtered total (counted once per `reload()`), so the scroll bar covers
    the whole list and the oldest record is one scroll away. `data()` reads rows from a small
    cache of pages (`page_size` records each, at most `max_pages`, least recently used dropped)
    and reads a missing page on the spot: the model has its own read-only connection, which
    never waits for the sync's writer, and a page is found by key from the nearest page already
    held, or from the nearer end of the list, so its cost does not grow with its depth.
    """

    # the gateway's sentence about a record is the State's tooltip and in the details: as a
    # column it would be cut on every screen a back office has
    COLUMNS = ("Captured", "Type", "State", "Amount", "Card", "Reference (BRN)")

    def __init__(
        self,
        reader: PageReader,
        page_size: int = PAGE_SIZE,
        parent: Any = None,
        *,
        max_pages: int = MAX_PAGES,
    ) -> None:
        super().__init__(parent)
        from storage.repository import TxFilter

        self.reader = reader
        self.page_size = page_size
        self.max_pages = max(2, max_pages)  # a screen can straddle two pages
        self.filter: Any = TxFilter()
        self.total = 0
        self.loaded = False  # counted at least once
        self.page_reads = 0  # how many pages were read (for tests and benches)
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()

    # -- loading ------------------------------------------------------------------------------

    def set_filter(self, flt: Any) -> None:
        self.filter = flt
        self.reload()

    def reload(self) -> None:
        """Count the matching records again and forget every page (after any change)."""
        self.beginResetModel()
        self._pages.clear()
        store = self.reader.store()
        self.total = store.count_transactions(self.filter) if store is not None else 0
        self.loaded = True
        self.endResetModel()

    @property
    def cached_pages(self) -> int:
        return len(self._pages)

    def record(self, row: int) -> Any:
        if not 0 <= row < self.total:
            return None
        records = self._page(row // self.page_size)
        offset = row % self.page_size
        return records[offset] if offset < len(records) else None

    def position_of(self, record_id: int) -> int:
        """The row the record with this id has, or would have, under the current filter."""
        store = self.reader.store()
        if store is None:
            return 0
        return int(store.count_transactions(self.filter, newer_than=record_id))

    def row_of(self, uuid: str) -> int:
        """The row of the record with this uuid, or -1 when the current filter hides it."""
        for page, records in self._pages.items():
            for offset, record in enumerate(records):
                if record.uuid == uuid:
                    return page * self.page_size + offset
        store = self.reader.store()
        found = store.get(uuid) if store is not None else None
        if found is None:
            return -1
        row = self.position_of(found.id)
        held = self.record(row)
        return row if held is not None and held.uuid == uuid else -1

    def _page_span(self, page: int) -> tuple[int, int]:
        start = page * self.page_size
        return start, min(start + self.page_size, self.total)

    def _page(self, page: int) -> list[Any]:
        records = self._pages.get(page)
        if records is not None:
            self._pages.move_to_end(page)
            return records
        records = self._read_page(page)
        self._pages[page] = records
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        return records

    def _read_page(self, page: int) -> list[Any]:
        """Read one page, skipping as few records as possible: from the newest record, from the
        oldest, or from the edge of a page already held (by id, which stays exact with filters).
        """
        start, end = self._page_span(page)
        store = self.reader.store()
        if end <= start or store is None:
            return []
        # (records to skip, arguments of list_transactions)
        best: tuple[int, dict[str, Any]] = (start, {"offset": start})
        if self.total - end < best[0]:
            best = (self.total - end, {"offset": self.total - end, "oldest_first": True})
        for held, records in self._pages.items():
            held_start, held_end = self._page_span(held)
            if len(records) != held_end - held_start or not records:
                continue  # the data changed under it: not a reliable key
            if held < page:
                skip = start - held_end
                args = {"offset": skip, "older_than": records[-1].id}
            else:
                skip = held_start - end
                args = {"offset": skip, "newer_than": records[0].id, "oldest_first": True}
            if skip < best[0]:
                best = (skip, args)
        self.page_reads += 1
        return list(store.list_transactions(self.filter, limit=end - start, **best[1]))

    # -- the table ----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.COLUMNS[section])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.record(index.row())
        if record is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(record, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            colour = STATE_COLOURS.get(record.state.value)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and record.kind.value == "refund":
            return QBrush(QColor(REFUND_COLOUR))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2 and record.error_desc:
            return problem_words(record)
        return None

    @staticmethod
    def cell_text(record: Any, column: int) -> str:
        if column == 0:
            return captured_time(record)
        if column == 1:
            return kind_words(record.kind.value)
        if column == 2:
            return record_state_words(record)
        if column == 3:
            return signed_money(record)
        if column == 4:
            return record.masked_card or ""
        if column == 5:
            return record.brn or ""
        return ""


TABLE_CHROME = 24  # the table's frame and its vertical scroll bar
DETAIL_WIDTH = 400  # the narrowest the details beside the list can be
PAGE_MARGIN = 24


class TransactionsPage(ManagerPage):
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
        super().__init__(tr("Transactions"), app, runner, gate, prompts, parent)
        self.model = TransactionsModel(PageReader(app), parent=self)
        self._arranged = False
        self.add_banner("tx_banner")
        self.outer.addLayout(self._build_filters())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_list())
        self.splitter.addWidget(self._build_details())
        self.outer.addWidget(self.splitter, 1)
        self._arrange(self.width())
        self._connect()
        self._all: int | None = None  # every record, when a filter hides some (counted aside)
        self._details_asked = 0  # the latest detail read; older answers are dropped
        self.apply_filter()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def _arrange(self, width: int) -> None:
        """Details beside the list where both fit; on a narrower screen, below it, with the
        details' boxes side by side, so that no column of the list is cut."""
        table = self._table_width
        narrow = width < table + DETAIL_WIDTH + 2 * PAGE_MARGIN
        orientation = Qt.Orientation.Vertical if narrow else Qt.Orientation.Horizontal
        if self.splitter.orientation() == orientation and self._arranged:
            return
        self._arranged = True
        self.splitter.setOrientation(orientation)
        self.detail_boxes.setDirection(
            QBoxLayout.Direction.LeftToRight if narrow else QBoxLayout.Direction.TopToBottom
        )
        if narrow:
            self.splitter.setSizes([2, 3])
        else:
            self.splitter.setSizes([table, max(DETAIL_WIDTH, width - table)])

    def _build_filters(self) -> QVBoxLayout:
        self.state_filter = combo("state_filter", ((tr(t), s) for t, s in STATE_FILTERS))
        self.use_dates = QCheckBox(tr("Captured from"))
        self.use_dates.setObjectName("use_dates")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.search = line_edit(
            "tx_search", placeholder=tr("Search: reference, last 4 digits, amount")
        )
        self.search.setClearButtonEnabled(True)
        self.refresh_button = button(tr("Refresh"))
        search_row = QHBoxLayout()
        search_row.setSpacing(8)
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.refresh_button)
        filters = QHBoxLayout()
        filters.setSpacing(8)
        filters.addWidget(QLabel(tr("Show")))
        filters.addWidget(self.state_filter)
        filters.addSpacing(12)
        filters.addWidget(self.use_dates)
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel(tr("to")))
        filters.addWidget(self.date_to)
        filters.addStretch(1)
        rows = QVBoxLayout()
        rows.setSpacing(6)
        rows.addLayout(search_row)
        rows.addLayout(filters)
        return rows

    def _build_list(self) -> QWidget:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableView()
        self.table.setModel(self.model)
        widths = column_widths(self.table)
        list_table(self.table, "tx_table", widths)
        self._table_width = sum(widths) + TABLE_CHROME
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(26)
        left_layout.addWidget(self.table)
        self.count_label = label("tx_count", style=HINT_STYLE)
        left_layout.addWidget(self.count_label)
        return left

    def _build_details(self) -> QWidget:
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(8, 0, 0, 0)
        self.detail_boxes = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.detail_boxes.addWidget(self._build_detail_form())
        answer_and_trail = QWidget()
        answer_and_trail_layout = QVBoxLayout(answer_and_trail)
        answer_and_trail_layout.setContentsMargins(0, 0, 0, 0)
        self.detail_boxes.addWidget(answer_and_trail, 1)
        # below the list on a small screen the details may be taller than their share: scroll
        boxes = QWidget()
        boxes.setLayout(self.detail_boxes)
        self.detail_scroll = QScrollArea()
        self.detail_scroll.setObjectName("detail_scroll")
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.detail_scroll.setWidget(boxes)
        detail_layout.addWidget(self.detail_scroll, 1)
        answer_box, answer_layout = group(tr("Gateway answer"), QVBoxLayout)
        self.answer = QLabel(tr("Select a transaction to see its details."))
        self.answer.setObjectName("detail_answer")
        self.answer.setWordWrap(True)
        self.answer.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.answer.setMinimumHeight(self.answer.fontMetrics().lineSpacing() * 3 + 6)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        answer_layout.addWidget(self.answer)
        answer_and_trail_layout.addWidget(answer_box)
        trail_box, trail_layout = group(tr("History (audit trail)"), QVBoxLayout)
        self.trail = QTreeWidget()
        self.trail.setObjectName("audit_trail")
        self.trail.setRootIsDecorated(False)
        # two columns, the time of day (the date in its tooltip) and the detail under what
        # happened: the trail is narrow when the details sit below the list
        self.trail.setHeaderLabels([tr("When"), tr("What")])
        self.trail.setUniformRowHeights(False)
        self.trail.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.trail.setMinimumHeight(self.trail.fontMetrics().lineSpacing() * 8)
        trail_layout.addWidget(self.trail)
        answer_and_trail_layout.addWidget(trail_box, 1)
        detail_layout.addLayout(self._build_actions())
        return detail

    def _build_detail_form(self) -> QGroupBox:
        box, form = group(tr("Details"), QFormLayout)
        self.detail: dict[str, QLabel | QLineEdit] = {}
        for key, text in DETAIL_WORDS.items():
            value: QLabel | QLineEdit
            if key == "uuid":  # long: a frameless read-only line that copies in full
                value = QLineEdit()
                value.setReadOnly(True)
                value.setFrame(False)
                value.setStyleSheet("background: transparent; min-height: 0; padding: 0;")
                font = value.font()
                font.setPointSizeF(font.pointSizeF() * 0.9)
                value.setFont(font)
                value.setMinimumWidth(value.fontMetrics().horizontalAdvance("0" * 37))
            else:
                value = QLabel()
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(f"detail_{key}")
            form.addRow(tr(text), value)
            self.detail[key] = value
        self.detail_form = form
        return box

    def _build_actions(self) -> QHBoxLayout:
        self.void_button = button(tr("Void…"), "void")
        self.refund_button = button(tr("Refund…"), "refund")
        self.retry_button = button(tr("Retry"), "retry")
        self.give_up_button = button(tr("Give up…"), "give_up")
        self.seen_button = button(tr("Mark as seen"), "mark_seen")
        self.seen_button.setToolTip(
            tr("A manager has seen this failed record: it stops needing attention.")
        )
        actions = QHBoxLayout()
        for action in self._action_buttons():
            action.setEnabled(False)
            actions.addWidget(action)
        return actions

    def _action_buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.void_button,
            self.refund_button,
            self.retry_button,
            self.give_up_button,
            self.seen_button,
        )

    def _connect(self) -> None:
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
        self.give_up_button.clicked.connect(self.give_up_selected)
        self.seen_button.clicked.connect(self.mark_seen_selected)
        self.model.modelReset.connect(self._selection_changed)

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
        """Show what the filter fields ask for; the same filter again reloads in place."""
        from storage.repository import TxFilter

        flt = self.current_filter()
        if self.model.loaded and flt == self.model.filter:
            self._reload_in_place()
        else:
            self.model.set_filter(flt)
            self.table.scrollToTop()
        self._all = None
        self._update_count()
        if flt != TxFilter():
            app = self.app
            self.runner.submit(lambda: (flt, app.transaction_count()), self._counted)

    def _reload_in_place(self) -> None:
        """Re-read the list after a change, keeping the view on the records it showed.

        At the top it stays at the top (new captures appear there); further down, the record
        that was the first one on screen (or the one just older, if it no longer matches the
        filter) is brought back to the top of the view. The selected record stays selected
        while the filter still shows it, without moving the view to it.
        """
        selected = self.selected()
        top = self.table.rowAt(0)
        anchor = self.model.record(top) if top > 0 else None
        self.model.reload()
        if anchor is not None and self.model.total > 0:
            row = min(self.model.position_of(anchor.id), self.model.total - 1)
            self.table.doItemsLayout()  # the scroll range must know the new row count first
            self.table.scrollTo(
                self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop
            )
        if selected is not None:
            self.select_uuid(selected.uuid, scroll=False)

    def refresh(self) -> None:
        """Reload after a change, keeping the selected record selected when it is still shown."""
        selected = self.selected()
        self.apply_filter()
        if selected is not None and self.selected() is None:
            self.select_uuid(selected.uuid)  # the filter changed: find it in the new list

    def _counted(self, result: tuple[Any, int]) -> None:
        flt, every = result
        if flt == self.model.filter:
            self._all = every
            self._update_count()

    def _update_count(self, *_: Any) -> None:
        shown = self.model.rowCount()
        if self._all is None:
            self.count_label.setText(tr("Showing {n}").format(n=f"{shown:,}"))
        else:
            self.count_label.setText(
                tr("Showing {n} of {total}").format(n=f"{shown:,}", total=f"{self._all:,}")
            )

    # -- selection and details ----------------------------------------------------------------

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def select_uuid(self, uuid: str, *, scroll: bool = True) -> bool:
        """Select the record with this uuid (scrolled into view) when the filter shows it."""
        row = self.model.row_of(uuid)
        if row < 0:
            return False
        auto = self.table.hasAutoScroll()
        self.table.setAutoScroll(scroll and auto)
        try:
            self.table.selectRow(row)
        finally:
            self.table.setAutoScroll(auto)
        return True

    def _selection_changed(self, *_: Any) -> None:
        """Show the selected record as the list holds it, then read it again with its audit
        trail in a worker (the writer may be committing) and show that when it answers."""
        record = self.selected()
        self.trail.clear()
        self._details_asked += 1
        if record is None:
            for value in self.detail.values():
                value.setText("")
            self._show_refunds(record, None)
            self.answer.setText(tr("Select a transaction to see its details."))
            for action in self._action_buttons():
                action.setEnabled(False)
            return
        self._show_record(record)
        asked, app, uuid = self._details_asked, self.app, record.uuid
        self.runner.submit(
            lambda: (app.transaction(uuid), app.audit_trail(uuid), app.sale_status(uuid)),
            lambda found: self._details_read(asked, found),
            lambda exc: self.banner.show_message(plain_error(exc), "error"),
        )

    def _details_read(self, asked: int, found: tuple[Any, list[Any], Any]) -> None:
        if asked != self._details_asked:
            return  # another record was selected (or the list reloaded) meanwhile
        record, trail, status = found
        if record is not None:
            self._show_record(record, status)
        self._show_trail(trail)

    def _show_refunds(self, record: Any, status: Any) -> None:
        """A sale's refunded and remaining amounts (rows hidden for other records, and for a
        sale that failed or was cancelled: its money was never collected)."""
        shown = (
            status is not None
            and record.kind.value == "sale"
            and record.state.value not in ("failed", "cancelled")
        )
        for key in ("refunded", "remaining"):
            self.detail_form.setRowVisible(self.detail[key], shown)
        if shown:
            left = status.amount - status.refunded_total
            self.detail["refunded"].setText(money(status.refunded_total, status.currency))
            self.detail["remaining"].setText(
                tr("nothing (voided)") if status.voided else money(left, status.currency)
            )

    def _show_record(self, record: Any, status: Any = None) -> None:
        d = self.detail
        self._show_refunds(record, status)
        d["kind"].setText(kind_words(record.kind.value))
        d["state"].setText(record_state_words(record))
        d["amount"].setText(signed_money(record))
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
        sale = record.kind.value == "sale"
        state = record.state.value
        self.void_button.setEnabled(sale and state not in ("failed", "cancelled"))
        self.refund_button.setEnabled(sale and state not in ("failed", "cancelled"))
        # a failed sale's card data was erased with its final answer: only a held one can go
        self.retry_button.setEnabled(state == "held" or (state == "failed" and not sale))
        self.give_up_button.setEnabled(state == "held")
        self.seen_button.setEnabled(state == "failed" and record.seen_ts is None)

    def _show_trail(self, trail: list[Any]) -> None:
        self.trail.clear()
        for at_ts, event, from_state, to_state, detail in trail:
            what = event
            if to_state:
                what = (f"{state_words(from_state)} → " if from_state else "") + state_words(
                    to_state
                )
            text = what + (f"\n{audit_detail(detail)}" if detail else "")
            item = QTreeWidgetItem(self.trail, [local_time(at_ts, "%H:%M:%S"), text])
            item.setToolTip(0, local_time(at_ts, "%Y-%m-%d %H:%M:%S"))
            item.setToolTip(1, text)
        self.trail.setColumnWidth(0, self.trail.fontMetrics().horizontalAdvance("00:00:00") + 12)

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

            status = self.app.sale_status(rec.uuid)
            left = (status.amount - status.refunded_total) if status is not None else rec.amount
            if not self.prompts.ask(
                self,
                tr("Refund"),
                tr("How much to refund of {amount}? Left to refund: {left}.").format(
                    amount=money(rec.amount, rec.currency), left=money(left, rec.currency)
                ),
                tr("Refund amount"),
                check,
                text=plain_amount(left, rec.currency),
            ):
                return ""
            return tr("Refund queued; it is sent at the next sync.")

        self._act(what, work)

    def retry_selected(self) -> None:
        self._change_selected(
            tr("send a failed transaction again"),
            self.app.retry_failed,
            tr("It will be sent again at the next sync."),
        )

    def give_up_selected(self) -> None:
        self._change_selected(
            tr("give up a held transaction for good (its card data is erased)"),
            self.app.give_up_held,
            tr("Given up: it will not be sent, and its card data was erased."),
        )

    def mark_seen_selected(self) -> None:
        self._change_selected(
            tr("mark a failed transaction as seen"),
            lambda uuid: self.app.mark_seen([uuid], by="manager"),
            tr("Marked as seen: it no longer needs attention."),
        )

    def open_record(self, uuid: str) -> bool:
        """Show one record, every filter cleared (from the status bar's "needs a manager")."""
        for widget in (self.search, self.state_filter, self.use_dates):
            widget.blockSignals(True)
        try:
            self.search.clear()
            self.state_filter.setCurrentIndex(0)
            self.use_dates.setChecked(False)
            self.date_from.setEnabled(False)
            self.date_to.setEnabled(False)
        finally:
            for widget in (self.search, self.state_filter, self.use_dates):
                widget.blockSignals(False)
        self.apply_filter()
        return self.select_uuid(uuid)

    def _change_selected(self, action: str, change: Callable[[str], Any], done: str) -> None:
        """A manager action on the selected record's uuid that needs no further question."""

        def work(rec: Any) -> str:
            change(rec.uuid)
            return done

        self._act(action, work)


REFUND_COLOUR = "#8a1020"


def signed_money(record: Any) -> str:
    """A record's amount; a refund's as money going back, signed as the status bar signs it
    ("−HKD 30.00")."""
    text = money(record.amount, record.currency)
    return f"−{text}" if text and record.kind.value == "refund" else text


def plain_amount(amount: Any, currency: str | None) -> str:
    text = money(amount, currency)
    return text.partition(" ")[2] if currency else text


def column_widths(table: QTableView) -> tuple[int, ...]:
    """Widths that fit the longest text each column can hold, in the current language."""
    from edge_app.ui.present import KIND_WORDS, STATE_WORDS

    return fitting_widths(
        table,
        (
            ["2026-12-31 23:59"],
            [tr(w) for w in KIND_WORDS.values()],
            [tr(w) for w in STATE_WORDS.values()],
            ["−HKD 999999.00"],
            ["451461******4854"],
            ["9179620669700000001"],
        ),
    )


def _day_start(day: QDate) -> float:
    return datetime(day.year(), day.month(), day.day()).timestamp()
