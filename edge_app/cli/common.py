"""What every command of the command line shares: exit codes, `CliError`, the home, `_open`.

May import the standard library; `edge_app.config` and `edge_app.services` only inside the
functions (the parser imports this module, and start-up must stay cheap). Never Qt.
"""

from __future__ import annotations

import argparse
import getpass
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


def _open(args: argparse.Namespace, *, interactive: bool = True) -> App:
    """The installation in `--home`; `interactive` lets a terminal be asked for the passphrase."""
    from edge_app.services import App

    provider = _prompt_passphrase(confirm=False) if interactive else None
    app = App.open(_home(args), passphrase_provider=provider)
    # Who the audit trail names: the scheduled run, or a person at the command line.
    app.act_as("schedule" if getattr(args, "unattended", False) else "operator")
    return app


def _print_warnings(warnings: Sequence[object]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
