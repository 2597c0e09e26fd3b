"""The whole `edge-app` argument parser, one small `_add_<command>` function per sub-command.

argparse declarations are cheap, so every command is declared here at start-up. Two commands'
options are declared by the packages that own them - `sandbox` (`edge_app.sandbox.cli`) and
`schedule` (`edge_app.schedule`) - and those packages are imported only when that sub-command is
parsed or its help is shown. May import the handler modules of this package (which import
nothing heavy at module level) and `edge_app.__version__`; never Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from edge_app import __version__
from edge_app.cli.cardlist import cmd_blocklist
from edge_app.cli.common import EXIT_USAGE, mask_card_runs
from edge_app.cli.db import cmd_db
from edge_app.cli.installation import cmd_init, cmd_login
from edge_app.cli.launch import cmd_demo, cmd_gui, cmd_sandbox
from edge_app.cli.queue import cmd_attention, cmd_capture, cmd_import, cmd_status
from edge_app.cli.reports import cmd_audit, cmd_reconcile, cmd_report
from edge_app.cli.secrets import PROMPT, add_allow_flag
from edge_app.cli.syncing import cmd_schedule, cmd_sync

Declare = Callable[[argparse.ArgumentParser], None]


class _Parser(argparse.ArgumentParser):
    """Usage mistakes get one plain line (and exit 2) instead of argparse's multi-line usage.

    `declare`, if given, adds this parser's arguments the first time it parses or shows its help.
    """

    def __init__(self, *args: Any, declare: Declare | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._declare = declare

    def _declared(self) -> None:
        declare, self._declare = self._declare, None
        if declare is not None:
            declare(self)

    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:
        self._declared()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self._declared()
        return super().format_usage()

    def format_help(self) -> str:
        self._declared()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        # argparse quotes the refused value: a card number typed in the wrong place is masked.
        message = mask_card_runs(message)
        sys.stderr.write(f"edge-app: {' '.join(message.split())} (see: {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[_Parser]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="edge-app",
        description="Edge Uploader: offline card payments queued in an encrypted database and "
        "uploaded to the gateway when it is reachable.",
    )
    parser.add_argument("--version", action="version", version=f"edge-app {__version__}")
    parser.add_argument("--home", help="data folder (default: EDGE_APP_HOME or the user data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (
        _add_init,
        _add_capture,
        _add_import,
        _add_blocklist,
        _add_status,
        _add_gui,
        _add_sandbox,
        _add_demo,
        _add_login,
        _add_sync,
        _add_schedule,
        _add_report,
        _add_reconcile,
        _add_audit,
        _add_db,
    ):
        add(sub)
    return parser


def _add_init(sub: Commands) -> None:
    p = sub.add_parser(
        "init",
        help="set up this PC for a store",
        epilog="Secrets never as arguments: --secrets-stdin reads client_secret=... and "
        "signing_secret=... lines; or set EDGE_APP_CLIENT_SECRET / EDGE_APP_SIGNING_SECRET; or "
        "give --client-secret / --signing-secret without a value to be asked.",
    )
    p.add_argument("--store-id", required=True)
    p.add_argument(
        "--environment", required=True, choices=["develop", "production", "custom", "sandbox"]
    )
    p.add_argument("--base-url")
    p.add_argument("--login-url")
    p.add_argument("--client-id")
    p.add_argument(
        "--client-secret",
        nargs="?",
        const=PROMPT,
        metavar="S",
        help="custom environment's client secret; without a value: ask for it",
    )
    p.add_argument("--username", required=True)
    p.add_argument("--list-mode", default="blacklist", choices=["blacklist", "whitelist", "none"])
    p.add_argument(
        "--signing-secret",
        nargs="?",
        const=PROMPT,
        metavar="S",
        help="X-SIGNATURE secret, if the merchant configured one; without a value: ask for it",
    )
    p.add_argument(
        "--secrets-stdin", action="store_true", help="read the secrets as name=value lines"
    )
    p.add_argument(
        "--key-store",
        default="auto",
        choices=["auto", "keyring", "file", "env"],
        help="where the database key is kept (auto: EDGE_APP_DB_KEY, then keyring, then file)",
    )
    add_allow_flag(p)
    p.set_defaults(func=cmd_init)


_CARD_ARG = "refused unless --allow-argv-card-data: use --card-stdin or the prompt"


def _add_capture(sub: Commands) -> None:
    p = sub.add_parser("capture", help="queue a sale, void or refund")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    s = kinds.add_parser(
        "sale",
        help="queue an offline sale",
        epilog="Card data never as arguments (others can see them): --card-stdin reads "
        "card_number=..., cvv=..., track2=..., icc=... lines from stdin; in a terminal without "
        "them you are asked. For many sales, use 'edge-app import transactions FILE'.",
    )
    s.add_argument("--amount", required=True)
    s.add_argument("--currency", required=True)
    s.add_argument("--card-stdin", action="store_true", help="read the card data from stdin")
    s.add_argument("--card-number", dest="card_number", metavar="PAN", help=_CARD_ARG)
    s.add_argument(
        "--expiry", help="card expiry: YYMM (2912), or MM/YY as printed on the card (12/29)"
    )
    s.add_argument("--cvv", help=_CARD_ARG)
    s.add_argument("--tips")
    s.add_argument(
        "--reader-mode", default="manual", choices=["manual", "swipe", "contact", "contactless"]
    )
    s.add_argument("--track2", help=_CARD_ARG)
    s.add_argument("--card-sn")
    s.add_argument("--icc", help="EMV ICC request data (hex); " + _CARD_ARG)
    s.add_argument("--auth-code", help="approval code obtained by phone, if any")
    s.add_argument("--uuid")
    add_allow_flag(s)
    v = kinds.add_parser("void", help="void a sale (full amount)")
    v.add_argument("--original", required=True, metavar="UUID_OR_BRN")
    v.add_argument("--uuid")
    r = kinds.add_parser("refund", help="refund part or all of a sale")
    r.add_argument("--original", required=True, metavar="UUID_OR_BRN")
    r.add_argument("--amount", required=True)
    r.add_argument("--uuid")
    p.set_defaults(func=cmd_capture)


def _add_import(sub: Commands) -> None:
    p = sub.add_parser("import", help="import transactions from a file")
    what = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    t = what.add_parser(
        "transactions", help=".jsonl or .csv; all rows or none (the way for batches of sales)"
    )
    t.add_argument("file")
    p.set_defaults(func=cmd_import)


def _add_blocklist(sub: Commands) -> None:
    p = sub.add_parser("blocklist", help="the store's card number list")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, what in (("add", "add card numbers"), ("del", "remove card numbers")):
        a = actions.add_parser(
            name,
            help=f"{what} (one per line on stdin, or asked for)",
            epilog="Card numbers as arguments are refused (others can see them) unless "
            "--allow-argv-card-data; for many, use 'edge-app blocklist import FILE'.",
        )
        a.add_argument("numbers", nargs="*", metavar="PAN", help=_CARD_ARG)
        add_allow_flag(a)
    i = actions.add_parser("import", help="add (or with --del remove) the numbers in a file")
    i.add_argument("file")
    i.add_argument("--del", dest="delete", action="store_true")
    e = actions.add_parser("export", help="write a CSV report (masked numbers)")
    e.add_argument("file")
    e.add_argument("--force", action="store_true", help="replace the file if it exists")
    li = actions.add_parser("list", help="show the list (masked)")
    li.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_blocklist)


def _add_status(sub: Commands) -> None:
    p = sub.add_parser("status", help="what is waiting, and the last sync")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser(
        "attention",
        help="what needs a person: held, declined or failed records no manager has seen, "
        "differences with the gateway",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--seen",
        action="append",
        default=[],
        metavar="UUID",
        help="mark a failed record as seen by a manager (repeatable)",
    )
    p.add_argument("--all-seen", action="store_true", help="mark every failed record as seen")
    p.add_argument(
        "--resolve",
        type=int,
        metavar="ID",
        help="close a difference reconcile found, once dealt with (needs --note)",
    )
    p.add_argument("--note", metavar="TEXT", help="what was done about the difference")
    p.set_defaults(func=cmd_attention)


def _add_gui(sub: Commands) -> None:
    p = sub.add_parser("gui", help="open the window (the default with no command)")
    p.set_defaults(func=cmd_gui)


def _add_sandbox(sub: Commands) -> None:
    p = sub.add_parser(
        "sandbox",
        help="run the embedded sandbox gateway on this computer",
        declare=_sandbox_arguments,
    )
    p.set_defaults(func=cmd_sandbox)


def _sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    from edge_app.sandbox.cli import add_arguments

    add_arguments(parser)


def _add_demo(sub: Commands) -> None:
    p = sub.add_parser("demo", help="try the app against the embedded sandbox (no account needed)")
    p.add_argument("--no-window", action="store_true", help="walk through on the command line")
    p.set_defaults(func=cmd_demo)


def _add_login(sub: Commands) -> None:
    p = sub.add_parser("login", help="log in to the gateway and keep the credentials encrypted")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=cmd_login)


def _add_sync(sub: Commands) -> None:
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
    p.set_defaults(func=cmd_sync)


def _add_db(sub: Commands) -> None:
    p = sub.add_parser("db", help="check a damaged queue, or copy what can be read of it")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("check", help="check every page and the structure (read-only)")
    e = actions.add_parser(
        "export-recovered",
        help="copy every readable row into a new file (same key and schema version)",
    )
    e.add_argument("file")
    e.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.set_defaults(func=cmd_db)


def _add_schedule(sub: Commands) -> None:
    p = sub.add_parser(
        "schedule",
        help="register the unattended sync at shop close (OS scheduler)",
        declare=_schedule_arguments,
    )
    p.set_defaults(func=cmd_schedule)


def _schedule_arguments(parser: argparse.ArgumentParser) -> None:
    from edge_app.schedule import add_arguments

    add_arguments(parser)


def _add_period(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", metavar="YYYY-MM-DD", help="one day (default: today)")
    p.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day of a period")
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (default: today)")


def _add_report(sub: Commands) -> None:
    p = sub.add_parser(
        "report", help="the shop-close report: taken, confirmed, declined, held, waiting"
    )
    _add_period(p)
    p.add_argument("--format", choices=["text", "csv", "pdf", "json"], default="text")
    p.add_argument("--output", metavar="FILE", help="write to FILE (a PDF needs one)")
    p.set_defaults(func=cmd_report)


def _add_reconcile(sub: Commands) -> None:
    p = sub.add_parser(
        "reconcile",
        help="compare the period's confirmed records with the gateway (exit 3: differences)",
    )
    _add_period(p)
    p.add_argument(
        "--seconds", type=float, default=120.0, metavar="N", help="time bound (default 120)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reconcile)


def _add_audit(sub: Commands) -> None:
    p = sub.add_parser("audit", help="the tamper-evident audit trail")
    actions = p.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    v = actions.add_parser("verify", help="recompute the chain; names the first bad entry")
    v.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)
