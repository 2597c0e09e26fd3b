"""What waits, what needs a person and what the last sync did, for `status`, the status bar,
the tray and scripts.

May import domain and storage; the gateway's code table inside a method.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from edge_app import __version__
from edge_app.domain.limits import age_level
from edge_app.domain.money import format_amount
from edge_app.services.base import AppBase
from storage.records import TxRecord

# How many of the records that need attention `status` lists (the count covers all of them).
ATTENTION_LISTED = 20


class Reporting(AppBase):
    def status(self, *, history: bool = True) -> dict[str, Any]:
        """Everything `status` prints. Without `history`, "transactions" counts only the records
        not yet final (what the window reads every few seconds: it never shows the others, and
        counting a long history would keep the store busy while a cashier captures)."""
        now = self.clock()
        oldest_ts = self.store.oldest_unsent_ts()
        oldest = datetime.fromtimestamp(oldest_ts).astimezone() if oldest_ts is not None else None
        runs = self.store.sync_runs(limit=1)
        blocklist = self.store.blocklist_counts()
        attention = self.store.attention_records(ATTENTION_LISTED)
        differences = self.store.count_open_differences()  # found by reconcile
        # never negative: after the clock was moved back the oldest record looks "future"
        age_seconds = max((now - oldest).total_seconds(), 0) if oldest else None
        return {
            "version": __version__,
            "home": str(self.home),
            "store_id": self.config.store_id,
            "environment": self.config.environment,
            "base_url": self.config.base_url,
            "key_store": self.key_source.backend,
            "list_mode": self.config.list_mode,
            "transactions": self.store.counts_by_state(final=history),
            "waiting": self._waiting(blocklist),
            "needs_attention": (
                self.store.attention_count()
                if len(attention) == ATTENTION_LISTED
                else len(attention)
            )
            + blocklist["failed"]
            + differences,
            "attention": [_attention_item(r) for r in attention],
            "gateway_differences": differences,
            "unsent_totals": {
                cur: format_amount(total, cur)
                for cur, total in sorted(self.store.unsent_totals().items())
            },
            "oldest_unsent": oldest.isoformat() if oldest else None,
            "oldest_waiting_seconds": int(age_seconds) if age_seconds is not None else None,
            "oldest_unsent_age_hours": round(age_seconds / 3600, 2)
            if age_seconds is not None
            else None,
            "age_level": age_level(oldest, now, self.limits).value,
            "blocklist": blocklist,
            "last_sync": runs[0] if runs else None,
        }

    def _waiting(self, blocklist: dict[str, int]) -> dict[str, Any]:
        """What goes out with the next sync on its own (held records wait for a manager)."""
        waiting = self.store.waiting()
        return {
            "sales": {c: format_amount(a, c) for c, a in waiting.sale_totals.items()},
            "refunds": {c: format_amount(a, c) for c, a in waiting.refund_totals.items()},
            "voids": waiting.voids,
            "card_list_changes": blocklist["pending"],
            "sale_count": waiting.sales,
            "refund_count": waiting.refunds,
            "records": waiting.records,
        }

    def mark_seen(self, uuids: list[str], *, by: str = "manager") -> int:
        """A manager has seen these failed records: they stop needing attention."""
        return self.store.mark_seen(uuids, by=by)

    def mark_all_seen(self, *, by: str = "manager") -> int:
        return self.store.mark_seen(self.store.unseen_failed_uuids(), by=by)


def _attention_item(record: TxRecord) -> dict[str, Any]:
    """One record that needs a person, as `status --json`, the status bar and the tray show it."""
    from edge_app.gateway.errors import is_decline

    declined = record.state.value == "failed" and is_decline(record.error_code)
    amount = None
    if record.amount is not None and record.currency:
        amount = format_amount(record.amount + (record.tips or 0), record.currency)
    return {
        "uuid": record.uuid,
        "kind": record.kind.value,
        "state": record.state.value,
        "declined": declined,
        "amount": amount,
        "currency": record.currency,
        "masked_card": record.masked_card,
        "captured_at": record.captured_at,
        "error_code": record.error_code,
        "reason": record.error_desc,
    }
