"""`sync` and `schedule`: upload what is queued now, or every day after shop close.

Unattended runs also log to a rotating file under the home. May import `cli.common`; the sync
engine, the lock, the scheduler and even `logging.handlers` and `signal` only inside the
functions that use them (the parser imports this module at every start-up). Never Qt.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from edge_app.cli.common import _home, _open

if TYPE_CHECKING:
    from edge_app.sync.engine import CancelToken, Progress, SyncSummary

LOG_DIR = "logs"
LOG_FILE = "edge-app.log"
log = logging.getLogger("edge_app.sync")


def add_run_log(home: Path) -> logging.Handler:
    """A rotating log under the home for unattended runs (messages never hold card data)."""
    import logging.handlers

    from storage.files import ensure_private_dir

    folder = home / LOG_DIR
    ensure_private_dir(folder)
    handler = logging.handlers.RotatingFileHandler(
        folder / LOG_FILE, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger("edge_app")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def cmd_sync(args: argparse.Namespace) -> int:
    """One sync run; SIGTERM cancels it. The run log, the log level and the SIGTERM handler are
    put back afterwards, so that `main` can also be called inside another program (the tests)."""
    import signal

    from edge_app.sync.engine import CancelToken

    home = _home(args)
    root = logging.getLogger("edge_app")
    level = root.level
    handler = add_run_log(home) if args.unattended and home.exists() else None
    cancel = CancelToken()
    previous = signal.signal(signal.SIGTERM, lambda *_: cancel.cancel())
    try:
        code = _sync(args, cancel)
        if args.unattended and not cancel.cancelled:
            from edge_app.cli.reports import shop_close_extras

            shop_close_extras(args)  # the day's reconciliation and report, after its sync
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if handler is not None:
            root.removeHandler(handler)
            handler.close()
            root.setLevel(level)


def _sync(args: argparse.Namespace, cancel: CancelToken) -> int:
    from edge_app.sync.lock import SyncLocked
    from storage.errors import DatabaseBusyError

    show_progress = sys.stderr.isatty() and not args.json
    try:
        app = _open(args, interactive=not args.unattended)
    except Exception as exc:  # the run log must say why a night's run did nothing
        log.error("sync could not start: %s", _safe_reason(exc))
        raise
    try:
        summary = app.sync(
            trigger="unattended" if args.unattended else "command line",
            progress=_progress_printer(show_progress),
            cancel=cancel,
            query_interval=args.query_interval,
        )
    except (SyncLocked, DatabaseBusyError) as busy:
        # Another sync, or another program writing to the database (a long import): nothing
        # was decided, so this is "try again later", not bad input.
        return _told_busy(busy, isinstance(busy, SyncLocked), args.json)
    finally:
        app.close()
    if show_progress:
        sys.stderr.write("\n")
    log.info("sync finished: %s", json.dumps(summary.to_json()))
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        _print_summary(summary)
    return int(summary.exit_code)


def _progress_printer(show: bool) -> Callable[[Progress], None]:
    def progress(p: Progress) -> None:
        if show:
            sys.stderr.write(f"\r{p.step}: {p.done}/{p.total} {p.message[:40]:<40}")
            sys.stderr.flush()

    return progress


def _told_busy(busy: Exception, locked: bool, as_json: bool) -> int:
    from edge_app.sync.engine import EXIT_RETRY_LATER

    log.info("%s", busy)  # the run log; the console gets the line below
    outcome = "locked" if locked else "database_busy"
    if as_json:
        print(json.dumps({"outcome": outcome, "exit_code": EXIT_RETRY_LATER, "message": str(busy)}))
    else:
        print(f"edge-app: {busy}", file=sys.stderr)
    return EXIT_RETRY_LATER


def _safe_reason(exc: BaseException) -> str:
    """Our own errors are plain sentences without card data; anything else only by its type."""
    from edge_app.domain.errors import ValidationError
    from edge_app.gateway.errors import GatewayError
    from storage.errors import StorageError

    if isinstance(exc, ValidationError | GatewayError | StorageError):
        return str(exc)
    return f"internal error ({type(exc).__name__})"


def _print_summary(summary: SyncSummary) -> None:
    print(
        f"Uploaded {summary.uploaded}, declined or failed {summary.failed}, held for a manager "
        f"{summary.held}, pending {summary.pending}, still queued {summary.left_queued}; card "
        f"list: {summary.blocklist_sent} sent, {summary.blocklist_left} waiting."
    )
    for line in summary.needs_attention:
        print(f"needs attention: {line}")
    for line in summary.retry_later:
        print(f"try again later: {line}")


def cmd_schedule(args: argparse.Namespace) -> int:
    from edge_app.schedule import run

    return run(args)
