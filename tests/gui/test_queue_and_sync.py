"""The big queue is one list read a page at a time; a long sync keeps the window responsive;
status and lock texts."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
import uuid as uuidlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import settle
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView
from sqlcipher3 import dbapi2 as sqlcipher
from support import DECLINED_CARD, TEST_CVV, TEST_KEY, VISA, capture_sales

from edge_app.config import DATABASE_FILE
from edge_app.ui.main_window import has_work, shop_close_due
from edge_app.ui.page import PageReader
from edge_app.ui.transactions_page import PAGE_SIZE, TransactionsModel

ROWS = 100_000


def insert_uploaded_rows(app: Any, count: int) -> None:
    now = time.time()
    rows = [
        (
            str(uuidlib.UUID(int=i + 1)),
            "sale",
            "uploaded",
            "10.00",
            "HKD",
            1000,
            "411111******1111",
            datetime.fromtimestamp(now - count + i).astimezone().isoformat(),
            now - count + i,
            f"BRN{i:08d}",
            now,
        )
        for i in range(count)
    ]
    with app.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO transactions (uuid, kind, state, amount, currency, exposure_minor, "
            "masked_card, captured_at, captured_ts, brn, updated_ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def capture(app: Any, count: int) -> None:
    for _ in range(count):
        app.capture_sale(
            amount="10.00", currency="HKD", card_number=VISA, expiry="2912", cvv=TEST_CVV
        )


class CountingReader(PageReader):
    """The model's reader, noting how many records each page read skips before its page.

    What a read costs is how far it walks: the timings themselves are measured by
    tests/perf/bench.py, not asserted here (they depend on the machine's load).
    """

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.skipped: list[int] = []

    def store(self) -> Any:
        store = super().store()
        if store is None:
            return None
        reader = self

        class Noting:
            def __getattr__(self, name: str) -> Any:
                return getattr(store, name)

            def list_transactions(self, flt: Any, **kwargs: Any) -> Any:
                reader.skipped.append(kwargs.get("offset", 0))
                return store.list_transactions(flt, **kwargs)

        return Noting()


def test_transactions_model_windows_a_100000_record_queue(qtbot: Any, gui_app: Any) -> None:
    insert_uploaded_rows(gui_app, ROWS)
    reader = CountingReader(gui_app)
    model = TransactionsModel(reader)
    model.reload()
    assert model.rowCount() == ROWS  # every record is a row at once: the scroll bar covers all
    assert model.data(model.index(0, 4)) == "411111******1111"
    assert model.data(model.index(0, 5)) == f"BRN{ROWS - 1:08d}"  # newest first
    assert model.page_reads == 1
    assert reader.skipped == [0]

    # The oldest record is the last row, read from the far end without walking the pages in
    # between, and the page before it by key from that one.
    assert model.data(model.index(ROWS - 1, 5)) == "BRN00000000"
    assert model.page_reads == 2
    assert model.data(model.index(ROWS - PAGE_SIZE, 5)) == f"BRN{PAGE_SIZE - 1:08d}"
    assert model.data(model.index(ROWS - PAGE_SIZE - 1, 5)) == f"BRN{PAGE_SIZE:08d}"
    assert reader.skipped == [0, 0, 0]
    # Any row in the middle is exact too, and so are its neighbours read by key from it.
    for row in (ROWS // 2, ROWS // 2 + PAGE_SIZE, ROWS // 2 - 1, 12_345):
        assert model.data(model.index(row, 5)) == f"BRN{ROWS - 1 - row:08d}"
    middle, after, before, deep = reader.skipped[3:]
    assert middle < ROWS // 2  # from the nearer end or page held, never from the far one
    assert (after, before) == (0, 0)
    assert deep < 12_345 - PAGE_SIZE  # from the first page held, not from the newest record
    assert model.data(model.index(ROWS, 5)) is None

    # A view shows it; scrolling to the end shows the oldest record, and only a bounded number
    # of pages is ever held, even after scrolling through everything.
    from PySide6.QtWidgets import QAbstractItemView, QTableView

    view = QTableView()
    qtbot.addWidget(view)
    fresh = TransactionsModel(PageReader(gui_app), max_pages=8)
    fresh.reload()
    view.setModel(fresh)
    view.resize(800, 400)
    view.show()
    qtbot.waitExposed(view)
    view.doItemsLayout()  # the scroll range covers every row before it scrolls
    view.scrollToBottom()
    view.grab()
    last = view.rowAt(view.viewport().height() - 1)
    assert last == ROWS - 1
    assert fresh.record(last).brn == "BRN00000000"
    assert fresh.page_reads <= 3  # the first screen, the last one (and a page it straddles)
    scrollbar = view.verticalScrollBar()
    for step in range(0, scrollbar.maximum() + 1, max(1, scrollbar.maximum() // 200)):
        scrollbar.setValue(step)
        view.grab()
        assert fresh.cached_pages <= 8
    view.scrollTo(fresh.index(ROWS // 3, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    view.grab()
    assert view.rowAt(0) == ROWS // 3
    assert fresh.data(fresh.index(ROWS // 3, 5)) == f"BRN{ROWS - 1 - ROWS // 3:08d}"


def test_transactions_list_reloads_in_place_and_shows_new_captures_on_top(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    insert_uploaded_rows(gui_app, 5_000)
    gui_window.show_page("transactions")
    page = gui_window.transactions_page
    page.refresh()
    model = page.model
    assert model.rowCount() == 5_000
    assert page.count_label.text() == "Showing 5,000"
    page.table.doItemsLayout()  # the view lays out the new rows (as a refresh does)

    # Scrolled down with a record selected: a refresh after new captures keeps both in place.
    page.table.scrollTo(model.index(3_000, 0), page.table.ScrollHint.PositionAtTop)
    assert page.table.rowAt(0) == 3_000
    target = model.record(3_002)
    assert page.select_uuid(target.uuid)
    capture(gui_app, 3)
    page.refresh()
    assert model.rowCount() == 5_003
    assert page.table.rowAt(0) == 3_003  # the same records on screen, three rows further down
    assert page.selected().uuid == target.uuid
    assert page.detail["uuid"].text() == target.uuid
    page.apply_filter()  # what the window does after a change while another screen shows
    assert page.table.rowAt(0) == 3_003
    assert page.selected().uuid == target.uuid

    # At the top, new captures show at the top (the selection, further down, stays selected).
    page.table.scrollToTop()
    capture(gui_app, 2)
    page.refresh()
    assert model.rowCount() == 5_005
    assert page.table.rowAt(0) == 0
    assert model.data(model.index(0, 2)) == "Waiting to send"
    assert model.record(0).id > model.record(1).id > model.record(2).id
    assert page.selected().uuid == target.uuid

    # A record deep down is found by uuid without reading the pages above it.
    oldest = model.record(5_004)
    before = model.page_reads
    page.refresh()
    assert page.select_uuid(oldest.uuid)
    assert page.selected().uuid == oldest.uuid
    assert page.table.rowAt(page.table.viewport().height() - 1) == 5_004
    assert model.page_reads - before <= 3
    assert model.cached_pages <= 3

    # A filter that hides the selected record: the list starts at the top again.
    page.state_filter.setCurrentIndex(page.state_filter.findText("Waiting to send"))
    assert model.rowCount() == 5
    assert page.selected() is None
    assert not page.select_uuid(oldest.uuid)
    qtbot.waitUntil(lambda: page.count_label.text() == "Showing 5 of 5,005", timeout=3000)


def hold_write_lock(app: Any, held: threading.Event, release: threading.Event) -> None:
    """Another program's connection (an import, the unattended run) holding the database's
    write lock until `release` is set."""
    conn = sqlcipher.connect(str(app.home / DATABASE_FILE), isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{TEST_KEY}'\"")
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(60)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_the_list_pages_while_the_writer_waits_for_the_database(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    rows = 20_000
    insert_uploaded_rows(gui_app, rows)
    gui_window.show_page("transactions")
    page = gui_window.transactions_page
    page.refresh()
    model, table = page.model, page.table
    table.doItemsLayout()  # the view knows the new row count before it scrolls
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(gui_app, held, release))
    holder.start()
    captured: list[Any] = []
    # The window's own writer (a sale from a worker) now waits for that lock, holding the
    # installation's one write connection: every read through it would wait too.
    writer = threading.Thread(target=lambda: captured.extend(capture_sales(gui_app, 1)))
    try:
        assert held.wait(10)
        writer.start()
        lock = gui_app.store._lock  # taken by the writer before it waits for the database
        qtbot.waitUntil(lambda: not _free(lock), timeout=5000)
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start()
        reads = model.page_reads
        for row in (rows - 1, rows // 2, rows // 3, 7_777, 0, rows - 3_000):
            table.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
            table.grab()
            assert table.rowAt(0) <= row <= table.rowAt(table.viewport().height() - 1)
            assert model.data(model.index(row, 5)) == f"BRN{rows - 1 - row:08d}"
            qtbot.wait(100)
        target = model.record(rows // 2)
        page.refresh()  # counted again, and the record found by uuid, through the reader
        assert page.select_uuid(target.uuid)
        assert page.selected().uuid == target.uuid
        assert page.detail["brn"].text() == target.brn
        qtbot.wait(100)
        timer.stop()
        assert writer.is_alive() and not captured, "the writer should still be waiting"
        assert model.page_reads - reads >= 5
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        assert len(ticks) >= 10
        assert max(gaps) < 1.0, f"the GUI thread stopped for {max(gaps):.1f}s"
    finally:
        release.set()
        holder.join(10)
        if writer.ident is not None:  # started
            writer.join(20)
    assert len(captured) == 1  # the writer went on once the lock was free
    page.refresh()
    assert model.rowCount() == rows + 1
    assert model.record(0).uuid == captured[0]
    settle(qtbot, gui_window)
    assert page.detail["brn"].text() == target.brn  # still selected, its details read again


def _free(lock: Any) -> bool:
    if lock.acquire(blocking=False):
        lock.release()
        return True
    return False


def test_the_event_loop_keeps_turning_during_a_long_sync(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any
) -> None:
    capture(gui_app, 24)
    gui_gateway.set_options(latency_ms=300)
    gui_window.sync.options = {
        "batch_size": 4,
        "concurrency": 1,
        "query_interval": 0.1,
        "pending_wait": 3.0,
    }
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    page = gui_window.sync_page
    progress_values: list[int] = []  # every value the progress bar showed, as it showed it
    page.progress.valueChanged.connect(progress_values.append)
    qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert not page.sync_button.isEnabled()
    assert page.cancel_button.isEnabled()
    started = time.monotonic()
    qtbot.waitUntil(lambda: not gui_window.sync.running, timeout=30_000)
    elapsed = time.monotonic() - started
    timer.stop()
    assert elapsed >= 1.5  # six batches at 300 ms each
    during = [t for t in ticks if started <= t <= started + elapsed]
    assert len(during) >= 10, f"only {len(during)} timer ticks in {elapsed:.1f}s"
    assert max(b - a for a, b in itertools.pairwise(during)) < 0.5
    assert max(progress_values) >= 4
    assert len(set(progress_values)) >= 3
    assert page.progress.value() == page.progress.maximum() == 24
    assert "Done" in page.result.text()
    settle(qtbot, gui_window)  # the history is read in a worker
    assert page.history.rowCount() == 1
    assert page.history.item(0, 2).text() == "Done"
    assert page.history.item(0, 0).toolTip().startswith("Finished 20")  # when, in the tooltip
    assert gui_app.status()["transactions"]["uploaded"] == 24


def test_cancel_stops_a_sync_and_keeps_the_rest_queued(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any
) -> None:
    capture(gui_app, 20)
    gui_gateway.set_options(latency_ms=300)
    gui_window.sync.options = {"batch_size": 2, "concurrency": 1}
    page = gui_window.sync_page
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.progress.value() >= 2, timeout=10_000)
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    summary = blocker.args[0]
    assert summary.cancelled
    assert 0 < gui_app.status()["transactions"]["queued"] < 20
    assert "cancelled" in page.result.text()


def test_status_bar_shows_waiting_amounts_age_and_last_sync(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    bar = gui_window.status
    assert bar.waiting.text() == "Nothing to send"
    assert bar.age.text() == "Nothing waiting"
    assert not bar.age_bar.isVisibleTo(gui_window)
    assert bar.last_sync.text() == "Never synced"
    capture(gui_app, 2)
    old = (datetime.now().astimezone() - timedelta(hours=30, minutes=20)).isoformat()
    with gui_app.store.transaction() as conn:
        conn.execute(
            "UPDATE transactions SET captured_ts = ?, captured_at = ? WHERE id = 1",
            (time.time() - (30 * 60 + 20) * 60, old),
        )
    gui_window.refresh_status()
    qtbot.waitUntil(lambda: bar.waiting.text().startswith("2 waiting"), timeout=3000)
    assert bar.waiting.text() == "2 waiting: sales HKD 20.00"
    assert bar.level == "warn"
    assert bar.age.text() == "Oldest waiting: 30 h 20 min"
    assert "72 h" in bar.age.toolTip()
    assert "#b26a00" in bar.age.styleSheet()
    assert bar.age_bar.isVisibleTo(gui_window)
    assert 350 < bar.age_bar.value() < 500  # 30 of 72 hours

    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        gui_window.sync.start("window")
    qtbot.waitUntil(lambda: "Last sync" in bar.last_sync.text(), timeout=3000)
    assert bar.last_sync.text().endswith("Done")
    assert bar.waiting.text() == "Nothing to send"
    assert "Edge Uploader" in gui_window.tray_text()


def test_an_unattended_sync_holding_the_lock_is_shown(
    qtbot: Any, gui_window: Any, gui_app: Any, home: Path
) -> None:
    from edge_app.sync.lock import is_locked

    # The other process holds the lock until the test closes its input (no sleep to outlast).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from edge_app.sync.lock import SyncLock\n"
            "with SyncLock(Path(sys.argv[1]), 'unattended'):\n"
            "    print('locked', flush=True); sys.stdin.readline()",
            str(home),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        lock = is_locked(home)
        assert lock is not None and lock.pid == holder.pid
        gui_window.refresh_status()
        bar = gui_window.status
        qtbot.waitUntil(lambda: bar.lock.isVisibleTo(gui_window), timeout=3000)
        since = time.strftime("%H:%M", time.localtime(lock.since))
        assert bar.lock.text() == f"Unattended sync running since {since}"

        with qtbot.waitSignal(gui_window.sync.locked, timeout=5000):
            gui_window.sync.start("window")
        banner = gui_window.sync_page.banner.text()
        assert "unattended sync holds the lock" in banner
        assert f"process {holder.pid}" in banner  # who holds it, from the lock file
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        try:
            holder.wait(timeout=10)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
    gui_window.refresh_status()
    qtbot.waitUntil(lambda: not gui_window.status.lock.isVisibleTo(gui_window), timeout=3000)


def test_back_online_starts_a_sync_when_records_wait(
    qtbot: Any, gui_window: Any, gui_app: Any
) -> None:
    gui_window.online_changed(True)  # first probe: no transition yet
    assert not gui_window.sync.running
    gui_window.online_changed(False)
    assert "Offline" in gui_window.status.online.text()
    capture(gui_app, 1)
    gui_window.refresh_status()
    qtbot.waitUntil(lambda: has_work(gui_window.last_status), timeout=3000)
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        gui_window.online_changed(True)
    assert "Online" in gui_window.status.online.text()
    assert gui_app.store.sync_runs()[0]["trigger"] == "auto"


def test_the_gateway_probe_reports_reachability(qtbot: Any, gui_gateway: Any) -> None:
    from edge_app.ui.workers import ConnectivityMonitor

    monitor = ConnectivityMonitor(gui_gateway.url, interval_ms=100)
    try:
        with qtbot.waitSignal(monitor.changed, timeout=5000) as first:
            monitor.start()
        assert first.args == [True]
        with qtbot.waitSignal(monitor.changed, timeout=5000) as second:
            monitor.set_base_url("http://127.0.0.1:9")
        assert second.args == [False]
    finally:
        monitor.stop()


def test_shop_close_sync_runs_once_in_its_window(qtbot: Any, gui_window: Any) -> None:
    tz = datetime.now().astimezone().tzinfo
    day = datetime(2026, 3, 2, 22, 10, tzinfo=tz)
    assert shop_close_due(day, "22:00", None)
    assert not shop_close_due(day, "22:00", day.date())
    assert not shop_close_due(day.replace(hour=21), "22:00", None)
    assert not shop_close_due(day.replace(hour=23), "22:00", None)
    gui_window.app.update_config(shop_close="22:00")
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        assert gui_window.check_shop_close(day)
    assert not gui_window.check_shop_close(day + timedelta(minutes=1))
    assert gui_window.app.store.sync_runs()[0]["trigger"] == "shop_close"


@pytest.mark.parametrize(
    "status", [None, {}, {"waiting": {"records": 0, "card_list_changes": 0}, "needs_attention": 2}]
)
def test_nothing_to_send(status: Any) -> None:
    assert not has_work(status)


def test_last_unattended_run_is_shown_when_the_window_opens(
    qtbot: Any, gui_app: Any, gui_gateway: Any, gui_prompts: Any, home: Path
) -> None:
    from edge_app.ui.main_window import MainWindow

    gui_gateway.set_options(decline_cards=[DECLINED_CARD])
    gui_app.capture_sale(amount="10.00", currency="HKD", card_number=VISA, expiry="2912")
    gui_app.capture_sale(amount="20.00", currency="HKD", card_number=DECLINED_CARD, expiry="2912")
    night = subprocess.run(
        [sys.executable, "-m", "edge_app", "--home", str(home), "sync", "--unattended"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert night.returncode == 3, night.stdout + night.stderr  # the decline needs a person

    window = MainWindow(gui_app, prompts=gui_prompts, monitor=False, status_interval_ms=60_000)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    try:
        window.show()
        settle(qtbot, window)  # the last run is read in a worker
        result = window.sync_page.result.text()
        assert result.startswith("Last run: Unattended (scheduled), ")
        assert "Accepted: 1" in result
        assert "failed: 1" in result
        attention = window.sync_page.attention
        assert attention.count() == 1
        assert "Declined" in attention.item(0).text()
        assert window.sync_page.history.item(0, 1).text() == "Unattended (scheduled)"
    finally:
        window.shutdown()
