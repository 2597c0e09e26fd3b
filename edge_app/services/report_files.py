"""The reports the shop-close run keeps under `<home>/reports/`: one CSV and PDF per day.

Files are owner-only and hold masked cards only; the oldest are removed after `report_days`
(a setting). The window's "last night's report" reads the newest CSV back. The PDF is drawn by
the window's toolkit, so its writer is handed in by the caller. May import the domain and
storage.files.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from edge_app.domain.report import ShopCloseReport
from edge_app.services.report_formats import to_csv
from storage.files import atomic_write, ensure_private_dir

REPORTS_DIR = "reports"
_NAME = re.compile(r"^report-(\d{4}-\d{2}-\d{2})\.(csv|pdf)$")
PdfWriter = Callable[[ShopCloseReport, Path], None]


def report_path(home: Path, day: date, suffix: str) -> Path:
    return home / REPORTS_DIR / f"report-{day.isoformat()}.{suffix}"


def write_day_report(home: Path, report: ShopCloseReport, pdf: PdfWriter | None) -> list[Path]:
    """Write the report's CSV and (with a writer) PDF for its first day; the paths written."""
    ensure_private_dir(home / REPORTS_DIR)
    csv_path = report_path(home, report.first_day, "csv")
    atomic_write(csv_path, to_csv(report).encode("utf-8"))
    written = [csv_path]
    if pdf is not None:
        pdf_path = report_path(home, report.first_day, "pdf")
        pdf(report, pdf_path)
        written.append(pdf_path)
    return written


def prune_reports(home: Path, today: date, keep_days: int) -> list[Path]:
    """Remove the day reports older than `keep_days` days; the paths removed."""
    oldest = today - timedelta(days=keep_days - 1)
    removed: list[Path] = []
    folder = home / REPORTS_DIR
    if not folder.is_dir():
        return removed
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if match and date.fromisoformat(match.group(1)) < oldest:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@dataclass(frozen=True)
class SavedReport:
    """The newest report the shop-close run wrote, as the window announces it."""

    day: date
    csv_path: Path
    pdf_path: Path | None
    declined: int
    held: int
    differences: int
    chain_verified: bool


def newest_report(home: Path, *, not_before: date | None = None) -> SavedReport | None:
    """The newest day report under the home (none older than `not_before`), read back."""
    folder = home / REPORTS_DIR
    days = (
        sorted(
            date.fromisoformat(m.group(1))
            for m in (_NAME.match(p.name) for p in folder.glob("report-*.csv"))
            if m
        )
        if folder.is_dir()
        else []
    )
    if not days or (not_before is not None and days[-1] < not_before):
        return None
    day = days[-1]
    csv_path = report_path(home, day, "csv")
    counts = {"declined_record": 0, "held_record": 0, "difference": 0}
    verified = False
    try:
        with csv_path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                section = row.get("section") or ""
                if section in counts:
                    counts[section] += 1
                elif section == "audit":
                    verified = row.get("item") == "verified"
    except (OSError, csv.Error):
        return None
    pdf_path = report_path(home, day, "pdf")
    return SavedReport(
        day,
        csv_path,
        pdf_path if pdf_path.exists() else None,
        counts["declined_record"],
        counts["held_record"],
        counts["difference"],
        verified,
    )
