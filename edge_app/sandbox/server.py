"""The embedded sandbox gateway: the whole gateway contract on a loopback HTTP server.

It is an independent implementation of `shared/gateway-contract.md` (it never imports the client in
`edge_app.gateway`), so the client, the sync engine and the tests can be exercised with no account.
Standard library only. State lives in memory, per store id, behind one lock; faults (latency, 5xx,
429, token expiry, dropped connections, declines) can be changed while it runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import random
import re
import secrets
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from edge_app.sandbox.options import SandboxOptions, check_options, is_loopback_host
from edge_app.sandbox.rules import (
    MAX_BODY_BYTES,
    MAX_ITEMS,
    _json_object,
    canonical,
    card_number_valid,
    check_item,
    format_amount,
    mask_card,
)

# Names other code imports from here (the options moved to `edge_app.sandbox.options`).
__all__ = ["SandboxGateway", "SandboxOptions", "check_options", "is_loopback_host"]

logger = logging.getLogger("edge_app.sandbox")

_LOGIN_PATH = "/api/v2/login"
_UPLOAD_RE = re.compile(r"/gateway/v3/stores/([^/]+)/payment/offline/(sale|void|refund)")
_QUERY_RE = re.compile(r"/gateway/v3/stores/([^/]+)/query/transactions/([^/]+)")
_BLOCK_RE = re.compile(r"/gateway/v3/stores/([^/]+)/card_block/(add|del)")


# ---------------------------------------------------------------------------------------------
# State


def _now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Record:
    """One item the gateway holds (processed once; duplicates return it)."""

    uuid: str
    kind: str
    store_id: str
    canonical: str
    state: str
    brn: str
    date_time: str
    error_code: str | None = None
    error_desc: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    masked_card: str | None = None
    origin_brn: str | None = None
    is_voided: bool = False
    refunded: Decimal = Decimal(0)
    resolve_at: float | None = None

    def result(self, *, duplicate: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "transaction_state": self.state,
            "brn": self.brn or None,
            "date_time": self.date_time,
        }
        if self.error_code is not None:
            out["error_code"] = self.error_code
            out["error_desc"] = self.error_desc
        out["duplicate"] = duplicate
        return out


@dataclass
class _Seen:
    """What arrived for one uuid, for `received()`."""

    kind: str
    store_id: str
    count: int = 0
    processed: int = 0
    last_error: str | None = None


@dataclass
class _Store:
    by_uuid: dict[str, _Record] = field(default_factory=dict)
    by_brn: dict[str, _Record] = field(default_factory=dict)
    card_list: set[str] = field(default_factory=set)
    add_requests: int = 0
    del_requests: int = 0


@dataclass
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def _error(status: int, code: str, desc: str, **extra: Any) -> _Reply:
    return _Reply(status, {"error_code": code, "error_desc": desc, **extra})


def _failed(item_uuid: Any, code: str, desc: str, date_time: str) -> dict[str, Any]:
    return {
        "uuid": item_uuid if isinstance(item_uuid, str) else None,
        "transaction_state": "failed",
        "brn": None,
        "date_time": date_time,
        "error_code": code,
        "error_desc": desc,
        "duplicate": False,
    }


class _Gateway:
    """All sandbox state and request processing, independent of HTTP (one lock guards it)."""

    def __init__(self, options: SandboxOptions) -> None:
        check_options(options)
        self.lock = threading.Lock()
        self.options = options
        self.rng = random.Random(options.seed)
        self.token: str | None = None
        self.user_ids: dict[str, int] = {}
        self.brn_counter = 0
        self._clear()

    def _clear(self) -> None:
        self.stores: dict[str, _Store] = {}
        self.seen: dict[str, _Seen] = {}
        self.requests = {"login": 0, "upload": 0, "query": 0, "card_block": 0}
        self.logins = 0
        self.request_count = 0
        self.auth_count = 0

    # -- options ----------------------------------------------------------------------------

    def set_options(self, changes: dict[str, Any]) -> None:
        names = {f.name for f in fields(SandboxOptions)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"Unknown sandbox option: {unknown[0]}.")
        for name in ("decline_cards", "refuse_cards"):
            if name in changes:
                cards = changes[name]
                if isinstance(cards, str) or not all(isinstance(c, str) for c in cards):
                    label = name.replace("_", " ").capitalize()
                    raise ValueError(f"{label} must be a list of card numbers.")
                changes = {**changes, name: frozenset(cards)}
        with self.lock:
            updated = replace(self.options, **changes)
            check_options(updated)
            self.options = updated
            if "seed" in changes:
                self.rng = random.Random(updated.seed)

    def reset(self) -> None:
        """Forget every transaction, list and counter; options and the current token stay."""
        with self.lock:
            self._clear()

    def forget(self, uuids: list[str] | None = None) -> int:
        """Lose the records of these uuids (default: every pending one), as a gateway that
        restarted without them would; a later upload of them is processed afresh."""
        with self.lock:
            lost = 0
            for store in self.stores.values():
                chosen = (
                    [u for u in uuids if u in store.by_uuid]
                    if uuids is not None
                    else [u for u, r in store.by_uuid.items() if r.state == "pending"]
                )
                for uuid in chosen:
                    record = store.by_uuid.pop(uuid)
                    if record.brn:
                        store.by_brn.pop(record.brn, None)
                    lost += 1
            return lost

    # -- helpers (call with the lock held) --------------------------------------------------

    def _store(self, store_id: str) -> _Store:
        store = self.stores.get(store_id)
        if store is None:
            store = self.stores[store_id] = _Store()
        return store

    def _new_brn(self) -> str:
        self.brn_counter += 1
        return f"9{int(time.time()):010d}{self.brn_counter:08d}"

    def _resolve(self, record: _Record, now: float) -> None:
        if record.state == "pending" and record.resolve_at is not None and now >= record.resolve_at:
            record.state = "success"
            record.resolve_at = None

    # -- fault decisions --------------------------------------------------------------------

    def before_processing(self, category: str) -> tuple[SandboxOptions, _Reply | None]:
        """Count the request, then apply rate limiting and random 5xx (in that order)."""
        with self.lock:
            options = self.options
            self.requests[category] += 1
            self.request_count += 1
            every = options.rate_limit_every
            if every and self.request_count % every == 0:
                headers = {"Retry-After": options.retry_after}
                reply = _Reply(429, {"message": "Too many requests"}, headers)
                return options, reply
            if options.fail_rate and self.rng.random() < options.fail_rate:
                status = self.rng.choice((500, 502, 503))
                return options, _error(status, "199997", "Internal Error")
        return options, None

    def authenticate(self, token: str | None, signature: str | None, body: bytes) -> _Reply | None:
        """None when the request may proceed, else the 401 reply (token, signature, expiry)."""
        with self.lock:
            current = self.token
            if current is None or token is None or not hmac.compare_digest(token, current):
                return _Reply(401, {"message": "Access token is missing, invalid or expired."})
            secret = self.options.signing_secret
            if secret is not None:
                expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                if signature is None or not hmac.compare_digest(signature.lower(), expected):
                    return _Reply(401, {"message": "X-SIGNATURE is missing or wrong."})
            self.auth_count += 1
            every = self.options.expire_every
            if every and self.auth_count % every == 0:
                self.token = None
                return _Reply(401, {"message": "Access token has expired."})
        return None

    def should_drop(self) -> bool:
        with self.lock:
            rate = self.options.drop_rate
            return bool(rate) and self.rng.random() < rate

    # -- endpoints --------------------------------------------------------------------------

    def login(self, body: bytes) -> _Reply:
        doc = _json_object(body)
        if doc is None:
            return _error(400, "100001", "Body must be a JSON object.")
        username, password = doc.get("username"), doc.get("password")
        if not isinstance(username, str) or not username or not isinstance(password, str):
            return _error(400, "100001", "username and password are required.")
        with self.lock:
            if not hmac.compare_digest(password.encode(), self.options.password.encode()):
                return _error(401, "100001", "Invalid username or password")
            self.token = secrets.token_hex(16)
            self.logins += 1
            user_id = self.user_ids.setdefault(username, len(self.user_ids) + 1)
            user = {
                "access_token": self.token,
                "id": user_id,
                "name": username,
                "full_name": username,
                "email": username if "@" in username else "",
                "is_staff": True,
                "is_admin": False,
                "first_login": False,
            }
        return _Reply(200, {"user": user})

    def upload(self, store_id: str, kind: str, body: bytes, options: SandboxOptions) -> _Reply:
        doc = _json_object(body)
        if doc is None or not isinstance(doc.get("transactions"), list):
            return _error(400, "100001", 'Body must be a JSON object with a "transactions" list.')
        items: list[Any] = doc["transactions"]
        if not items:
            return _error(400, "100001", "transactions must hold at least one item.")
        if len(items) > MAX_ITEMS:
            return _error(413, "100001", f"At most {MAX_ITEMS} transactions per request.")
        if (
            kind == "sale"
            and options.refuse_cards
            and any(
                isinstance(item, dict)
                and isinstance(item.get("credit_card"), dict)
                and item["credit_card"].get("card_number") in options.refuse_cards
                for item in items
            )
        ):
            return _error(400, "100001", "The request holds a card number that cannot be used.")
        checked = [(item, check_item(kind, item)) for item in items]
        results: list[dict[str, Any]] = []
        with self.lock:
            store = self._store(store_id)
            now = time.monotonic()
            for item, problem in checked:
                results.append(self._upload_one(store, store_id, kind, item, problem, now, options))
        return _Reply(200, {"transactions": results})

    def _upload_one(
        self,
        store: _Store,
        store_id: str,
        kind: str,
        item: Any,
        problem: str | None,
        now: float,
        options: SandboxOptions,
    ) -> dict[str, Any]:
        item_uuid = item.get("uuid") if isinstance(item, dict) else None
        key = item_uuid if isinstance(item_uuid, str) else None
        seen = None
        if key is not None:
            seen = self.seen.get(key)
            if seen is None:
                seen = self.seen[key] = _Seen(kind, store_id)
            seen.count += 1
        if problem is not None:
            if seen is not None and seen.processed == 0:
                seen.last_error = "100001"
            return _failed(item_uuid, "100001", problem, _now_rfc3339())
        assert key is not None  # a well-formed item has a uuid
        assert seen is not None
        text = canonical(item)
        held = store.by_uuid.get(key)
        if held is not None:
            if held.canonical != text or held.kind != kind:
                return _failed(key, "100001", "uuid reused with different content", held.date_time)
            self._resolve(held, now)
            return held.result(duplicate=True)
        record = self._apply(store, store_id, kind, item, text, now, options)
        if record is None:  # a transient refusal: not held, so a resend is processed afresh
            return _failed(key, "100024", "Order Closing", item["date_time"])
        store.by_uuid[key] = record
        if record.brn:
            store.by_brn[record.brn] = record
        seen.kind, seen.store_id = kind, store_id
        seen.processed += 1
        result = record.result(duplicate=False)
        hide = options.hide_brn_rate and self.rng.random() < options.hide_brn_rate
        if record.state == "success" and hide:
            result["brn"] = None  # the gateway holds it; only a query tells the BRN
        return result

    def _apply(
        self,
        store: _Store,
        store_id: str,
        kind: str,
        item: dict[str, Any],
        text: str,
        now: float,
        options: SandboxOptions,
    ) -> _Record | None:
        """The record a new, well-formed item makes; None for a transient refusal (not held)."""
        record = _Record(
            uuid=item["uuid"],
            kind=kind,
            store_id=store_id,
            canonical=text,
            state="success",
            brn="",
            date_time=item["date_time"],
        )
        if kind == "sale":
            return self._apply_sale(record, item, now, options)
        return self._apply_follow_up(store, record, item, now)

    def _apply_sale(
        self, record: _Record, item: dict[str, Any], now: float, options: SandboxOptions
    ) -> _Record:
        card = item["credit_card"]["card_number"]
        record.currency = item["currency"]
        record.amount = Decimal(item["amount"])
        record.masked_card = mask_card(card)
        if card in options.decline_cards:
            return _fail(record, "110003", "Rejected By Issuer")
        record.brn = self._new_brn()
        if options.pending_rate and self.rng.random() < options.pending_rate:
            record.state = "pending"
            record.resolve_at = now + options.pending_seconds
        return record

    def _apply_follow_up(
        self, store: _Store, record: _Record, item: dict[str, Any], now: float
    ) -> _Record | None:
        """A void or refund of the sale its origin_brn names; None while that sale is pending."""
        kind = record.kind
        record.origin_brn = item["origin_brn"]
        origin = store.by_brn.get(item["origin_brn"])
        if origin is not None:
            record.masked_card = origin.masked_card
            if kind == "void":
                record.amount, record.currency = origin.amount, origin.currency
        if kind == "refund":
            record.currency = item["currency"]
            record.amount = Decimal(item["amount"])
        if origin is None:
            return _fail(record, "100013", "No Record")
        self._resolve(origin, now)
        if origin.kind != "sale" or origin.state == "failed":
            return _fail(record, "100001", "origin_brn is not a successful sale")
        if origin.state == "pending":
            return None
        if kind == "void":
            if origin.is_voided or origin.refunded > 0:
                return _fail(record, "100001", "The sale is already voided or refunded")
            origin.is_voided = True
        else:
            assert record.amount is not None
            assert origin.amount is not None
            if origin.is_voided:
                return _fail(record, "100001", "The sale is voided")
            if record.currency != origin.currency:
                return _fail(record, "100016", "The Currency Is Not Matched")
            if origin.refunded + record.amount > origin.amount:
                return _fail(record, "100015", "Transaction Amount Exceeded")
            origin.refunded += record.amount
        record.brn = self._new_brn()
        return record

    def query(self, store_id: str, ident: str) -> _Reply:
        with self.lock:
            store = self._store(store_id)
            record = store.by_uuid.get(ident) or store.by_brn.get(ident)
            if record is None:
                return _error(404, "100013", "No Record")
            self._resolve(record, time.monotonic())
            currency = record.currency or ""
            amount = format_amount(record.amount, currency) if record.amount is not None else None
            transaction: dict[str, Any] = {
                "uuid": record.uuid,
                "brn": record.brn or None,
                "transaction_type": record.kind,
                "transaction_state": record.state,
                "amount": amount,
                "currency": record.currency,
                "error_code": record.error_code,
                "error_desc": record.error_desc,
                "is_voided": record.is_voided,
                "refunded_amount": format_amount(record.refunded, currency),
                "date_time": record.date_time,
                "credit_card": {"card_number": record.masked_card},
            }
            if record.origin_brn is not None:
                transaction["origin_brn"] = record.origin_brn
        return _Reply(200, {"transaction": transaction})

    def card_block(self, store_id: str, op: str, body: bytes, options: SandboxOptions) -> _Reply:
        doc = _json_object(body)
        with self.lock:
            store = self._store(store_id)
            if op == "add":
                store.add_requests += 1
            else:
                store.del_requests += 1
        if doc is None or not isinstance(doc.get("card_numbers"), list):
            return _error(400, "100001", 'Body must be a JSON object with a "card_numbers" list.')
        numbers: list[Any] = doc["card_numbers"]
        if not numbers:
            return _error(400, "100001", "card_numbers must hold at least one number.")
        if len(numbers) > MAX_ITEMS:
            return _error(413, "100001", f"At most {MAX_ITEMS} card numbers per request.")
        if options.list_mode == "none":
            return _error(400, "100005", "Processing Rule Required")
        invalid = [n for n in numbers if not card_number_valid(n)]
        if invalid:
            return _error(
                400, "100001", "Some card numbers are malformed.", invalid_card_numbers=invalid
            )
        with self.lock:
            if op == "add":
                store.card_list.update(numbers)
            else:
                store.card_list.difference_update(numbers)
        return _Reply(200, {"card_block": {"state": "success", "count": len(numbers)}})

    def received(self) -> dict[str, Any]:
        with self.lock:
            now = time.monotonic()
            transactions: dict[str, Any] = {}
            for key, seen in self.seen.items():
                store = self.stores.get(seen.store_id)
                record = store.by_uuid.get(key) if store is not None else None
                entry: dict[str, Any] = {
                    "kind": seen.kind,
                    "store_id": seen.store_id,
                    "count": seen.count,
                    "processed": seen.processed,
                    "state": "failed",
                    "brn": None,
                    "error_code": seen.last_error,
                    "amount": None,
                    "currency": None,
                    "masked_card": None,
                }
                if record is not None:
                    self._resolve(record, now)
                    entry.update(
                        state=record.state,
                        brn=record.brn or None,
                        error_code=record.error_code,
                        amount=str(record.amount) if record.amount is not None else None,
                        currency=record.currency,
                        masked_card=record.masked_card,
                        is_voided=record.is_voided,
                    )
                transactions[key] = entry
            card_block = {
                store_id: {
                    "list": sorted(store.card_list),
                    "add_requests": store.add_requests,
                    "del_requests": store.del_requests,
                }
                for store_id, store in self.stores.items()
                if store.card_list or store.add_requests or store.del_requests
            }
            return {
                "transactions": transactions,
                "card_block": card_block,
                "requests": dict(self.requests),
                "logins": self.logins,
            }

    def options_json(self) -> dict[str, Any]:
        with self.lock:
            doc = asdict(self.options)
        doc["decline_cards"] = len(doc["decline_cards"])
        doc["refuse_cards"] = len(doc["refuse_cards"])
        doc["password"] = "***"  # noqa: S105 - never echo the password
        doc["signing_secret"] = "***" if doc["signing_secret"] else None
        return doc


def _fail(record: _Record, code: str, desc: str) -> _Record:
    record.state, record.error_code, record.error_desc = "failed", code, desc
    record.brn = ""
    return record


def _whole_refusal(options: SandboxOptions) -> _Reply:
    """The `refuse_status` fault: the request refused as a whole, nothing in it applied."""
    if options.refuse_code:
        return _error(options.refuse_status, options.refuse_code, "Refused as a whole request.")
    return _Reply(options.refuse_status, {})


# ---------------------------------------------------------------------------------------------
# HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, gateway: _Gateway) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.gateway = gateway
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), which can stall; skip it.
        import socketserver

        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # No traceback on stderr (it could quote request data); one line at debug level.
        logger.debug("connection from a loopback client ended with an error")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EdgeSandbox/1.0"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence BaseHTTPRequestHandler's stderr logging (requests are logged in _handle)."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering a body we cannot read."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(_error(411, "100001", "Send a Content-Length, not a chunked body."))
            return None
        raw = self.headers.get("Content-Length", "0")
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(_error(400, "100001", "Content-Length is not a number."))
            return None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(_error(413, "100001", "The request body is too large."))
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str) -> None:
        path = urlsplit(self.path).path
        self._path = path
        self._method = method
        body = self._read_body()
        if body is None:
            return
        if path.startswith("/_sandbox/"):
            self._send(self._admin(method, path, body))
            return
        route = self._route(path)
        if route is None:
            self._send(_error(404, "100001", "Unknown path."))
            return
        category, wanted, match = route
        if method != wanted:
            self._send(_error(405, "100001", f"Use {wanted} on this path."), {"Allow": wanted})
            return
        gateway = self.server.gateway
        latency = gateway.options.latency_ms
        if latency:
            time.sleep(latency / 1000)
        options, reply = gateway.before_processing(category)
        if reply is None and category != "login":
            reply = gateway.authenticate(
                self.headers.get("X-USER-ACCESS-TOKEN"), self.headers.get("X-SIGNATURE"), body
            )
        if reply is None:
            try:
                reply = self._process(category, match, body, options)
            except Exception as exc:  # a sandbox bug: answer 500 rather than hang up silently
                logger.error("internal error (%s) on %s %s", type(exc).__name__, method, path)
                reply = _error(500, "199997", "Internal Error")
            if category in ("upload", "card_block") and gateway.should_drop():
                reply.drop = True
        self._send(reply)

    @staticmethod
    def _route(path: str) -> tuple[str, str, re.Match[str] | None] | None:
        if path == _LOGIN_PATH:
            return "login", "POST", None
        for category, method, pattern in (
            ("upload", "POST", _UPLOAD_RE),
            ("query", "GET", _QUERY_RE),
            ("card_block", "POST", _BLOCK_RE),
        ):
            match = pattern.fullmatch(path)
            if match is not None:
                return category, method, match
        return None

    def _process(
        self, category: str, match: re.Match[str] | None, body: bytes, options: SandboxOptions
    ) -> _Reply:
        gateway = self.server.gateway
        if category == "login" or match is None:
            return gateway.login(body)
        store_id, what = match.group(1), match.group(2)
        if category in ("upload", "card_block") and options.refuse_status:
            return _whole_refusal(options)
        if category == "upload":
            return gateway.upload(store_id, what, body, options)
        if category == "query":
            return gateway.query(store_id, what)
        return gateway.card_block(store_id, what, body, options)

    def _admin(self, method: str, path: str, body: bytes) -> _Reply:
        if not is_loopback_host(str(self.client_address[0])):
            return _error(403, "100001", "Admin endpoints answer loopback clients only.")
        gateway = self.server.gateway
        if path == "/_sandbox/received" and method == "GET":
            return _Reply(200, gateway.received())
        if path == "/_sandbox/reset" and method == "POST":
            gateway.reset()
            return _Reply(200, {"state": "success"})
        if path == "/_sandbox/forget" and method == "POST":
            doc = _json_object(body) if body else {}
            uuids = doc.get("uuids") if doc is not None else None
            if doc is None or not (uuids is None or isinstance(uuids, list)):
                return _error(400, "100001", 'Body must be {"uuids": [...]} or empty.')
            return _Reply(200, {"forgotten": gateway.forget(uuids)})
        if path == "/_sandbox/config" and method == "POST":
            changes = _json_object(body)
            if changes is None:
                return _error(400, "100001", "Body must be a JSON object of option changes.")
            try:
                gateway.set_options(changes)
            except (ValueError, TypeError) as exc:
                return _error(400, "100001", str(exc))
            return _Reply(200, {"options": gateway.options_json()})
        return _error(404, "100001", "Unknown admin path or method.")

    def _send(self, reply: _Reply, extra: dict[str, str] | None = None) -> None:
        if reply.drop:
            self._drop()
            return
        data = json.dumps(reply.body).encode()
        phrase = self.responses.get(reply.status, ("",))[0]
        head = [
            f"{self.protocol_version} {reply.status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(data)}",
            *(f"{name}: {value}" for name, value in {**reply.headers, **(extra or {})}.items()),
        ]
        if self.close_connection:
            head.append("Connection: close")
        # Head and body in one write: two small writes would meet Nagle + delayed ACK (~40 ms).
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        logger.info("%s %s %d", self._method, self._path, reply.status)

    def _drop(self) -> None:
        """Close the connection without a response: the client cannot know the outcome."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        logger.info("%s %s dropped after processing", self._method, self._path)


# ---------------------------------------------------------------------------------------------
# Public API


class SandboxGateway:
    """A sandbox gateway on a loopback port; `url` is both the login and the payment base URL."""

    def __init__(
        self, options: SandboxOptions | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if not is_loopback_host(host):
            raise ValueError("The sandbox gateway listens only on a loopback address.")
        self._gateway = _Gateway(options or SandboxOptions())
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxGateway:
        if self._server is not None:
            return self
        server = _Server(self._host, self._port, self._gateway)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="edge-sandbox-gateway",
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox gateway is not running.")
        host, port = str(self._server.server_address[0]), int(self._server.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    @property
    def options(self) -> SandboxOptions:
        return self._gateway.options

    def set_options(self, **changes: Any) -> None:
        """Change any option while running (thread-safe); ValueError for a bad name or value."""
        self._gateway.set_options(changes)

    def received(self) -> dict[str, Any]:
        return self._gateway.received()

    def reset(self) -> None:
        self._gateway.reset()

    def forget(self, uuids: list[str] | None = None) -> int:
        """Lose these records (default: every pending one); returns how many were lost."""
        return self._gateway.forget(uuids)

    def __enter__(self) -> SandboxGateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"SandboxGateway({state}, {self._gateway.options!r})"
