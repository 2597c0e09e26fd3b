"""Card data and secrets come in on stdin or at a prompt, never on the command line.

Arguments are visible to every user of the computer (`ps`, /proc) and stay in shell history, so
card numbers, CVVs, track and chip data, and the client and signing secrets given as arguments
are refused unless `--allow-argv-card-data` (for test scripts on test cards). The ways in:
`name=value` lines on stdin (`--card-stdin`, `--secrets-stdin`), a prompt without echo in a
terminal, environment variables for the init secrets, and for batches an import file. May
import `cli.common` and the standard library only. Never Qt.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from edge_app.cli.common import CliError

ALLOW_FLAG = "--allow-argv-card-data"
PROMPT = "\x00prompt"  # the value of `--client-secret` / `--signing-secret` given without one
CARD_FIELDS = ("card_number", "cvv", "track2", "icc")
SECRET_FIELDS = ("client_secret", "signing_secret")
SECRET_ENV = {
    "client_secret": "EDGE_APP_CLIENT_SECRET",  # variable names, not secrets
    "signing_secret": "EDGE_APP_SIGNING_SECRET",
}
MAX_STDIN_BYTES = 64 * 1024

ARGV_REFUSED = (
    "{what} on the command line is visible to every user of this computer and stays in the "
    "shell history; {how}. Test scripts on test cards may add " + ALLOW_FLAG + "."
)
CARD_HOW = (
    "give it on stdin with --card-stdin (lines card_number=..., cvv=..., track2=..., icc=...), "
    "at the prompt in a terminal, or for many sales in a file ('edge-app import transactions')"
)


def add_allow_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        ALLOW_FLAG,
        dest="allow_argv_card_data",
        action="store_true",
        help="accept card data or secrets as arguments (test scripts only: others can see them)",
    )


def read_fields(names: Sequence[str], source: str) -> dict[str, str]:
    """`name=value` lines from stdin (blank lines skipped); one sentence for a bad line."""
    text = sys.stdin.read(MAX_STDIN_BYTES + 1)
    if len(text) > MAX_STDIN_BYTES:
        raise CliError(f"{source}: stdin holds more than {MAX_STDIN_BYTES} bytes.")
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or name not in names:
            raise CliError(
                f"{source}: stdin line {number} must be name=value with a name of "
                f"{', '.join(names)}."
            )
        if name in values:
            raise CliError(f"{source}: stdin gives {name} twice.")
        values[name] = value.strip()
    return values


def card_fields(args: argparse.Namespace) -> dict[str, str | None]:
    """The sale's card data: from stdin, the prompt, or (allowed only) the arguments."""
    given = {name: getattr(args, name) for name in CARD_FIELDS}
    in_argv = [name for name, value in given.items() if value is not None]
    if in_argv and not args.allow_argv_card_data:
        raise CliError(ARGV_REFUSED.format(what="Card data", how=CARD_HOW))
    if args.card_stdin:
        for name, value in read_fields(CARD_FIELDS, "--card-stdin").items():
            if given[name] is not None:
                raise CliError(f"--card-stdin: {name} is also given as an argument; give it once.")
            given[name] = value or None
    elif not in_argv:
        if not sys.stdin.isatty():
            raise CliError(f"No card data was given: {CARD_HOW}.")
        given.update(_ask_card(args.reader_mode))
    return given


def _ask_card(reader_mode: str) -> dict[str, str | None]:
    """Ask without echo, as a card reader's keyboard wedge would type it."""
    asked: dict[str, str | None] = {}
    if reader_mode == "swipe":
        asked["track2"] = getpass.getpass("Track 2: ").strip() or None
    else:
        asked["card_number"] = getpass.getpass("Card number: ").strip() or None
    if reader_mode in ("contact", "contactless"):
        asked["icc"] = getpass.getpass("ICC data (hex, Enter for none): ").strip() or None
    asked["cvv"] = getpass.getpass("CVV (Enter for none): ").strip() or None
    return asked


def card_numbers(args: argparse.Namespace) -> list[str]:
    """`blocklist add/del` numbers: one per line on stdin, at a prompt, or allowed arguments."""
    if args.numbers:
        if not args.allow_argv_card_data:
            raise CliError(
                ARGV_REFUSED.format(
                    what="A card number",
                    how="give the numbers one per line on stdin, at the prompt in a terminal, "
                    "or in a file ('edge-app blocklist import FILE')",
                )
            )
        return list(args.numbers)
    if sys.stdin.isatty():
        numbers = []
        while number := getpass.getpass("Card number (Enter when done): ").strip():
            numbers.append(number)
        return numbers
    text = sys.stdin.read(MAX_STDIN_BYTES + 1)
    if len(text) > MAX_STDIN_BYTES:
        raise CliError(f"stdin holds more than {MAX_STDIN_BYTES} bytes; import a file instead.")
    return [line.strip() for line in text.splitlines() if line.strip()]


def init_secrets(args: argparse.Namespace) -> dict[str, str | None]:
    """The client and signing secrets of `init`: stdin, the environment, a prompt, arguments."""
    given = {name: getattr(args, name) for name in SECRET_FIELDS}
    in_argv = [n for n, v in given.items() if v is not None and v != PROMPT]
    if in_argv and not args.allow_argv_card_data:
        raise CliError(
            ARGV_REFUSED.format(
                what="A secret",
                how="give it on stdin with --secrets-stdin (lines client_secret=..., "
                "signing_secret=...), in EDGE_APP_CLIENT_SECRET or EDGE_APP_SIGNING_SECRET, or "
                "at the prompt (the option without a value)",
            )
        )
    from_stdin = read_fields(SECRET_FIELDS, "--secrets-stdin") if args.secrets_stdin else {}
    for name in SECRET_FIELDS:
        value = from_stdin.get(name) or os.environ.get(SECRET_ENV[name]) or None
        if given[name] == PROMPT:
            if not sys.stdin.isatty():
                raise CliError(f"No terminal to ask for the {name.replace('_', ' ')}; use stdin.")
            value = getpass.getpass(f"{name.replace('_', ' ').capitalize()}: ").strip() or None
        elif given[name] is not None:
            value = given[name]
        given[name] = value
    return given
