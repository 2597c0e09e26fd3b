"""The sync engine: sends the outbox and the card-list changes to the gateway.

Safety rules (docs/architecture.md has the state machine and the erasure policy):
- a record becomes final only from the gateway's answer about that record (`policy`): success
  with a BRN, or a decline. Any other refusal naming the record holds it for a manager, card
  data kept; a refusal of a whole request, an answer we do not understand or no answer leaves
  every record of the request queued, and the run says why;
- every record keeps its uuid and its request content for ever, so resending after a timeout, a
  reset or a crash is safe (the gateway answers a known uuid with its stored result);
- sales first; a void or refund goes only once its sale has a BRN (carried as `origin_brn`);
- transient errors back off with full jitter and honour Retry-After, within bounds; when they
  persist the run stops and leaves the rest queued for the next run.

Threads - which one does what:
- the caller's thread (`run`): housekeeping at the start, claiming batches (queued ->
  uploading), queries of pending records (in a small pool) and the card list;
- up to `concurrency` sender threads: one upload request at a time each, with the one retry
  loop (`_request`) and bisection; they never write to the database;
- one writer thread: every write of a gateway answer (`_record_*`), in arrival order, with the
  summary counts, so the senders never wait for a commit. Writes wait patiently while another
  program holds the database (`_patiently`).

Progress and cancellation belong to this interface so the window and the command line share them.
"""

from __future__ import annotations

import time

from edge_app.domain.transactions import TxKind
from edge_app.sync.cardlist import CARD_BLOCK_CHUNK, CardListSync
from edge_app.sync.core import Gateway
from edge_app.sync.pending import PendingQueries
from edge_app.sync.summary import (
    EXIT_DONE,
    EXIT_NEEDS_PERSON,
    EXIT_RETRY_LATER,
    CancelToken,
    Progress,
    StopRun,
    SyncOptions,
    SyncSummary,
)
from edge_app.sync.uploads import Uploads
from storage import outbox

UPLOAD_STEPS = (
    (TxKind.SALE, "Uploading sales"),
    (TxKind.VOID, "Uploading voids"),
    (TxKind.REFUND, "Uploading refunds"),
)


class SyncEngine(Uploads, PendingQueries, CardListSync):
    """One sync run: `SyncEngine(store, gateway, options).run()` -> `SyncSummary`."""

    def run(self) -> SyncSummary:
        started = time.monotonic()
        summary = self._summary
        try:
            with self._writer_thread():
                self._start()
                self._ask_missing_brns()
                for _round in range(3):  # pending answers can free more records to send
                    for kind, step in UPLOAD_STEPS:
                        self._upload_kind(kind, step)
                    changed = self._resolve_pending()
                    # Voids and refunds of sales declined in this round can never go.
                    self._patiently(lambda: outbox.settle_orphaned_follow_ups(self.store))
                    if not changed:
                        break
                self._sync_blocklist()
        except StopRun as stop:
            self._note_stop(stop)
        self._finish(started)
        return summary

    def _start(self) -> None:
        summary = self._summary
        summary.recovered = self._patiently(lambda: outbox.recover_interrupted(self.store))
        expired = self._patiently(
            lambda: outbox.expire_held(self.store, self._clock(), self.options.held_days * 86400)
        )
        if expired:
            summary.failed += expired
            summary.needs_attention.append(
                f"{expired} record(s) held for a manager for over {self.options.held_days:g} "
                "days were given up and their card data erased."
            )
        self._patiently(lambda: outbox.settle_orphaned_follow_ups(self.store))
        now = self._clock()
        self._total = (
            sum(outbox.count_ready(self.store, kind, now) for kind in TxKind)
            + self.store.blocklist_counts()["pending"]
        )

    def _finish(self, started: float) -> None:
        summary = self._summary
        summary.cancelled = self.cancel.cancelled
        counts = self.store.counts_by_state(final=False)
        summary.left_queued = counts["queued"]
        summary.pending = counts["pending"]
        summary.waiting_for_sale = outbox.waiting_for_sale(self.store)
        summary.blocklist_left = self.store.blocklist_counts()["pending"]
        summary.seconds = time.monotonic() - started
        self._report("Finished", 0, summary.outcome)


__all__ = [
    "CARD_BLOCK_CHUNK",
    "EXIT_DONE",
    "EXIT_NEEDS_PERSON",
    "EXIT_RETRY_LATER",
    "CancelToken",
    "Gateway",
    "Progress",
    "StopRun",
    "SyncEngine",
    "SyncOptions",
    "SyncSummary",
]
