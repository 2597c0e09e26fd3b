"""Sub-commands beside the core ones: sandbox, login, sync (schedule registers here too).

Nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import logging.handlers
import signal
import sys
from pathlib import Path
from typing import Any

LOG_DIR = "logs"
LOG_FILE = "edge-app.log"


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from edge_app.sandbox.cli import run

    return run(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from edge_app.demo import run

    return run(args)


def _open(args: argparse.Namespace, *, interactive: bool = True) -> Any:
    from edge_app.cli import _home, _prompt_passphrase
    from edge_app.services import App

    provider = _prompt_passphrase(confirm=False) if interactive else None
    return App.open(_home(args), passphrase_provider=provider)


def _cmd_login(args: argparse.Namespace) -> int:
    from edge_app.cli import CliError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Gateway password: ")
    else:
        raise CliError("No terminal to ask for the password; use --password-stdin.")
    app = _open(args)
    try:
        app.login(password)
        print(
            f"Logged in as {app.config.username}; "
            "the password is kept encrypted for unattended syncs."
        )
    finally:
        app.close()
    return 0


def add_run_log(home: Path) -> logging.Handler:
    """A rotating log under the home for unattended runs (messages never hold card data)."""
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


def _cmd_sync(args: argparse.Namespace) -> int:
    from edge_app.cli import _home
    from edge_app.sync.engine import EXIT_RETRY_LATER, CancelToken, Progress
    from edge_app.sync.lock import SyncLocked
    from storage.errors import DatabaseBusyError

    home = _home(args)
    log = logging.getLogger("edge_app.sync")
    handler = add_run_log(home) if args.unattended and home.exists() else None
    cancel = CancelToken()
    signal.signal(signal.SIGTERM, lambda *_: cancel.cancel())
    show_progress = sys.stderr.isatty() and not args.json

    def progress(p: Progress) -> None:
        if show_progress:
            sys.stderr.write(f"\r{p.step}: {p.done}/{p.total} {p.message[:40]:<40}")
            sys.stderr.flush()

    try:
        try:
            app = _open(args, interactive=not args.unattended)
        except Exception as exc:  # the run log must say why a night's run did nothing
            log.error("sync could not start: %s", _safe_reason(exc))
            raise
        try:
            summary = app.sync(
                trigger="unattended" if args.unattended else "command line",
                progress=progress,
                cancel=cancel,
                query_interval=args.query_interval,
            )
        except (SyncLocked, DatabaseBusyError) as busy:
            # Another sync, or another program writing to the database (a long import): nothing
            # was decided, so this is "try again later", not bad input.
            log.info("%s", busy)  # the run log; the console gets the line below
            outcome = "locked" if isinstance(busy, SyncLocked) else "database_busy"
            if args.json:
                print(
                    json.dumps(
                        {"outcome": outcome, "exit_code": EXIT_RETRY_LATER, "message": str(busy)}
                    )
                )
            else:
                print(f"edge-app: {busy}", file=sys.stderr)
            return EXIT_RETRY_LATER
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
    finally:
        if handler is not None:
            logging.getLogger("edge_app").removeHandler(handler)
            handler.close()


def _safe_reason(exc: BaseException) -> str:
    """Our own errors are plain sentences without card data; anything else only by its type."""
    from edge_app.domain.errors import ValidationError
    from edge_app.gateway.errors import GatewayError
    from storage.errors import StorageError

    if isinstance(exc, ValidationError | GatewayError | StorageError):
        return str(exc)
    return f"internal error ({type(exc).__name__})"


def _print_summary(summary: Any) -> None:
    print(
        f"Uploaded {summary.uploaded}, declined or failed {summary.failed}, held for a manager "
        f"{summary.held}, pending {summary.pending}, still queued {summary.left_queued}; card "
        f"list: {summary.blocklist_sent} sent, {summary.blocklist_left} waiting."
    )
    for line in summary.needs_attention:
        print(f"needs attention: {line}")
    for line in summary.retry_later:
        print(f"try again later: {line}")


def register(sub: Any) -> None:
    from edge_app.sandbox.cli import add_arguments as sandbox_arguments

    p = sub.add_parser("sandbox", help="run the embedded sandbox gateway on this computer")
    sandbox_arguments(p)
    p.set_defaults(func=_cmd_sandbox)

    from edge_app.demo import add_arguments as demo_arguments

    p = sub.add_parser("demo", help="try the app against the embedded sandbox (no account needed)")
    demo_arguments(p)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("login", help="log in to the gateway and keep the credentials encrypted")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=_cmd_login)

    p = sub.add_parser(
        "sync", help="upload everything queued (exit 0 done, 3 needs a person, 4 later)"
    )
    p.add_argument("--unattended", action="store_true", help="no prompts; log under the home")
    p.add_argument("--json", action="store_true", help="print a run summary as JSON")
    p.add_argument(
        "--query-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between queries of pending results (default 20)",
    )
    p.set_defaults(func=_cmd_sync)

    from edge_app import schedule

    p = sub.add_parser("schedule", help="register the unattended sync at shop close (OS scheduler)")
    schedule.add_arguments(p)
    p.set_defaults(func=schedule.run)
