"""The main window: a side list of screens, the always-visible status bar, background work."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.blocklist_page import BlocklistPage
from edge_app.ui.i18n import app_icon, switch_language, tr
from edge_app.ui.present import attention_text, last_sync_text, waiting_text
from edge_app.ui.report_page import ReportPage
from edge_app.ui.sale_page import SalePage
from edge_app.ui.settings_page import SettingsPage
from edge_app.ui.statusbar import StatusBar, fill_attention_menu
from edge_app.ui.sync_page import SyncPage
from edge_app.ui.transactions_page import TransactionsPage
from edge_app.ui.widgets import ManagerGate, Prompts
from edge_app.ui.workers import (
    PROBE_INTERVAL_MS,
    ConnectivityMonitor,
    SyncController,
    TaskRunner,
    lock_holder_elsewhere,
)

STATUS_INTERVAL_MS = 5_000
SHOP_CLOSE_CHECK_MS = 30_000
SHOP_CLOSE_WINDOW = timedelta(minutes=30)
# Shared look of the screens: white group boxes on a light page, taller inputs, a primary button.
PAGE_STYLE = """
#pages { background: #f4f6f9; }
QGroupBox {
    background: #ffffff; border: 1px solid #d5dbe3; border-radius: 6px;
    margin-top: 16px; padding: 12px 10px 8px 10px;
}
QGroupBox::title {
    subcontrol-origin: margin; subcontrol-position: top left; left: 8px; padding: 0 4px;
    color: #1f3b63;
}
QLineEdit, QComboBox, QDateEdit { min-height: 24px; padding: 1px 4px; }
QPushButton { min-height: 24px; padding: 2px 12px; }
QPushButton[primary="true"] {
    background: #2f6fd0; color: #ffffff; border: 1px solid #245bb0; border-radius: 4px;
    font-weight: bold; padding: 4px 18px;
}
QPushButton[primary="true"]:hover { background: #285fb5; }
QPushButton[primary="true"]:disabled { background: #9db4d8; border-color: #9db4d8; }
"""
SIDE_STYLE = (
    "#side { background: #1f3b63; }"
    "#side QLabel { color: #ffffff; }"
    "QListWidget#nav { background: transparent; border: none; color: #dfe8f5; outline: 0; }"
    "QListWidget#nav::item { padding: 10px 14px; border-radius: 4px; margin: 2px 8px; }"
    "QListWidget#nav::item:selected { background: #2f5a93; color: #ffffff; }"
    "QListWidget#nav::item:hover:!selected { background: #284b7a; }"
)
ENVIRONMENT_SHORT_WORDS = {
    "production": "Production",
    "develop": "Develop",
    "sandbox": "Sandbox",
    "custom": "Custom gateway",
}
PAGES = ("sale", "transactions", "blocklist", "sync", "report", "settings")
WINDOW_SIZE = QSize(1180, 760)
MINIMUM_SIZE = QSize(960, 620)
FRAME_ALLOWANCE = QSize(16, 40)  # borders and title bar of a decorated window
# The window's shortcuts, shown in the side list's and buttons' tooltips.
SHORTCUTS = {"new_sale": "Ctrl+N", "sync_now": "F5", "search": "Ctrl+F"}


def shop_close_due(now: datetime, shop_close: str, last_run: date | None) -> bool:
    """True within half an hour after the shop-close time, once a day."""
    try:
        hours, minutes = (int(part) for part in shop_close.split(":"))
        closing = datetime.combine(now.date(), time(hours, minutes), tzinfo=now.tzinfo)
    except ValueError:
        return False
    return last_run != now.date() and closing <= now < closing + SHOP_CLOSE_WINDOW


def has_work(status: dict[str, Any] | None) -> bool:
    """Something goes out with the next sync: records or card-list changes."""
    if not status:
        return False
    waiting = status.get("waiting", {})
    return int(waiting.get("records", 0)) > 0 or int(waiting.get("card_list_changes", 0)) > 0


class MainWindow(QMainWindow):
    def __init__(
        self,
        app: Any,
        *,
        prompts: Prompts | None = None,
        probe_interval_ms: int = PROBE_INTERVAL_MS,
        status_interval_ms: int = STATUS_INTERVAL_MS,
        monitor: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.app = app
        self.home: Path = app.home
        self.prompts = prompts or Prompts()
        self.runner = TaskRunner(self)
        self.sync = SyncController(app, self.runner, self)
        app.act_as("cashier")
        self.gate = ManagerGate(app.secure_settings(), self.prompts, self._manager_event)
        self.last_status: dict[str, Any] | None = None
        self._status_busy = False
        self._status_again = False
        self._shop_close_ran: date | None = None
        self._online: bool | None = None
        self._send_wanted = False  # something was queued since the last automatic send
        self._quitting = False
        self._attention_seen_count = 0  # for the tray's message when more need a manager
        self.setWindowIcon(app_icon())
        self._fit_to_screen()
        self._build_content()
        self._connect_sync()
        self._add_shortcuts()
        self._start_timers(status_interval_ms)
        self.monitor: ConnectivityMonitor | None = None
        if monitor:
            self.monitor = ConnectivityMonitor(app.config.base_url, probe_interval_ms, self)
            self.monitor.changed.connect(self.online_changed)
            self.monitor.start()
        self.tray = self._make_tray()
        self.last_report: Any = None
        self.announce_last_report()
        self.refresh_status()

    def _fit_to_screen(self) -> None:
        """Open at the usual size, but never larger than the screen's free area, frame included
        (the frame is not known before the window is shown: leave room for a title bar)."""
        screen = self.screen()
        free = screen.availableGeometry().size() if screen is not None else WINDOW_SIZE
        free -= FRAME_ALLOWANCE
        self.setMinimumSize(MINIMUM_SIZE.boundedTo(free))
        self.resize(WINDOW_SIZE.boundedTo(free))
        self.fills_screen = not (
            WINDOW_SIZE.width() <= free.width() and WINDOW_SIZE.height() <= free.height()
        )

    def show_fitted(self) -> None:
        """Show the window; on a screen too small for its usual size, maximized."""
        if self.fills_screen:
            self.showMaximized()
        else:
            self.show()

    def _build_content(self) -> None:
        """The side list, the screens and the status bar, in the current language."""
        self.setWindowTitle(tr("Edge Uploader"))
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._build_side())
        row.addWidget(self._build_pages(), 1)
        self.setCentralWidget(central)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.status.online.setWordWrap(True)
        self._side_layout.insertWidget(2, self.status.online)
        # the last sync goes with the gateway's state: the status bar keeps what waits
        self.status.last_sync.setWordWrap(True)
        self.status.last_sync.setContentsMargins(18, 0, 12, 10)
        self.status.last_sync.setStyleSheet("color: #b9c9e2;")
        self._side_layout.insertWidget(3, self.status.last_sync)
        self._update_store_label()
        self._connect_pages()

    def retranslate(self) -> None:
        """Build the screens again in the language just switched to (no restart needed)."""
        row = self.nav.currentRow()
        self._build_content()
        self.nav.setCurrentRow(row)
        self.status.set_online(self._online)
        self.announce_last_report()
        self.refresh_status()

    def _add_shortcuts(self) -> None:
        """New sale, Sync now and Search work from every screen."""
        for name, slot in (
            ("new_sale", self.new_sale),
            ("sync_now", self.sync_now),
            ("search", self.focus_search),
        ):
            action = QAction(self)
            action.setObjectName(f"shortcut_{name}")
            action.setShortcut(QKeySequence(SHORTCUTS[name]))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def new_sale(self) -> None:
        self.show_page("sale")
        self.sale_page.start_sale()

    def sync_now(self) -> None:
        self.show_page("sync")
        self.sync_page.start_sync()

    def focus_search(self) -> None:
        if self.stack.currentWidget() is not self.blocklist_page:
            self.show_page("transactions")
        page = self.stack.currentWidget()
        search = getattr(page, "search", None)
        if search is not None:
            search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            search.selectAll()

    def _build_side(self) -> QWidget:
        side = QWidget()
        side.setObjectName("side")
        side.setStyleSheet(SIDE_STYLE)
        side.setFixedWidth(210)
        side_layout = self._side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 16, 0, 12)
        title = QLabel(tr("Edge Uploader"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        title.setContentsMargins(18, 0, 12, 2)
        side_layout.addWidget(title)
        self.store_label = QLabel()
        self.store_label.setObjectName("store_label")
        self.store_label.setContentsMargins(18, 0, 12, 8)
        self.store_label.setWordWrap(True)
        self.store_label.setStyleSheet("color: #b9c9e2;")
        side_layout.addWidget(self.store_label)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(20, 20))
        side_layout.addWidget(self.nav, 1)
        self.last_report_button = QPushButton()
        self.last_report_button.setObjectName("last_report")
        self.last_report_button.setStyleSheet(
            "QPushButton#last_report { text-align: left; color: #ffffff; background: #2f5a93;"
            " border: none; border-radius: 4px; padding: 8px 10px; margin: 4px 8px; }"
        )
        self.last_report_button.setVisible(False)
        self.last_report_button.clicked.connect(self.open_last_report)
        side_layout.addWidget(self.last_report_button)
        self.role_label = QLabel(
            tr(
                "Cashiers take sales and sync. The manager PIN is asked to void, refund, "
                "retry, give up or mark as seen a transaction, to change the card list and to "
                "save the settings."
            )
        )
        self.role_label.setObjectName("role_label")
        self.role_label.setWordWrap(True)
        self.role_label.setContentsMargins(18, 0, 12, 0)
        self.role_label.setStyleSheet("color: #9fb3d1; font-size: 11px;")
        side_layout.addWidget(self.role_label)
        return side

    def _build_pages(self) -> QStackedWidget:
        """The screens, stacked, and their entries in the side list."""
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        self.stack.setStyleSheet(PAGE_STYLE)
        app = self.app
        self.sale_page = SalePage(app)
        self.transactions_page = TransactionsPage(app, self.runner, self.gate, self.prompts)
        self.blocklist_page = BlocklistPage(app, self.runner, self.gate, self.prompts)
        self.sync_page = SyncPage(app, self.runner, self.sync, self.prompts)
        self.report_page = ReportPage(app, self.runner, self.gate, self.prompts)
        self.settings_page = SettingsPage(app, self.gate)
        style = self.style()
        icons = QStyle.StandardPixmap
        for page, text, icon, key in (
            (self.sale_page, tr("New sale"), icons.SP_FileDialogNewFolder, "new_sale"),
            (self.transactions_page, tr("Transactions"), icons.SP_FileDialogDetailedView, ""),
            (self.blocklist_page, tr("Card block list"), icons.SP_MessageBoxWarning, ""),
            (self.sync_page, tr("Sync"), icons.SP_BrowserReload, "sync_now"),
            (self.report_page, tr("Report"), icons.SP_FileDialogContentsView, ""),
            (self.settings_page, tr("Settings"), icons.SP_FileDialogInfoView, ""),
        ):
            self.stack.addWidget(page)
            item = QListWidgetItem(style.standardIcon(icon), text, self.nav)
            if key:
                item.setToolTip(f"{text} ({SHORTCUTS[key]})")
        self.sync_page.sync_button.setToolTip(f"{tr('Sync now')} ({SHORTCUTS['sync_now']})")
        for search in (self.transactions_page.search, self.blocklist_page.search):
            search.setToolTip(f"{tr('Search')} ({SHORTCUTS['search']})")
        self.nav.currentRowChanged.connect(self._show_page)
        self.nav.setCurrentRow(0)
        return self.stack

    def _connect_pages(self) -> None:
        self.sale_page.sale_queued.connect(self.queue_changed)
        self.transactions_page.changed.connect(self.queue_changed)
        self.blocklist_page.changed.connect(self.queue_changed)
        self.settings_page.saved.connect(self._settings_saved)
        self.report_page.changed.connect(self.queue_changed)
        self.status.open_record.connect(self.open_record)
        self.status.open_page.connect(self.show_page)

    def _connect_sync(self) -> None:
        self.sync.started.connect(self._sync_started)
        self.sync.progress.connect(self._sync_progress)
        self.sync.finished.connect(self._sync_stopped)
        self.sync.locked.connect(self._sync_stopped)
        self.sync.failed.connect(self._sync_stopped)

    def _start_timers(self, status_interval_ms: int) -> None:
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(status_interval_ms)
        self.status_timer.timeout.connect(self.refresh_status)
        self.status_timer.start()
        self.shop_close_timer = QTimer(self)
        self.shop_close_timer.setInterval(SHOP_CLOSE_CHECK_MS)
        self.shop_close_timer.timeout.connect(self.check_shop_close)
        self.shop_close_timer.start()
        self.send_timer = QTimer(self)
        self.send_timer.setSingleShot(True)
        self.send_timer.timeout.connect(self.send_queued)

    def announce_last_report(self, today: date | None = None) -> Any:
        """Show "last night's report" in the side panel when the shop-close run wrote one
        yesterday or today; None when there is none."""
        from edge_app.services.report_files import newest_report

        today = today or date.today()
        saved = newest_report(self.home, not_before=today - timedelta(days=1))
        self.last_report = saved
        if saved is None:
            self.last_report_button.setVisible(False)
            return None
        lines = [
            tr("Last night's report"),
            saved.day.isoformat(),
            tr("{declined} declined, {held} held").format(declined=saved.declined, held=saved.held),
            tr("{n} difference(s)").format(n=saved.differences),
        ]
        if not saved.chain_verified:
            lines.append(tr("Audit trail broken!"))
        self.last_report_button.setText("\n".join(lines))
        self.last_report_button.setToolTip(str(saved.pdf_path or saved.csv_path))
        self.last_report_button.setVisible(True)
        return saved

    def open_last_report(self) -> None:
        """Open the Report page on last night's day (the page asks for the manager PIN)."""
        if self.last_report is None:
            return
        self.show_page("report")
        self.report_page.set_period(self.last_report.day, self.last_report.day)
        self.report_page.show_report()

    def _manager_event(self, what: str, action: str) -> None:
        """The audit trail of the manager PIN: approvals (the manager acts for a while), and
        wrong PINs."""
        try:
            if what == "approved":
                self.app.manager_approved(action)
            else:
                self.app.manager_refused(action)
        except Exception as exc:  # the action itself reports a queue it cannot write
            self.status.waiting.setText(tr("Cannot read the queue: {why}").format(why=str(exc)))

    # -- navigation ---------------------------------------------------------------------------

    def _show_page(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        if page is self.blocklist_page:
            self.blocklist_page.reload()
        elif page is self.sync_page:
            self.sync_page.load_history()
        elif page is self.settings_page:
            self.settings_page.load()

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(PAGES.index(name))

    @Slot(str)
    def open_record(self, uuid: str) -> None:
        """A record picked from "needs a manager" (status bar or tray): show it."""
        if self.isHidden() or self.isMinimized():
            self.showNormal()
        self.activateWindow()
        self.show_page("transactions")
        self.transactions_page.open_record(uuid)

    def _update_store_label(self) -> None:
        from edge_app.ui.settings_page import ENVIRONMENT_WORDS

        config = self.app.config
        name = config.environment
        self.store_label.setText(
            tr("Store {store}").format(store=config.store_id)
            + "\n"
            + tr(ENVIRONMENT_SHORT_WORDS.get(name, name))
            + "\n"
            + config.username
        )
        self.store_label.setToolTip(tr(ENVIRONMENT_WORDS.get(name, name)))

    # -- status -------------------------------------------------------------------------------

    def refresh_status(self) -> None:
        """Read the queue status and the lock in a worker; the labels update when it answers."""
        if self._status_busy:
            self._status_again = True  # read again when the running read answers
            return
        self._status_busy = True
        app, home = self.app, self.home

        def work() -> tuple[dict[str, Any], Any]:
            return app.status(history=False), lock_holder_elsewhere(home)

        self.runner.submit(work, self._status_ready, self._status_failed)

    def _status_ready(self, result: tuple[dict[str, Any], Any]) -> None:
        self._status_busy = False
        if self._status_again:
            self._status_again = False
            self.refresh_status()
        status, holder = result
        self.last_status = status
        limits = self.app.limits
        self.status.set_status(status, _hours(limits, "warn"), _hours(limits, "refuse"))
        self.status.set_lock(holder if not self.sync.running else None)
        self._update_tray()

    def _status_failed(self, exc: BaseException) -> None:
        self._status_busy = False
        self._status_again = False
        self.status.waiting.setText(tr("Cannot read the queue: {why}").format(why=str(exc)))

    @Slot()
    def queue_changed(self, *_: Any) -> None:
        self.refresh_status()
        if self.stack.currentWidget() is not self.transactions_page:
            self.transactions_page.apply_filter()
        self._send_wanted = True
        self.schedule_send()

    # -- sending on its own -------------------------------------------------------------------

    def schedule_send(self) -> bool:
        """Send what was queued a few seconds from now while the gateway is reachable. The
        timer is not restarted by further captures, so they join the same batch."""
        delay = float(self.app.config.send_delay_seconds)
        if delay <= 0 or not self._online or self.send_timer.isActive():
            return False
        self.send_timer.start(int(delay * 1000))
        return True

    @Slot()
    def send_queued(self) -> None:
        if not self._online:
            return  # the reconnect starts a sync when the gateway is back
        if self.sync.running:
            return  # _sync_stopped schedules again for what came in meanwhile
        self._send_wanted = False
        self.sync.start("auto")

    def _settings_saved(self) -> None:
        if switch_language(self.app.config.language):
            self.retranslate()
            self.show_page("settings")
        self._update_store_label()
        if self.monitor is not None:
            self.monitor.set_base_url(self.app.config.base_url)
            self.monitor.probe_now()
        self.blocklist_page.reload()
        self.refresh_status()

    # -- sync triggers ------------------------------------------------------------------------

    @Slot(bool)
    def online_changed(self, online: bool) -> None:
        was = self._online
        self._online = online
        self.status.set_online(online, (self.last_status or {}).get("last_sync"))
        if online and was is False and has_work(self.last_status):
            self.sync.start("auto")

    def check_shop_close(self, now: datetime | None = None) -> bool:
        now = now or datetime.now().astimezone()
        if not shop_close_due(now, self.app.config.shop_close, self._shop_close_ran):
            return False
        self._shop_close_ran = now.date()
        return self.sync.start("shop_close")

    @Slot(str)
    def _sync_started(self, trigger: str) -> None:
        self.status.set_syncing(tr("Syncing…"))
        self._update_tray()

    @Slot(object)
    def _sync_progress(self, progress: Any) -> None:
        self.status.set_syncing(
            tr("Syncing {done}/{total}").format(done=progress.done, total=progress.total)
        )
        if self.tray is not None:
            self.tray.setToolTip(
                tr("Edge Uploader: syncing {done}/{total}").format(
                    done=progress.done, total=progress.total
                )
            )

    @Slot(object)
    def _sync_stopped(self, *_: Any) -> None:
        self.status.set_syncing(None)
        self.sale_page.recheck_last()
        self.transactions_page.refresh()
        self.blocklist_page.reload()
        self.refresh_status()
        if self._send_wanted:
            self.schedule_send()

    # -- tray ---------------------------------------------------------------------------------

    def _make_tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(app_icon(), self)
        menu = QMenu(self)
        show = QAction(tr("Show window"), menu)
        show.triggered.connect(self.showNormal)
        sync_now = QAction(tr("Sync now"), menu)
        sync_now.triggered.connect(lambda: self.sync.start("tray"))
        quit_action = QAction(tr("Quit"), menu)
        quit_action.triggered.connect(self.quit_app)
        menu.addAction(show)
        menu.addAction(sync_now)
        self.tray_attention = menu.addMenu(tr("Needs a manager"))
        self.tray_attention.menuAction().setVisible(False)
        menu.addSeparator()
        menu.addAction(quit_action)
        tray.activated.connect(self._tray_activated)
        tray.setContextMenu(menu)
        tray.setToolTip(tr("Edge Uploader"))
        tray.show()
        return tray

    def _tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.showNormal()
            self.raise_()

    def tray_text(self) -> str:
        if self.sync.running:
            return tr("Edge Uploader: syncing")
        status = self.last_status or {}
        text = tr("Edge Uploader: {waiting}; {last}").format(
            waiting=waiting_text(status), last=last_sync_text(status.get("last_sync"))
        )
        attention = attention_text(status)
        return text + ("\n" + attention if attention else "")

    def _update_tray(self) -> None:
        count = int((self.last_status or {}).get("needs_attention", 0))
        if self.tray is not None:
            self.tray.setToolTip(self.tray_text())
            status = self.last_status or {}
            fill_attention_menu(self.tray_attention, status, self.open_record, self.show_page)
            self.tray_attention.menuAction().setVisible(count > 0)
            if count > self._attention_seen_count:
                self.tray.showMessage(
                    tr("Edge Uploader"),
                    attention_text(self.last_status or {}),
                    QSystemTrayIcon.MessageIcon.Warning,
                )
        self._attention_seen_count = count

    # -- closing ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop timers, cancel a running sync and wait for the workers (the store stays open).
        A close after this does not ask again."""
        self._quitting = True
        self.send_timer.stop()
        self.status_timer.stop()
        self.shop_close_timer.stop()
        self.sync.cancel()
        self.runner.shutdown(30_000)
        if self.monitor is not None:
            self.monitor.stop()
        if self.tray is not None:
            self.tray.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing while records wait asks: keep sending from the tray, or quit anyway."""
        if self._quitting or not (has_work(self.last_status) or self.sync.running):
            self.shutdown()
            event.accept()
            return
        choice = self.prompts.choose(
            self, tr("Records still wait"), self.close_question(), self._close_choices()
        )
        if choice == "tray":
            event.ignore()
            self.hide()
            return
        if choice == "quit":
            self.shutdown()
            event.accept()
            return
        event.ignore()

    def close_question(self) -> str:
        status = self.last_status or {}
        text = tr("{waiting}. They are sent only while Edge Uploader runs.").format(
            waiting=waiting_text(status)
        )
        if self.sync.running:
            text = tr("A sync is running; quitting stops it (nothing is lost).") + "\n" + text
        return text

    def _close_choices(self) -> list[tuple[str, str]]:
        choices = [("quit", tr("Quit anyway"))]
        if self.tray is not None:
            choices.insert(0, ("tray", tr("Keep sending from the tray")))
        return choices

    def quit_app(self) -> None:
        """The tray's Quit: the same question as closing the window."""
        self.showNormal()
        self.close()


def _hours(limits: Any, which: str) -> float:
    """The warn or refuse age of the offline limits, in hours."""
    span = limits.warn_after if which == "warn" else limits.refuse_after
    return float(span.total_seconds() / 3600)
