"""What the sandbox gateway holds (records, arrivals, per-store lists) and the replies it builds.

Plain data and the small helpers that fill it in; the decisions are in `edge_app.sandbox.state`.
May import the standard library and `edge_app.sandbox.options` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from edge_app.sandbox.options import SandboxOptions


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


def _fail(record: _Record, code: str, desc: str) -> _Record:
    record.state, record.error_code, record.error_desc = "failed", code, desc
    record.brn = ""
    return record


def _whole_refusal(options: SandboxOptions) -> _Reply:
    """The `refuse_status` fault: the request refused as a whole, nothing in it applied."""
    if options.refuse_code:
        return _error(options.refuse_status, options.refuse_code, "Refused as a whole request.")
    return _Reply(options.refuse_status, {})
