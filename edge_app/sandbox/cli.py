"""`edge-app sandbox`: run the embedded sandbox gateway in the foreground until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from edge_app.sandbox.server import SandboxGateway, SandboxOptions, check_options, is_loopback_host


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--password", default="sandbox", help="password that login accepts")
    parser.add_argument(
        "--list-mode",
        choices=["blacklist", "whitelist", "none"],
        default="blacklist",
        help="the store's card list mode; none answers card_block with 100005",
    )
    parser.add_argument("--latency-ms", type=int, default=0, metavar="N", help="added latency")
    parser.add_argument("--fail-rate", type=float, default=0.0, metavar="F", help="share of 5xx")
    parser.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share of uploads applied and then answered by closing the connection",
    )
    parser.add_argument(
        "--rate-limit-every", type=int, default=0, metavar="N", help="every N-th request gets 429"
    )
    parser.add_argument(
        "--expire-every",
        type=int,
        default=0,
        metavar="N",
        help="every N-th authenticated request expires the token (401)",
    )
    parser.add_argument(
        "--pending-rate", type=float, default=0.0, metavar="F", help="share of sales left pending"
    )
    parser.add_argument(
        "--decline-cards",
        default="",
        metavar="PAN,PAN...",
        help="card numbers whose sales fail with 110003 Rejected By Issuer",
    )
    parser.add_argument(
        "--signing-secret", default=None, metavar="S", help="require X-SIGNATURE with this secret"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="behave as a strict real gateway may: one upload or card_block request at a time "
        "per store, with processing time per item (--item-cost-us, default 20 in this mode)",
    )
    parser.add_argument(
        "--item-cost-us",
        type=int,
        default=None,
        metavar="N",
        help="microseconds of processing per transaction or card number in a request",
    )
    _add_answer_faults(parser)


def _add_answer_faults(parser: argparse.ArgumentParser) -> None:
    """Faults in what the gateway answers: whole refusals, missing BRNs, disagreeing queries."""
    parser.add_argument(
        "--refuse-status",
        type=int,
        default=0,
        metavar="STATUS",
        help="refuse every upload and card_block request as a whole with this HTTP status",
    )
    parser.add_argument(
        "--hide-brn-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share of successful sales answered without their BRN (a query gives it)",
    )
    parser.add_argument(
        "--disagree",
        default="",
        metavar="UUID=HOW,...",
        help="answer queries about these records differently (HOW: voided, refunded, unknown, "
        "amount, currency), for trying reconciliation",
    )


def options_from_args(args: argparse.Namespace) -> SandboxOptions:
    """The options the arguments ask for; ValueError (one sentence) when one is out of range."""
    cards = frozenset(c.strip() for c in (args.decline_cards or "").split(",") if c.strip())
    options = SandboxOptions(
        password=args.password,
        list_mode=args.list_mode,
        latency_ms=args.latency_ms,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        rate_limit_every=args.rate_limit_every,
        expire_every=args.expire_every,
        pending_rate=args.pending_rate,
        decline_cards=cards,
        signing_secret=args.signing_secret or None,
        refuse_status=args.refuse_status,
        hide_brn_rate=args.hide_brn_rate,
        disagree=_pairs(args.disagree or ""),
        one_at_a_time=bool(getattr(args, "strict", False)),
        item_cost_us=_item_cost(args),
    )
    check_options(options)
    return options


STRICT_ITEM_COST_US = 20


def _item_cost(args: argparse.Namespace) -> int:
    cost = getattr(args, "item_cost_us", None)
    if cost is not None:
        return int(cost)
    return STRICT_ITEM_COST_US if getattr(args, "strict", False) else 0


def _pairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in text.split(","):
        if part.strip():
            uuid, _, how = part.partition("=")
            pairs[uuid.strip()] = how.strip()
    return pairs


def run(args: argparse.Namespace) -> int:
    if not is_loopback_host(args.host):
        print(
            "edge-app: the sandbox gateway listens only on a loopback address "
            "(127.0.0.1, ::1 or localhost).",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.port <= 65535:
        print("edge-app: the port must be between 0 and 65535.", file=sys.stderr)
        return 2
    try:
        options = options_from_args(args)
    except ValueError as exc:
        print(f"edge-app: {exc}", file=sys.stderr)
        return 2
    try:
        gateway = SandboxGateway(options, host=args.host, port=args.port).start()
    except OSError as exc:
        print(
            f"edge-app: cannot listen on {args.host}:{args.port} ({exc.strerror}).", file=sys.stderr
        )
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_signal) if in_main else None
    print(
        f"Sandbox gateway listening on {gateway.url} "
        f"(password: {options.password}, list mode: {options.list_mode}"
        + (", strict: one request at a time per store" if options.one_at_a_time else "")
        + ")",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        gateway.stop()
    return 0
