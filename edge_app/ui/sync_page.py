"""Sync: send the queue now, watch progress, cancel, read the last result and the history."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.i18n import tr
from edge_app.ui.page import Page, button, fitting_widths, group, list_table
from edge_app.ui.present import OUTCOME_WORDS, local_time, outcome_words, summary_lines
from edge_app.ui.widgets import Prompts
from edge_app.ui.workers import SyncController, TaskRunner, plain_error

# When a run finished is its Started cell's tooltip: every column fits a 1024 px wide screen.
HISTORY_COLUMNS = ("Started", "Started by", "Result", "Accepted", "Failed", "Left")
# The sync engine's step names, listed so that they are translated.
STEP_WORDS = {
    "Uploading sales": "Uploading sales",
    "Uploading voids": "Uploading voids",
    "Uploading refunds": "Uploading refunds",
    "Waiting for pending results": "Waiting for pending results",
    "Sending card list changes": "Sending card list changes",
    "Finished": "Finished",
}
# policy.reason_code of what stopped a run or makes a request go again: one line for a person.
REASON_WORDS = {
    "unreachable": "The gateway cannot be reached: check this PC's network connection, or the "
    "gateway address in Settings.",
    "interrupted": "The connection to the gateway broke off before its answer arrived; the "
    "records go again with the same ids, which are never charged twice.",
    "server_error": "The gateway has a problem on its side (a server error); the records go "
    "again later.",
    "rate_limited": "The gateway asked to slow down; the rest goes at the next sync.",
    "bad_answer": "The gateway's answer could not be read; check the gateway address in Settings.",
    "login": "The gateway refused the login: log in again with the button above.",
    "store_config": "The gateway has no card list set up for this store; ask the payment provider.",
    "refused": "The gateway refused the request; if it happens again, ask the payment provider.",
    "busy": "Another program was writing to the queue (for example a large import); sync "
    "again when it is done.",
    "cancelled": "The sync was cancelled; the rest stays queued.",
}
TRIGGER_WORDS = {
    "window": "This window",
    "tray": "Tray icon",
    "manual": "Command line",
    "auto": "Automatic (back online)",
    "shop_close": "Shop close",
    "unattended": "Unattended (scheduled)",
    "demo": "Demo",
}


class SyncPage(Page):
    logged_in = Signal()

    def __init__(
        self,
        app: Any,
        runner: TaskRunner,
        sync: SyncController,
        prompts: Prompts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(tr("Sync with the gateway"), parent)
        self.app = app
        self.runner = runner
        self.sync = sync
        self.prompts = prompts
        self._runs_asked = 0  # the latest history read; older answers are dropped
        self._show_last = True  # show the last run's result until a run finishes here
        self.add_banner("sync_banner")
        self.outer.addWidget(self._build_run())
        self.outer.addWidget(self._build_result())
        self.outer.addWidget(self._build_history(), 1)
        self.sync_button.clicked.connect(self.start_sync)
        self.cancel_button.clicked.connect(self.cancel_sync)
        self.login_button.clicked.connect(self.log_in)
        sync.started.connect(self._started)
        sync.progress.connect(self._progress)
        sync.finished.connect(self._finished)
        sync.locked.connect(self._locked)
        sync.failed.connect(self._failed)
        self.load_history()

    def _build_run(self) -> QGroupBox:
        box, run = group(tr("Send now"), QVBoxLayout)
        self.sync_button = button(tr("Sync now"), "sync_now", primary=True)
        self.sync_button.setMinimumHeight(34)
        self.sync_button.setMinimumWidth(140)
        self.cancel_button = button(tr("Cancel"), "sync_cancel")
        self.cancel_button.setEnabled(False)
        self.login_button = button(tr("Log in to the gateway…"), "login")
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.login_button)
        run.addLayout(buttons)
        self.step = QLabel(tr("Not running."))
        self.step.setObjectName("sync_step")
        run.addWidget(self.step)
        self.progress = QProgressBar()
        self.progress.setObjectName("sync_progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(tr("%v of %m"))
        self.progress.setTextVisible(False)  # shown once a run reports its first count
        run.addWidget(self.progress)
        self.retry = QLabel()
        self.retry.setObjectName("sync_retry")
        self.retry.setWordWrap(True)
        self.retry.setStyleSheet("color: #6b4500;")
        self.retry.setVisible(False)
        run.addWidget(self.retry)
        self._retry_at = 0.0
        self._retry_text = ""
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(1000)
        self.retry_timer.timeout.connect(self._tick_retry)
        return box

    def _build_result(self) -> QGroupBox:
        box, result = group(tr("Last result"), QVBoxLayout)
        self.reason = QLabel()
        self.reason.setObjectName("sync_reason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("font-weight: bold;")
        self.reason.setVisible(False)
        result.addWidget(self.reason)
        self.result = QLabel(tr("No sync has run in this window yet."))
        self.result.setObjectName("sync_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        result.addWidget(self.result)
        self.attention_label = QLabel(tr("Needs attention:"))
        self.attention_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.attention = QListWidget()
        self.attention.setObjectName("sync_attention")
        self.attention.setMaximumHeight(110)
        self.attention.setWordWrap(True)  # a line is read in full, never behind a scroll bar
        self.attention.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.attention_label.setVisible(False)
        self.attention.setVisible(False)
        result.addWidget(self.attention_label)
        result.addWidget(self.attention)
        return box

    def _build_history(self) -> QGroupBox:
        box, history = group(tr("History"), QVBoxLayout)
        self.history = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history.setHorizontalHeaderLabels([tr(c) for c in HISTORY_COLUMNS])
        samples = (
            ["12-31 23:59:59"],
            [tr(word) for word in TRIGGER_WORDS.values()],
            [outcome_words(outcome) for outcome in OUTCOME_WORDS],
        )
        list_table(self.history, "sync_history", fitting_widths(self.history, samples))
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        history.addWidget(self.history)
        return box

    # -- running ------------------------------------------------------------------------------

    def start_sync(self) -> None:
        if not self.sync.start("window"):
            self.banner.show_message(tr("A sync is already running."), "info")

    def cancel_sync(self) -> None:
        self.sync.cancel()
        self.cancel_button.setEnabled(False)
        self.step.setText(tr("Cancelling after the current batch…"))

    @Slot(str)
    def _started(self, trigger: str) -> None:
        self.banner.clear_message()
        self.sync_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the first report says how many
        self.step.setText(
            tr("Starting ({trigger})…").format(trigger=tr(TRIGGER_WORDS.get(trigger, trigger)))
        )

    @Slot(object)
    def _progress(self, progress: Any) -> None:
        if getattr(progress, "retry_in", 0) > 0:
            self._show_retry(progress)
            return
        self._stop_retry()
        total = max(progress.total, 1)
        self.progress.setTextVisible(True)
        self.progress.setRange(0, total)
        self.progress.setValue(min(progress.done, total))
        self.step.setText(tr(STEP_WORDS.get(progress.step, progress.step)))

    def _show_retry(self, progress: Any) -> None:
        """A request failed and goes again soon: say why and count down to the next try."""
        why = tr(REASON_WORDS.get(progress.reason, REASON_WORDS["refused"]))
        self._retry_text = why
        self._retry_attempt = int(progress.attempt)
        self._retry_at = time.monotonic() + float(progress.retry_in)
        self.retry.setToolTip(str(progress.message))
        self._tick_retry()
        self.retry.setVisible(True)
        self.retry_timer.start()

    def _tick_retry(self) -> None:
        left = max(0, round(self._retry_at - time.monotonic()))
        self.retry.setText(
            tr("Trying again in {seconds} s (try {n}). {why}").format(
                seconds=left, n=self._retry_attempt, why=self._retry_text
            )
        )

    def _stop_retry(self) -> None:
        self.retry_timer.stop()
        self.retry.setVisible(False)

    def _stopped(self) -> None:
        self._stop_retry()
        self.sync_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self.load_history()

    @Slot(object)
    def _finished(self, summary: Any) -> None:
        self._show_last = False  # this run's result stays shown
        self._stopped()
        data = summary.to_json()
        self._show_result(data)
        if nothing_sent(data):
            self.step.setText(tr("Nothing to send."))
            self.progress.setTextVisible(False)
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.banner.show_message(tr("Nothing was waiting to be sent."), "info")
            return
        self.step.setText(tr("Finished."))
        kind = {"done": "success", "needs_attention": "error"}.get(str(data["outcome"]), "warning")
        self.banner.show_message(
            tr("Sync finished: {outcome}.").format(outcome=outcome_words(str(data["outcome"]))),
            kind,
        )

    def _show_result(self, data: dict[str, Any], heading: str | None = None) -> None:
        lines = summary_lines(data)
        self.result.setText("\n".join([heading, *lines] if heading else lines))
        reason = REASON_WORDS.get(str(data.get("reason") or ""))
        self.reason.setText(tr(reason) if reason else "")
        self.reason.setVisible(bool(reason))
        needs_person = [str(x) for x in data.get("needs_attention") or []]
        later = [str(x) for x in data.get("retry_later") or []]
        # What stopped the run, in the engine's words ("[Errno 111] ..."), is for support: the
        # reason line says it for a person, the words stay in its tooltip.
        self.reason.setToolTip("\n".join(later) if reason else "")
        if reason:
            later = []
        self.attention.clear()
        self.attention.addItems(needs_person + later)
        self.attention_label.setVisible(bool(needs_person))
        self.attention_label.setText(tr("Needs attention:") if needs_person else "")
        self.attention.setVisible(bool(needs_person or later))

    def show_last_run(self, latest: list[dict[str, Any]]) -> None:
        """The last finished run of any kind, e.g. last night's unattended one, on opening."""
        runs = [r for r in latest if r["finished_ts"] and r["summary"]]
        if not runs:
            return
        run = runs[0]
        self._show_result(
            run["summary"],
            tr("Last run: {trigger}, {time}").format(
                trigger=tr(TRIGGER_WORDS.get(run["trigger"], run["trigger"])),
                time=local_time(run["finished_ts"], "%Y-%m-%d %H:%M"),
            ),
        )

    @Slot(str)
    def _locked(self, text: str) -> None:
        self._stopped()
        self.step.setText(tr("Not running."))
        self.banner.show_message(
            tr("The unattended sync holds the lock: {who} Your records go with that run.").format(
                who=text
            ),
            "info",
        )

    @Slot(str)
    def _failed(self, text: str) -> None:
        self._stopped()
        self.step.setText(tr("Stopped."))
        self.banner.show_message(text, "error")

    # -- logging in ---------------------------------------------------------------------------

    def log_in(self) -> None:
        password: list[str] = []

        def check(text: str) -> str | None:
            if not text:
                return tr("Type the password.")
            password.append(text)
            return None

        if not self.prompts.ask(
            self,
            tr("Log in"),
            tr("Gateway password for {user}:").format(user=self.app.config.username),
            tr("Password"),
            check,
            password=True,
        ):
            return
        self.banner.show_message(tr("Logging in…"), "info")
        app = self.app
        secret = password[0]
        self.runner.submit(lambda: app.login(secret), self._logged_in, self._login_failed)

    def _logged_in(self, _: Any) -> None:
        self.banner.show_message(
            tr("Logged in; the password is kept (encrypted) for later syncs."), "success"
        )
        self.logged_in.emit()

    def _login_failed(self, exc: BaseException) -> None:
        self.banner.show_message(tr("Login failed: {why}").format(why=plain_error(exc)), "error")

    # -- history ------------------------------------------------------------------------------

    def load_history(self) -> None:
        """Read the latest runs in a worker (the sync's writer may hold the store)."""
        self._runs_asked += 1
        asked, app = self._runs_asked, self.app
        self.runner.submit(
            lambda: app.sync_runs(50),
            lambda runs: self._runs_read(asked, runs),
            lambda exc: self.banner.show_message(plain_error(exc), "error"),
        )

    def _runs_read(self, asked: int, runs: list[dict[str, Any]]) -> None:
        if asked != self._runs_asked:
            return  # a later read was asked for
        if self._show_last:
            self._show_last = False
            self.show_last_run(runs[:5])
        self.history.setRowCount(len(runs))
        for row, run in enumerate(runs):
            summary = run.get("summary") or {}
            finished = (
                tr("Finished {time}").format(
                    time=local_time(run["finished_ts"], "%Y-%m-%d %H:%M:%S")
                )
                if run["finished_ts"]
                else tr("running")
            )
            cells = (
                local_time(run["started_ts"], "%m-%d %H:%M:%S"),
                tr(TRIGGER_WORDS.get(run["trigger"], run["trigger"])),
                outcome_words(run["outcome"]) if run["finished_ts"] else "",
                str(summary.get("uploaded", "")),
                str(summary.get("failed", "")),
                str(summary.get("left_queued", "")),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setToolTip(finished)
                self.history.setItem(row, column, item)


def nothing_sent(data: dict[str, Any]) -> bool:
    """A run that found nothing to send and left nothing behind."""
    counts = (
        "uploaded",
        "duplicates",
        "failed",
        "held",
        "pending",
        "left_queued",
        "blocklist_sent",
        "blocklist_left",
        "blocklist_failed",
    )
    return data.get("outcome") == "done" and not any(data.get(name) for name in counts)
