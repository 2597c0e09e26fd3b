"""Sync runs: the options from the settings, one run under the inter-process lock, the history.

The sync engine and the gateway client are imported inside the methods (start-up of the core
commands stays cheap); their types only for the checker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edge_app.services.installation import Installation

if TYPE_CHECKING:
    import httpx

    from edge_app.sync.engine import CancelToken, Progress, SyncOptions, SyncSummary


class SyncRuns(Installation):
    def sync_options(self, **overrides: Any) -> SyncOptions:
        """The engine's options from the settings; keyword overrides (None: keep) for tests."""
        from edge_app.sync.engine import SyncOptions

        values: dict[str, Any] = {
            "batch_size": self.config.batch_size,
            "concurrency": self.config.concurrency,
            "query_interval": float(self.config.query_interval),
            "pending_wait": float(self.config.pending_wait),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return SyncOptions(**values)

    def sync(
        self,
        *,
        trigger: str = "manual",
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        transport: httpx.BaseTransport | None = None,
        **overrides: Any,
    ) -> SyncSummary:
        """One sync run under the installation's inter-process lock, recorded in the history."""
        from edge_app.sync.engine import SyncEngine
        from edge_app.sync.lock import SyncLock

        with SyncLock(self.home, trigger):
            run_id = self.store.start_sync_run(trigger)
            client = self.gateway_client(transport)
            summary = None
            try:
                engine = SyncEngine(
                    self.store,
                    client,
                    self.sync_options(**overrides),
                    progress=progress,
                    cancel=cancel,
                )
                summary = engine.run()
            finally:
                client.close()
                if summary is None:
                    self.store.finish_sync_run(run_id, "error", {"outcome": "error"})
            self.store.finish_sync_run(run_id, summary.outcome, summary.to_json())
            return summary

    def sync_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest runs, newest first (window, command line and unattended alike)."""
        return self.store.sync_runs(limit=limit)
