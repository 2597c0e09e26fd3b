"""The `edge-app` command line. Never imports Qt (the window is loaded only for `gui`).

Exit codes: 0 ok; 2 bad input, usage or configuration (one line on stderr, nothing stored);
1 an unexpected internal error, that is a bug (logged at debug level); `sync` also uses 3 (needs
a person) and 4 (try again later); `schedule` uses 5 when a system tool (crontab, systemctl,
schtasks) is missing or fails.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from edge_app import __version__

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_GATEWAY_DOWN = 4  # the gateway could not be reached; try again later (as `sync`)
log = logging.getLogger("edge_app.cli")


class CliError(Exception):
    """A refusal the user can fix: printed as one line, exit code 2 unless given."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def _prompt_passphrase(confirm: bool) -> Callable[[], str]:
    def ask() -> str:
        if not sys.stdin.isatty():
            return ""
        first = getpass.getpass("Database passphrase: ")
        if confirm and getpass.getpass("Repeat the passphrase: ") != first:
            raise CliError("The two passphrases differ; nothing was set up.")
        return first

    return ask


def _home(args: argparse.Namespace) -> Path:
    from edge_app.config import resolve_home

    return resolve_home(args.home)


def _open_app(args: argparse.Namespace) -> Any:
    from edge_app.services import App

    return App.open(_home(args), passphrase_provider=_prompt_passphrase(confirm=False))


def _print_warnings(warnings: Sequence[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


# -- commands ---------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from edge_app.services import App, InitSettings

    settings = InitSettings(
        store_id=args.store_id,
        environment=args.environment,
        username=args.username,
        base_url=args.base_url,
        login_url=args.login_url,
        client_id=args.client_id,
        client_secret=args.client_secret,
        list_mode=args.list_mode,
        key_store=args.key_store,
        signing_secret=args.signing_secret,
    )
    home = _home(args)
    app = App.init(home, settings, passphrase_provider=_prompt_passphrase(confirm=True))
    try:
        if app.key_source.warning:
            print(f"warning: {app.key_source.warning}", file=sys.stderr)
        print(
            f"Set up store {app.config.store_id} ({app.config.environment}, {app.config.base_url}) "
            f"in {home}; database key kept in the {app.key_source.describe()}."
        )
    finally:
        app.close()
    return EXIT_OK


def cmd_capture(args: argparse.Namespace) -> int:
    app = _open_app(args)
    try:
        if args.kind == "sale":
            result = app.capture_sale(
                amount=args.amount,
                currency=args.currency,
                tips=args.tips,
                reader_mode=args.reader_mode,
                card_number=args.card_number,
                expiry=args.expiry,
                cvv=args.cvv,
                track2=args.track2,
                card_sn=args.card_sn,
                icc=args.icc,
                auth_code=args.auth_code,
                uuid=args.uuid,
            )
        elif args.kind == "void":
            result = app.capture_void(args.original, uuid=args.uuid)
        else:
            result = app.capture_refund(args.original, args.amount, uuid=args.uuid)
    finally:
        app.close()
    _print_warnings(result.warnings)
    if result.note:
        print(result.note, file=sys.stderr)
    print(f"{args.kind} {result.state.value} {result.uuid}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    app = _open_app(args)
    try:
        captures = app.import_transactions(Path(args.file))
    finally:
        app.close()
    print(f"Imported {len(captures)} transaction(s) from {Path(args.file).name}.")
    print("The import file holds card data in plain text; delete it securely now.", file=sys.stderr)
    return EXIT_OK


def cmd_blocklist(args: argparse.Namespace) -> int:
    app = _open_app(args)
    try:
        if args.action == "add":
            changed = app.blocklist_add(args.numbers)
            print(f"{changed} card(s) added to the list (pending until the next sync).")
        elif args.action == "del":
            changed = app.blocklist_del(args.numbers)
            print(f"{changed} card(s) removed from the list (pending until the next sync).")
        elif args.action == "import":
            changed = app.blocklist_import(Path(args.file), delete=args.delete)
            verb = "removed from" if args.delete else "added to"
            print(f"{changed} card(s) {verb} the list (pending until the next sync).")
        elif args.action == "export":
            count = app.blocklist_export(Path(args.file))
            print(f"Wrote {count} masked card number(s) to {args.file}.")
        else:
            _print_blocklist(app, args.json, sys.stdout)
    finally:
        app.close()
    return EXIT_OK


def _print_blocklist(app: Any, as_json: bool, out: TextIO) -> None:
    counts = app.store.blocklist_counts()
    entries = []
    offset = 0
    while batch := app.store.blocklist_entries(offset=offset, limit=5000):
        entries.extend(batch)
        offset += len(batch)
    if as_json:
        doc = {
            "list_mode": app.config.list_mode,
            **counts,
            "entries": [
                {
                    "card": e.masked,
                    "on_list": e.desired,
                    "on_gateway": e.on_gateway,
                    "pending": e.pending,
                    "failed_reason": e.failed_reason,
                }
                for e in entries
            ],
        }
        print(json.dumps(doc, indent=2), file=out)
        return
    print(
        f"List mode: {app.config.list_mode}; {counts['cards']} card(s), "
        f"{counts['pending']} change(s) waiting to sync, {counts['failed']} failed.",
        file=out,
    )
    for e in entries:
        mark = f"  [{e.pending} pending]" if e.pending else ""
        if e.failed_reason:
            mark = f"  [failed: {e.failed_reason}]"
        print(f"{e.masked}{mark}", file=out)


def cmd_status(args: argparse.Namespace) -> int:
    app = _open_app(args)
    try:
        status = app.status()
    finally:
        app.close()
    if args.json:
        print(json.dumps(status, indent=2))
        return EXIT_OK
    tx = status["transactions"]
    print(f"Store {status['store_id']} ({status['environment']}) at {status['base_url']}")
    print(
        "Transactions: "
        + ", ".join(
            f"{tx[k]} {k}"
            for k in ("queued", "uploading", "pending", "uploaded", "failed", "cancelled")
        )
    )
    if status["unsent_totals"]:
        totals = ", ".join(f"{c} {a}" for c, a in status["unsent_totals"].items())
        print(f"Waiting to upload: {totals}")
    if status["oldest_unsent"]:
        print(f"Oldest unsent: {status['oldest_unsent_age_hours']} h ({status['age_level']})")
    bl = status["blocklist"]
    print(
        f"Card list ({status['list_mode']}): {bl['cards']} card(s), "
        f"{bl['pending']} change(s) pending"
    )
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from edge_app.ui.app import run_gui
    except ImportError as exc:
        raise CliError(f"The window cannot start: {exc}. Install PySide6-Essentials.") from None
    return int(run_gui(_home(args)))


# -- parser -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Usage mistakes get one plain line (and exit 2) instead of argparse's multi-line usage."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"edge-app: {message} (see: {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


# Sub-commands defined in this module; the others (sync, login, sandbox, demo, schedule) come from
# `edge_app.commands`, whose imports (the sandbox's HTTP server, the scheduler) cost about 40 ms.
CORE_COMMANDS = frozenset({"init", "capture", "import", "blocklist", "status", "gui"})


def build_parser(*, optional_commands: bool = True) -> argparse.ArgumentParser:
    """The full parser; without `optional_commands`, only the commands defined here."""
    parser = _Parser(
        prog="edge-app",
        description="Edge Uploader: offline card payments queued in an encrypted database and "
        "uploaded to the gateway when it is reachable.",
    )
    parser.add_argument("--version", action="version", version=f"edge-app {__version__}")
    parser.add_argument("--home", help="data folder (default: EDGE_APP_HOME or the user data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="set up this PC for a store")
    p.add_argument("--store-id", required=True)
    p.add_argument(
        "--environment", required=True, choices=["develop", "production", "custom", "sandbox"]
    )
    p.add_argument("--base-url")
    p.add_argument("--login-url")
    p.add_argument("--client-id")
    p.add_argument("--client-secret")
    p.add_argument("--username", required=True)
    p.add_argument("--list-mode", default="blacklist", choices=["blacklist", "whitelist", "none"])
    p.add_argument("--signing-secret", help="X-SIGNATURE secret, if the merchant configured one")
    p.add_argument(
        "--key-store",
        default="auto",
        choices=["auto", "keyring", "file", "env"],
        help="where the database key is kept (auto: EDGE_APP_DB_KEY, then keyring, then file)",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("capture", help="queue a sale, void or refund")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    s = kinds.add_parser("sale", help="queue an offline sale")
    s.add_argument("--amount", required=True)
    s.add_argument("--currency", required=True)
    s.add_argument("--card-number", dest="card_number")
    s.add_argument("--expiry", help="YYMM")
    s.add_argument("--cvv")
    s.add_argument("--tips")
    s.add_argument(
        "--reader-mode", default="manual", choices=["manual", "swipe", "contact", "contactless"]
    )
    s.add_argument("--track2")
    s.add_argument("--card-sn")
    s.add_argument("--icc", help="EMV ICC request data (hex)")
    s.add_argument("--auth-code", help="approval code obtained by phone, if any")
    s.add_argument("--uuid")
    v = kinds.add_parser("void", help="void a sale (full amount)")
    v.add_argument("--original", required=True, metavar="UUID_OR_BRN")
    v.add_argument("--uuid")
    r = kinds.add_parser("refund", help="refund part or all of a sale")
    r.add_argument("--original", required=True, metavar="UUID_OR_BRN")
    r.add_argument("--amount", required=True)
    r.add_argument("--uuid")
    p.set_defaults(func=cmd_capture)

    p = sub.add_parser("import", help="import transactions from a file")
    what = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    t = what.add_parser("transactions", help=".jsonl or .csv; all rows or none")
    t.add_argument("file")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("blocklist", help="the store's card number list")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="add card numbers")
    a.add_argument("numbers", nargs="+", metavar="PAN")
    d = actions.add_parser("del", help="remove card numbers")
    d.add_argument("numbers", nargs="+", metavar="PAN")
    i = actions.add_parser("import", help="add (or with --del remove) the numbers in a file")
    i.add_argument("file")
    i.add_argument("--del", dest="delete", action="store_true")
    e = actions.add_parser("export", help="write a CSV report (masked numbers)")
    e.add_argument("file")
    li = actions.add_parser("list", help="show the list (masked)")
    li.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_blocklist)

    p = sub.add_parser("status", help="what is waiting, and the last sync")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("gui", help="open the window (the default with no command)")
    p.set_defaults(func=cmd_gui)

    if optional_commands:
        _add_optional_commands(sub)
    return parser


def _add_optional_commands(sub: Any) -> None:
    """Commands whose modules register themselves (sync, login, sandbox, schedule)."""
    from edge_app import commands

    commands.register(sub)


def _command_word(argv: Sequence[str]) -> str | None:
    """The sub-command `argv` names (skipping --home and its value), or None."""
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--home":
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            return arg
    return None


def _setup_logging() -> None:
    level = os.environ.get("EDGE_APP_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    from edge_app.domain.errors import ValidationError
    from edge_app.gateway.errors import GatewayError
    from storage.errors import StorageError

    os.umask(0o077)  # every file this process creates is owner-only
    _setup_logging()
    if argv is None:
        argv = sys.argv[1:]
    # A core command needs only its own parser: start-up skips the optional commands' imports.
    parser = build_parser(optional_commands=_command_word(argv) not in CORE_COMMANDS)
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        args.func = cmd_gui
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"edge-app: {exc}", file=sys.stderr)
        return exc.code
    except (ValidationError, StorageError) as exc:
        print(f"edge-app: {exc}", file=sys.stderr)
        for problem in getattr(exc, "problems", []):
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except GatewayError as exc:  # messages are scrubbed plain sentences
        print(f"edge-app: {exc}", file=sys.stderr)
        return EXIT_GATEWAY_DOWN if exc.should_retry else EXIT_USAGE
    except KeyboardInterrupt:
        print("edge-app: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so without a traceback or any data
        log.debug("internal error", exc_info=True)
        print(
            f"edge-app: internal error ({type(exc).__name__}); nothing more was stored. "
            "Run with EDGE_APP_LOG_LEVEL=DEBUG for details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
