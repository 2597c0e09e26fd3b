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
from edge_app.domain.card import expiry_as_yymm
from edge_app.domain.limits import age_words


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
                expiry=expiry_as_yymm(args.expiry) if args.expiry else None,
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
    print(f"Imported {captures.count} transaction(s) from {Path(args.file).name}.")
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
    print("Waiting to send: " + waiting_line(status["waiting"]))
    seconds = status["oldest_waiting_seconds"]
    if seconds is not None:
        print(f"Oldest waiting: {age_words(seconds)} ({status['age_level']})")
    print(f"Card list ({status['list_mode']}): {status['blocklist']['cards']} card(s)")
    print("Last sync: " + last_sync_line(status["last_sync"]))
    print(f"Needs attention: {status['needs_attention']}")
    for item in status["attention"]:
        print("  " + attention_line(item))
    if status["blocklist"]["failed"]:
        print(f"  {status['blocklist']['failed']} card list change(s) refused by the gateway")
    if status["gateway_differences"]:
        print(
            f"  {status['gateway_differences']} difference(s) with the gateway found by "
            "reconcile (edge-app attention lists them)"
        )


def waiting_line(waiting: dict[str, Any]) -> str:
    parts = []
    if waiting["sale_count"]:
        parts.append(f"{waiting['sale_count']} sale(s) {_amounts(waiting['sales'])}")
    if waiting["refund_count"]:
        parts.append(f"{waiting['refund_count']} refund(s) -{_amounts(waiting['refunds'], '-')}")
    if waiting["voids"]:
        parts.append(f"{waiting['voids']} void(s)")
    if waiting["card_list_changes"]:
        parts.append(f"{waiting['card_list_changes']} card list change(s)")
    return ", ".join(parts) if parts else "nothing"


def _amounts(totals: dict[str, str], sign: str = "") -> str:
    return f", {sign}".join(f"{cur} {amount}" for cur, amount in totals.items())


def last_sync_line(run: dict[str, Any] | None) -> str:
    if not run:
        return "never"
    from datetime import datetime

    when = datetime.fromtimestamp(run.get("finished_ts") or run["started_ts"]).astimezone()
    outcome = run.get("outcome") or "did not finish"
    return f"{when:%Y-%m-%d %H:%M} ({run['trigger']}): {outcome}"


def attention_line(item: dict[str, Any]) -> str:
    what = "Declined" if item["declined"] else {"held": "Held", "failed": "Failed"}[item["state"]]
    money = f"{item['currency']} {item['amount']}" if item["amount"] else ""
    parts = [what, item["kind"], money, item["masked_card"] or "", item["captured_at"][:16]]
    reason = f": {item['reason']}" if item["reason"] else ""
    return " ".join(p for p in parts if p) + reason + f" ({item['uuid']})"


def cmd_attention(args: argparse.Namespace) -> int:
    app = _open(args)
    try:
        if args.resolve is not None:
            app.resolve_difference(args.resolve, args.note or "")
            print(f"Difference {args.resolve} resolved.")
            return EXIT_OK
        if args.all_seen or args.seen:
            done = (
                app.mark_all_seen(by="cli") if args.all_seen else app.mark_seen(args.seen, by="cli")
            )
            print(f"Marked {done} failed record(s) as seen.")
            return EXIT_OK
        status = app.status()
        differences = app.open_differences()
    finally:
        app.close()
    if args.json:
        doc = {
            "needs_attention": status["needs_attention"],
            "attention": status["attention"],
            "gateway_differences": [_difference_json(d) for d in differences],
        }
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    print(f"Needs attention: {status['needs_attention']}")
    for item in status["attention"]:
        print("  " + attention_line(item))
    for d in differences:
        print(f"  Difference {d.id} ({d.kind}) {d.tx_uuid}: {d.detail}")
    return EXIT_OK


def _difference_json(d: Any) -> dict[str, Any]:
    return {
        "id": d.id,
        "uuid": d.tx_uuid,
        "kind": d.kind,
        "local": d.local,
        "gateway": d.gateway,
        "detail": d.detail,
        "found_ts": d.found_ts,
    }
