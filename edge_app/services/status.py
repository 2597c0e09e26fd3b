"""What waits and what the last sync did, for `status`, the status bar and scripts.

May import domain and storage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from edge_app import __version__
from edge_app.domain.limits import age_level
from edge_app.domain.money import format_amount
from edge_app.services.base import AppBase


class Reporting(AppBase):
    def status(self) -> dict[str, Any]:
        now = self.clock()
        oldest_ts = self.store.oldest_unsent_ts()
        oldest = datetime.fromtimestamp(oldest_ts).astimezone() if oldest_ts is not None else None
        runs = self.store.sync_runs(limit=1)
        return {
            "version": __version__,
            "home": str(self.home),
            "store_id": self.config.store_id,
            "environment": self.config.environment,
            "base_url": self.config.base_url,
            "key_store": self.key_source.backend,
            "list_mode": self.config.list_mode,
            "transactions": self.store.counts_by_state(),
            "unsent_totals": {
                cur: format_amount(total, cur)
                for cur, total in sorted(self.store.unsent_totals().items())
            },
            "oldest_unsent": oldest.isoformat() if oldest else None,
            # never negative: after the clock was moved back the oldest record looks "future"
            "oldest_unsent_age_hours": round(max((now - oldest).total_seconds(), 0) / 3600, 2)
            if oldest
            else None,
            "age_level": age_level(oldest, now, self.limits).value,
            "blocklist": self.store.blocklist_counts(),
            "last_sync": runs[0] if runs else None,
        }
