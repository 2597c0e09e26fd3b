"""`blocklist add|del|import|export|list`: the store's card number list, masked on the way out.

May import `cli.common`; the list is read and changed only through the `App` facade. Never Qt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from edge_app.cli.common import EXIT_OK, _open

if TYPE_CHECKING:
    from edge_app.services import App


def cmd_blocklist(args: argparse.Namespace) -> int:
    from edge_app.cli.secrets import card_numbers

    numbers = card_numbers(args) if args.action in ("add", "del") else []
    app = _open(args)
    try:
        if args.action == "add":
            changed = app.blocklist_add(numbers)
            print(f"{changed} card(s) added to the list (pending until the next sync).")
        elif args.action == "del":
            changed = app.blocklist_del(numbers)
            print(f"{changed} card(s) removed from the list (pending until the next sync).")
        elif args.action == "import":
            changed = app.blocklist_import(Path(args.file), delete=args.delete)
            verb = "removed from" if args.delete else "added to"
            print(f"{changed} card(s) {verb} the list (pending until the next sync).")
        elif args.action == "export":
            count = app.blocklist_export(Path(args.file), force=args.force)
            print(f"Wrote {count} masked card number(s) to {args.file}.")
        else:
            _print_blocklist(app, args.json, sys.stdout)
    finally:
        app.close()
    return EXIT_OK


def _print_blocklist(app: App, as_json: bool, out: TextIO) -> None:
    counts = app.card_list_counts()
    entries = list(app.iter_card_list_entries())
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
