"""Report: the shop-close report of a day or a period (manager PIN), saved as PDF or CSV, and
reconciliation with the gateway; the same content as `edge-app report`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from edge_app.ui.i18n import tr
from edge_app.ui.page import ManagerPage, button
from edge_app.ui.report_view import report_html, write_pdf
from edge_app.ui.widgets import ManagerGate, Prompts
from edge_app.ui.workers import TaskRunner, plain_error


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _date_edit(name: str, day: date) -> QDateEdit:
    edit = QDateEdit(_qdate(day))
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class ReportPage(ManagerPage):
    changed = Signal()  # reconciliation found differences (needs attention)

    def __init__(
        self,
        app: Any,
        runner: TaskRunner,
        gate: ManagerGate,
        prompts: Prompts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(tr("Shop-close report"), app, runner, gate, prompts, parent)
        self.report: Any = None  # the report shown, once a manager opened it
        self._asked = 0  # the latest read; older answers are dropped
        self.add_banner("report_banner")
        self.outer.addLayout(self._build_controls())
        self.view = QTextBrowser()
        self.view.setObjectName("report_view")
        self.view.setPlaceholderText(
            tr("A manager opens the report: choose the days and press Show report.")
        )
        self.outer.addWidget(self.view, 1)
        self.show_button.clicked.connect(self.show_report)
        self.pdf_button.clicked.connect(lambda: self.save("pdf"))
        self.csv_button.clicked.connect(lambda: self.save("csv"))
        self.reconcile_button.clicked.connect(self.reconcile)
        self._enable_saving(False)

    def _build_controls(self) -> QVBoxLayout:
        """The period and Show on one line, what to do with the report on the next: one line
        would not fit a 1024 px wide screen."""
        row = QHBoxLayout()
        today = date.today()
        self.first = _date_edit("report_from", today)
        self.last = _date_edit("report_to", today)
        self.show_button = button(tr("Show report"), "report_show", primary=True)
        self.pdf_button = button(tr("Save PDF…"), "report_pdf")
        self.csv_button = button(tr("Save CSV…"), "report_csv")
        self.reconcile_button = button(tr("Reconcile with the gateway"), "report_reconcile")
        widgets: list[QWidget] = [QLabel(tr("From")), self.first, QLabel(tr("to")), self.last]
        for widget in [*widgets, self.show_button]:
            row.addWidget(widget)
        row.addStretch(1)
        actions = QHBoxLayout()
        for button_widget in (self.pdf_button, self.csv_button, self.reconcile_button):
            actions.addWidget(button_widget)
        actions.addStretch(1)
        rows = QVBoxLayout()
        rows.addLayout(row)
        rows.addLayout(actions)
        return rows

    def _enable_saving(self, enabled: bool) -> None:
        self.pdf_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled)

    def period(self) -> tuple[date, date]:
        return _pydate(self.first.date()), _pydate(self.last.date())

    def set_period(self, first: date, last: date) -> None:
        self.first.setDate(_qdate(first))
        self.last.setDate(_qdate(last))

    # -- showing ------------------------------------------------------------------------------

    def show_report(self) -> bool:
        """Ask the manager PIN, then read the report in a worker."""
        first, last = self.period()
        if not self.gate.require(self, tr("open the shop-close report")):
            self.banner.show_message(tr("Not shown: the manager PIN was not given."), "warning")
            return False
        self.load(first, last)
        return True

    def load(self, first: date, last: date, note: tuple[str, str] | None = None) -> None:
        """Read the report (after the PIN) and show it when it answers; `note` (text, kind)
        stays in the banner instead of the report's own line."""
        self._asked += 1
        asked, app = self._asked, self.app
        if note is None:
            self.banner.show_message(tr("Reading the report…"), "info")
        self.runner.submit(
            lambda: (asked, app.report(first, last), note), self._shown, self._failed
        )

    def _shown(self, result: tuple[int, Any, tuple[str, str] | None]) -> None:
        asked, report, note = result
        if asked != self._asked:
            return
        self.report = report
        self.view.setHtml(report_html(report))
        self._enable_saving(True)
        if note is not None:
            self.banner.show_message(*note)
        elif report.needs_attention:
            self.banner.show_message(
                tr("{n} line(s) need a manager: see the lists in red.").format(
                    n=report.needs_attention
                ),
                "warning",
            )
        else:
            self.banner.show_message(tr("Nothing in this report needs a manager."), "success")

    def _failed(self, exc: BaseException) -> None:
        self.banner.show_message(plain_error(exc), "error")

    # -- saving and reconciling -----------------------------------------------------------------

    def save(self, kind: str) -> Path | None:
        if self.report is None:
            return None
        from edge_app.services.report_formats import to_csv

        name = f"report-{self.report.first_day.isoformat()}.{kind}"
        filters = tr("PDF files (*.pdf)") if kind == "pdf" else tr("CSV files (*.csv)")
        path = self.prompts.save_file(self, tr("Save the report"), name, filters)
        if path is None:
            return None
        try:
            if kind == "pdf":
                write_pdf(self.report, path)
            else:
                from storage.files import atomic_write

                atomic_write(path, to_csv(self.report).encode("utf-8"))
        except OSError as exc:
            self.banner.show_message(
                tr("Cannot write {name}: {why}").format(name=path.name, why=exc.strerror), "error"
            )
            return None
        self.banner.show_message(tr("Saved {name}.").format(name=path.name), "success")
        return path

    def reconcile(self) -> None:
        first, last = self.period()
        if not self.gate.require(self, tr("compare the confirmed records with the gateway")):
            self.banner.show_message(tr("Not done: the manager PIN was not given."), "warning")
            return
        self.reconcile_button.setEnabled(False)
        self.banner.show_message(tr("Asking the gateway…"), "info")
        app = self.app
        self.runner.submit(lambda: app.reconcile(first, last), self._reconciled, self._not_done)

    def _reconciled(self, result: Any) -> None:
        self.reconcile_button.setEnabled(True)
        text = tr("Asked about {checked} record(s): {found} difference(s).").format(
            checked=result.checked, found=len(result.findings)
        )
        if result.not_checked:
            text += " " + tr("{n} could not be asked; try again later.").format(
                n=result.not_checked
            )
        kind = "warning" if result.findings else "success"
        self.banner.show_message(text, kind)
        if result.findings:
            self.changed.emit()
        self.load(*self.period(), note=(text, kind))

    def _not_done(self, exc: BaseException) -> None:
        self.reconcile_button.setEnabled(True)
        self.banner.show_message(plain_error(exc), "error")
