"""`report`, `reconcile` and `audit verify`, and what the shop-close run adds after its sync.

May import `cli.common`; the services inside the handlers. The PDF is drawn with Qt, so
`edge_app.ui.report_view` is imported only when a PDF is written.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_app.cli.common import EXIT_OK, CliError, _open

if TYPE_CHECKING:
    from edge_app.domain.report import ShopCloseReport
    from edge_app.services import App

EXIT_NEEDS_PERSON = 3
log = logging.getLogger("edge_app.sync")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{option} must be a date like 2024-05-31.") from None


def _period(args: argparse.Namespace) -> tuple[date, date]:
    """--date D, or --from A [--to B] (B: today), or today."""
    from edge_app.services import today

    if args.date and (args.start or args.end):
        raise CliError("Give either --date or --from/--to, not both.")
    if args.date:
        day = _day(args.date, "--date")
        return day, day
    if args.end and not args.start:
        raise CliError("--to needs --from.")
    if args.start:
        return _day(args.start, "--from"), _day(args.end, "--to") if args.end else today()
    return today(), today()


def _pdf_writer() -> Any:
    """The Qt PDF writer, or a plain refusal where Qt cannot start."""
    try:
        from edge_app.ui.report_view import write_pdf
    except ImportError as exc:
        raise CliError(
            f"A PDF needs the window's libraries, which cannot load here ({exc})."
        ) from None
    return write_pdf


def _write(path: Path, data: bytes) -> None:
    from storage.files import atomic_write

    try:
        atomic_write(path, data)
    except OSError as exc:
        raise CliError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def cmd_report(args: argparse.Namespace) -> int:
    from edge_app.services.report_formats import to_csv, to_json, to_text

    first, last = _period(args)
    if args.format == "pdf" and not args.output:
        raise CliError("A PDF report needs --output FILE.")
    app = _open(args)
    try:
        report = app.report(first, last)
    finally:
        app.close()
    if args.format == "pdf":
        output = Path(args.output)
        if not output.parent.is_dir():
            raise CliError(f"The folder {output.parent} does not exist.")
        _pdf_writer()(report, output)
        print(f"Wrote the report for {report.period} to {output}.")
        return EXIT_OK
    if args.format == "json":
        text = json.dumps(to_json(report), indent=2) + "\n"
    else:
        text = to_csv(report) if args.format == "csv" else to_text(report)
    if args.output:
        _write(Path(args.output), text.encode("utf-8"))
        print(f"Wrote the report for {report.period} to {args.output}.")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_reconcile(args: argparse.Namespace) -> int:
    first, last = _period(args)
    app = _open(args)
    try:
        result = app.reconcile(first, last, seconds=args.seconds)
    finally:
        app.close()
    if args.json:
        print(json.dumps(_reconcile_json(result), indent=2))
    else:
        print(
            f"Asked the gateway about {result.checked} confirmed record(s): "
            f"{len(result.findings)} difference(s) ({result.new} new)"
            + (
                f"; {result.not_checked} not asked ({result.stopped})."
                if result.not_checked
                else "."
            )
        )
        for finding in result.findings:
            print(f"needs attention: {finding.detail}")
    return int(result.exit_code)


def _reconcile_json(result: Any) -> dict[str, Any]:
    return {
        "checked": result.checked,
        "not_checked": result.not_checked,
        "stopped": result.stopped,
        "new": result.new,
        "differences": [vars(f) for f in result.findings],
        "exit_code": result.exit_code,
    }


def cmd_audit(args: argparse.Namespace) -> int:
    app = _open(args)
    try:
        check = app.verify_audit()
    finally:
        app.close()
    if args.json:
        print(json.dumps(check.to_json(), indent=2))
    elif check.ok:
        print(
            f"The audit trail verifies: {check.entries} entries; head entry {check.head_id} "
            f"{check.head_mac}."
        )
    else:
        print(
            f"The audit trail does not verify: entry {check.bad_id} ({check.bad_event}) does not "
            f"match; {check.problem}. The {check.entries} entries before it verify.",
            file=sys.stderr,
        )
    return EXIT_OK if check.ok else EXIT_NEEDS_PERSON


def shop_close_extras(args: argparse.Namespace) -> None:
    """After the unattended sync: reconcile the day (bounded) and write its report (CSV and
    PDF) under <home>/reports/, removing reports older than the setting. Failures are logged;
    they do not change the sync's exit code."""
    from edge_app.services import local_now
    from edge_app.services.shop_close import business_day

    try:
        app = _open(args, interactive=False)
    except Exception as exc:
        log.error("shop-close report not written: %s", _reason(exc))
        return
    try:
        day = business_day(local_now())
        _reconcile_quietly(app, day)
        _write_day_report(app, app.report(day))
    except Exception as exc:
        log.error("shop-close report not written: %s", _reason(exc))
    finally:
        app.close()


def _reconcile_quietly(app: App, day: date) -> None:
    try:
        result = app.reconcile(day)
    except Exception as exc:  # the report is still written, without the newest differences
        log.error("reconciliation did not run: %s", _reason(exc))
        return
    log.info(
        "reconciliation: %d checked, %d difference(s), %d not checked",
        result.checked,
        len(result.findings),
        result.not_checked,
    )


def _write_day_report(app: App, report: ShopCloseReport) -> None:
    from edge_app.services.report_files import prune_reports, write_day_report

    try:
        pdf = _pdf_writer()
    except CliError as exc:
        log.error("%s Only the CSV report is written.", exc)
        pdf = None
    written = write_day_report(app.home, report, pdf)
    removed = prune_reports(app.home, report.first_day, app.config.report_days)
    log.info(
        "shop-close report written: %s; %d old file(s) removed",
        ", ".join(p.name for p in written),
        len(removed),
    )


def _reason(exc: BaseException) -> str:
    from edge_app.cli.syncing import _safe_reason

    return _safe_reason(exc)
