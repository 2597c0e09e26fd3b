"""What every command of the command line shares: exit codes, `CliError`, the home, `_open`.

May import the standard library; `edge_app.config` and `edge_app.services` only inside the
functions (the parser imports this module, and start-up must stay cheap). Never Qt.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_app.services import App

EXIT_OK = 0
EXIT_INTERNAL = 1  # a bug, and only that: logged at debug level, one line on the console
EXIT_USAGE = 2
EXIT_GATEWAY_DOWN = 4  # the gateway could not be reached; try again later (as `sync`)


_CARD_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")


def mask_card_runs(text: str) -> str:
    """`text` with every run of 12 to 19 digits shown as BIN + last four only: a message may
    quote what was typed (a file name, a refused value), and that may be a card number."""

    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]

    return _CARD_RUN.sub(mask, text)


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
    """The home folder; refused when it is a file or lies below one (nothing else can work)."""
    from edge_app.config import resolve_home

    home = resolve_home(args.home)
    for folder in (home, *home.parents):
        try:
            if not folder.exists():
                continue
        except OSError as exc:
            from storage.files import describe_os_error

            raise CliError(describe_os_error(exc, folder, "read")) from None
        if folder.is_dir():
            return home
        if folder == home:
            raise CliError(f"The data folder {home} is a file, not a folder; give a folder.")
        raise CliError(f"The data folder {home} lies below the file {folder}; give a folder.")
    return home


def _open(args: argparse.Namespace, *, interactive: bool = True) -> App:
    """The installation in `--home`; `interactive` lets a terminal be asked for the passphrase."""
    from edge_app.services import App

    provider = _prompt_passphrase(confirm=False) if interactive else None
    app = App.open(_home(args), passphrase_provider=provider, on_upgrade=_say_upgrading)
    # Who the audit trail names: the scheduled run, or a person at the command line.
    app.act_as("schedule" if getattr(args, "unattended", False) else "operator")
    return app


def _say_upgrading(old: int, new: int) -> None:
    """Before the first start of a new version upgrades the queue: it takes longer, once (the
    unattended run's log says so too)."""
    logging.getLogger("edge_app.cli").info("upgrading the queue from schema %d to %d", old, new)
    print(
        f"Updating the queue for this version (schema {old} to {new}); the first start of a "
        "new version does this once, and it can take a minute for a store with a long history.",
        file=sys.stderr,
        flush=True,
    )


def _print_warnings(warnings: Sequence[object]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
