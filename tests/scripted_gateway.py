"""An in-memory gateway for the sync engine's own tests (imported as `scripted_gateway`).

It implements the engine's `Gateway` protocol with the contract's semantics - idempotency by
uuid (same content: the stored result, `duplicate`; other content: 100001), declines, pending
results that a query resolves, voids and refunds only of a held sale's BRN, the card list as a
set - and lets a test script what each request meets: a fault for the next request(s), or one
for every request. It counts what a real gateway would have done (charges per uuid, content
mismatches, follow-ups that arrived before their sale's BRN), so tests can assert on it.

The real HTTP path (client + sandbox over loopback) is tested in tests/e2e; this fake is for
answers no real server should give and for exhaustive, fast runs of the engine.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from edge_app.domain.transactions import Outgoing, ReadyItem, TxKind
from edge_app.gateway import adapter
from edge_app.gateway.adapter import QueryResult, UploadResult
from edge_app.gateway.errors import (
    AuthError,
    GatewayError,
    InvalidCardNumbers,
    OutcomeUnknown,
    PermanentError,
    ProtocolError,
    RateLimited,
    StoreConfigurationError,
    TransientError,
)

Fault = Literal[
    "refuse_404",  # the endpoint is not there: 404 {} (nothing applied)
    "refuse_400",  # 400 {} for the request as a whole (nothing applied)
    "auth",  # 401 even after a new login
    "html",  # a web page instead of data
    "redirect",  # 302 to another host
    "server",  # 503
    "rate_limit_huge",  # 429 Retry-After: 99999999
    "lost",  # applied, then the answer is lost (timeout / reset)
    "crash",  # applied, then the process "dies" (a BaseException escapes the engine)
    "other_uuids",  # results about other transactions
    "fewer",  # one result short
    "more",  # one result too many
    "no_brn",  # success results without their BRN (a query gives it)
    "store_config",  # card_block: 100005 Processing Rule Required
    "invalid_all",  # card_block: 400 invalid_card_numbers naming every number sent
    "invalid_foreign",  # card_block: 400 invalid_card_numbers naming none of ours
]


class Crash(BaseException):
    """The process died mid-request: the engine must not catch it as a gateway answer."""


@dataclass
class Held:
    """What the gateway holds for one uuid."""

    kind: TxKind
    content: str
    state: str
    brn: str | None
    error_code: str | None = None
    amount: Decimal | None = None
    refunded: Decimal = Decimal(0)
    voided: bool = False
    queries_left: int = 0  # pending: answers "pending" to this many more queries
    declined_later: bool = False  # pending, then a query says it was declined


@dataclass
class Call:
    what: str  # "upload:sale", "query", "card_block:add"...
    idents: list[str]
    fault: str | None


@dataclass
class ScriptedGateway:
    decline_cards: set[str] = field(default_factory=set)  # sale refused 110003 (final)
    refuse_item_cards: set[str] = field(default_factory=set)  # item failed 100001 (held)
    transient_item_cards: set[str] = field(default_factory=set)  # item failed 100024
    poison_cards: set[str] = field(default_factory=set)  # whole request 400 when present
    pending_cards: set[str] = field(default_factory=set)  # sale answered pending
    pending_queries: int = 0  # queries that still answer pending before the final answer
    decline_after_pending: set[str] = field(default_factory=set)  # pending, then declined
    always: Fault | None = None  # the fault every request meets
    script: deque[Fault | None] = field(default_factory=deque)  # faults for the next requests
    on_card_block: Callable[[str, list[str]], None] | None = None  # local edits while in flight
    held: dict[str, Held] = field(default_factory=dict)
    card_list: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    charges: Counter[str] = field(default_factory=Counter)
    content_mismatches: int = 0
    early_follow_ups: int = 0  # voids/refunds that arrived before their sale's BRN existed
    _brns: int = 0

    # -- faults -----------------------------------------------------------------------------

    def _fault(self) -> Fault | None:
        if self.script:
            return self.script.popleft()
        return self.always

    @staticmethod
    def _before(fault: Fault | None) -> None:
        """Faults that refuse the request before anything is applied."""
        if fault == "refuse_404":
            raise PermanentError("The gateway refused the request (HTTP 404).", status=404)
        if fault == "refuse_400":
            raise PermanentError("The gateway refused the request (HTTP 400).", status=400)
        if fault == "auth":
            raise AuthError(
                "The gateway still refused the access after logging in again; check the user "
                "name, password and signing secret.",
                status=401,
            )
        if fault == "html":
            raise ProtocolError(
                "The gateway answered HTTP 200 with a web page instead of data.", status=200
            )
        if fault == "redirect":
            raise ProtocolError("The gateway redirected the request (HTTP 302).", status=302)
        if fault == "server":
            raise TransientError("The gateway had a server error (HTTP 503).", status=503)
        if fault == "rate_limit_huge":
            raise RateLimited("The gateway asked to slow down (HTTP 429).", retry_after=99999999)

    # -- the Gateway protocol -----------------------------------------------------------------

    def upload(self, kind: TxKind, items: Sequence[Outgoing]) -> list[UploadResult]:
        fault = self._fault()
        self.calls.append(Call(f"upload:{kind.value}", [i.uuid for i in items], fault))
        self._before(fault)
        # What a gateway reads: the ITEMs as they are sent (stored at capture or built now).
        sent = [
            json.loads(i.item_json) if isinstance(i, ReadyItem) else adapter.upload_item(i)
            for i in items
        ]
        if kind is TxKind.SALE and any(_card(item) in self.poison_cards for item in sent):
            raise PermanentError(
                "The gateway refused the request as malformed.", error_code="100001", status=400
            )
        results = [self._apply(kind, item) for item in sent]
        if fault == "lost":
            raise OutcomeUnknown("The connection failed before the answer arrived.")
        if fault == "crash":
            raise Crash
        if fault == "other_uuids":
            results = [replace(r, uuid=r.uuid[::-1]) for r in results]
        elif fault == "fewer":
            results = results[:-1]
        elif fault == "more":
            results = [*results, replace(results[-1], uuid="00000000-0000-4000-8000-000000000000")]
        elif fault == "no_brn":
            results = [replace(r, brn=None) if r.state == "success" else r for r in results]
        return results

    def query(self, ident: str) -> QueryResult:
        fault = self._fault()
        self.calls.append(Call("query", [ident], fault))
        self._before(fault)
        record = self.held.get(ident) or next(
            (h for h in self.held.values() if h.brn == ident), None
        )
        if record is None:
            raise PermanentError(
                "The gateway has no record of this transaction.", error_code="100013", status=404
            )
        uuid = ident if ident in self.held else next(u for u, h in self.held.items() if h is record)
        if record.state == "pending":
            if record.queries_left > 0:
                record.queries_left -= 1
            elif record.declined_later:
                record.state, record.error_code, record.brn = "failed", "110003", None
            else:
                record.state = "success"
                self.charges[uuid] += 1
        return QueryResult(
            uuid=uuid,
            brn=record.brn,
            state=record.state,  # type: ignore[arg-type]
            error_code=record.error_code,
            error_desc=None,
            is_voided=record.voided,
            refunded_amount=str(record.refunded),
        )

    def card_block(self, op: Literal["add", "del"], numbers: Sequence[str]) -> int:
        fault = self._fault()
        self.calls.append(Call(f"card_block:{op}", list(numbers), fault))
        self._before(fault)
        if fault == "store_config":
            raise StoreConfigurationError(
                "The store has no block list or allow list set up at the gateway.",
                error_code="100005",
                status=400,
            )
        if fault == "invalid_all":
            raise InvalidCardNumbers(list(numbers))
        if fault == "invalid_foreign":
            raise InvalidCardNumbers(["4000000000000002000"])
        if self.on_card_block is not None:
            self.on_card_block(op, list(numbers))  # the store edits its list meanwhile
        if op == "add":
            self.card_list.update(numbers)
        else:
            self.card_list.difference_update(numbers)
        if fault == "lost":
            raise OutcomeUnknown("The connection failed before the answer arrived.")
        return len(numbers)

    # -- the gateway's rules ----------------------------------------------------------------

    def forget_pending(self) -> int:
        """Lose every pending record (never charged), as a gateway that restarted."""
        lost = [u for u, h in self.held.items() if h.state == "pending"]
        for uuid in lost:
            del self.held[uuid]
        return len(lost)

    def _new_brn(self) -> str:
        self._brns += 1
        return f"B{self._brns:06d}"

    def _apply(self, kind: TxKind, item: dict[str, Any]) -> UploadResult:
        uuid = item["uuid"]
        content = json.dumps(item, sort_keys=True)
        known = self.held.get(uuid)
        if known is not None:
            if known.content != content:
                self.content_mismatches += 1
                reused = "uuid reused with different content"
                return _result(uuid, "failed", None, "100001", reused)
            state, brn, code = known.state, known.brn, known.error_code
            return _result(uuid, state, brn, code, None, duplicate=True)
        card = _card(item)
        if card in self.refuse_item_cards:
            return _result(uuid, "failed", None, "100001", "card cannot be processed")
        if card in self.transient_item_cards:
            return _result(uuid, "failed", None, "100024", "Order Closing")
        amount = Decimal(item["amount"]) if "amount" in item else None
        record = Held(kind, content, "success", None, amount=amount)
        if kind is TxKind.SALE:
            if card in self.decline_cards:
                record.state, record.error_code = "failed", "110003"
            else:
                record.brn = self._new_brn()
                if card in self.pending_cards:
                    record.state, record.queries_left = "pending", self.pending_queries
                    record.declined_later = card in self.decline_after_pending
        else:
            refusal = self._follow_up_refusal(kind, item)
            if refusal is not None:
                return _result(uuid, "failed", None, refusal, None)
            record.brn = self._new_brn()
        self.held[uuid] = record
        if record.state == "success":
            self.charges[uuid] += 1
        return _result(uuid, record.state, record.brn, record.error_code, None)

    def _follow_up_refusal(self, kind: TxKind, item: dict[str, Any]) -> str | None:
        origin_brn = item.get("origin_brn")
        sale = next(
            (h for h in self.held.values() if h.brn == origin_brn and h.kind is TxKind.SALE),
            None,
        )
        if sale is None or sale.state != "success":
            self.early_follow_ups += 1
            return "100013"
        if kind is TxKind.VOID:
            if sale.voided or sale.refunded:
                return "100001"
            sale.voided = True
            return None
        amount = Decimal(item["amount"])
        assert sale.amount is not None
        if sale.voided or sale.refunded + amount > sale.amount:
            return "100015"
        sale.refunded += amount
        return None

    # -- what tests read ----------------------------------------------------------------------

    def uploads(self, kind: TxKind | None = None) -> list[Call]:
        prefix = f"upload:{kind.value}" if kind else "upload:"
        return [c for c in self.calls if c.what.startswith(prefix)]

    def sent_uuids(self) -> Counter[str]:
        return Counter(u for c in self.uploads() for u in c.idents)


def _card(item: dict[str, Any]) -> str | None:
    """The card number of a sale's ITEM as sent; None for a void or refund."""
    card = item.get("credit_card")
    return card.get("card_number") if card else None


def _result(
    uuid: str,
    state: str,
    brn: str | None,
    code: str | None,
    desc: str | None,
    *,
    duplicate: bool = False,
) -> UploadResult:
    return UploadResult(
        uuid=uuid,
        state=state,  # type: ignore[arg-type]
        brn=brn,
        date_time="2026-12-01T10:00:00+08:00",
        error_code=code,
        error_desc=desc,
        duplicate=duplicate,
    )


__all__ = ["Call", "Crash", "Fault", "GatewayError", "Held", "ScriptedGateway"]
