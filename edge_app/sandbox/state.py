"""The sandbox gateway's in-memory state and request processing, independent of HTTP.

`_Gateway` holds every store's records, the login token and the request counters behind one lock,
decides the faults (429, 5xx, token expiry, dropped connections) and answers login, upload, query,
card_block and the admin reads. It is an independent implementation of the gateway contract: it
may import the standard library and `edge_app.sandbox.rules`, `.options` and `.records` only.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import threading
import time
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from edge_app.sandbox.options import SandboxOptions, check_options
from edge_app.sandbox.records import _error, _fail, _failed, _Record, _Reply, _Seen, _Store
from edge_app.sandbox.rules import (
    MAX_ITEMS,
    _json_object,
    canonical,
    card_number_valid,
    check_item,
    format_amount,
    mask_card,
)


def _disagree(transaction: dict[str, Any], how: str) -> None:
    """The `disagree` fault: a query answer that differs from what was uploaded."""
    if how == "voided":
        transaction["is_voided"] = True
    elif how == "refunded":
        transaction["refunded_amount"] = transaction.get("amount")
    elif how == "amount" and transaction.get("amount") is not None:
        transaction["amount"] = str(Decimal(transaction["amount"]) + 1)
    elif how == "currency":
        transaction["currency"] = "EUR" if transaction.get("currency") != "EUR" else "USD"


def item_cost(options: SandboxOptions, count: int) -> None:
    """Strict mode's processing time for `count` items (the caller holds the store's turn)."""
    if options.item_cost_us:
        time.sleep(count * options.item_cost_us / 1_000_000)


def _now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        self._store_locks: dict[str, threading.Lock] = {}
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

    def store_lock(self, store_id: str) -> threading.Lock:
        """The lock that makes a store's requests go one at a time (strict mode)."""
        with self.lock:
            lock = self._store_locks.get(store_id)
            if lock is None:
                lock = self._store_locks[store_id] = threading.Lock()
            return lock

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
        item_cost(options, len(items))
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
            disagree = self.options.disagree.get(record.uuid) if record is not None else None
            if record is None or disagree == "unknown":
                return _error(404, "100013", "No Record")
            self._resolve(record, time.monotonic())
            transaction = self._query_answer(record)
        if disagree is not None:
            _disagree(transaction, disagree)
        return _Reply(200, {"transaction": transaction})

    def _query_answer(self, record: _Record) -> dict[str, Any]:
        """The query's `transaction` object of one record (call with the lock held)."""
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
        return transaction

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
        item_cost(options, len(numbers))
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
