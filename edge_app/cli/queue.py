"""`capture`, `import transactions` and `status`: put payments in the queue and see what waits.

May import `cli.common`; everything else goes through the `App` that `_open` returns. Never Qt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edge_app.cli.common import EXIT_OK, _open, _print_warnings


def cmd_capture(args: argparse.Namespace) -> int:
    from edge_app.cli.secrets import card_fields

    card = card_fields(args) if args.kind == "sale" else {}  # before the passphrase prompt
    app = _open(args)
    try:
        if args.kind == "sale":
            result = app.capture_sale(
                amount=args.amount,
                currency=args.currency,
                tips=args.tips,
                reader_mode=args.reader_mode,
                expiry=args.expiry,
                card_sn=args.card_sn,
                auth_code=args.auth_code,
                uuid=args.uuid,
                **card,
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
    app = _open(args)
    try:
        captures = app.import_transactions(Path(args.file))
    finally:
        app.close()
    print(f"Imported {len(captures)} transaction(s) from {Path(args.file).name}.")
    print("The import file holds card data in plain text; delete it securely now.", file=sys.stderr)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    app = _open(args)
    try:
        status = app.status()
    finally:
        app.close()
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        _print_status(status)
    return EXIT_OK


def _print_status(status: dict[str, Any]) -> None:
    tx = status["transactions"]
    print(f"Store {status['store_id']} ({status['environment']}) at {status['base_url']}")
    print(
        "Transactions: "
        + ", ".join(
            f"{tx[k]} {k}"
            for k in ("queued", "uploading", "pending", "held", "uploaded", "failed", "cancelled")
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
