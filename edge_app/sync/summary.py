"""What a sync run is given and what it gives back: options, progress, cancel, the summary.

Plain data; imports nothing of the project. The exit codes are the command line's (`sync`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from edge_app.domain.transactions import HELD_DAYS

EXIT_DONE = 0
EXIT_NEEDS_PERSON = 3
EXIT_RETRY_LATER = 4


@dataclass(frozen=True)
class SyncOptions:
    batch_size: int = 500
    concurrency: int = 2
    query_interval: float = 20.0  # seconds between queries of a pending result (seed: ~20 s)
    pending_wait: float = 60.0  # how long one run waits for pending results before leaving them
    batch_attempts: int = 5  # tries of one request within a run before the run gives up for now
    item_attempts: int = 8  # runs a record may be refused transiently before it is held
    retry_base: float = 1.0
    retry_cap: float = 30.0
    max_retry_after: float = 60.0  # a longer Retry-After stops the run instead of waiting
    retry_budget: float = 300.0  # seconds one run may spend waiting between retries, in all
    busy_wait: float = 120.0  # how long a write waits while another program holds the database
    held_days: float = HELD_DAYS  # a held record is given up (card data erased) after this
    max_isolated: int = 20  # records one run may hold after bisection before it suspects a


@dataclass(frozen=True)
class Progress:
    step: str
    done: int
    total: int
    message: str = ""
    retry_in: float = 0.0  # > 0: a request failed and is sent again after this many seconds
    reason: str = ""  # why, as a `policy.reason_code` (for a one-line sentence on screen)
    attempt: int = 0  # the try that comes next: 2 at the first retry


class CancelToken:
    """Set from any thread; the engine stops between batches and during waits."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if cancelled meanwhile."""
        return self._event.wait(max(0.0, seconds))


@dataclass
class SyncSummary:
    uploaded: int = 0
    duplicates: int = 0
    failed: int = 0
    held: int = 0
    pending: int = 0
    requeued: int = 0
    recovered: int = 0
    blocklist_sent: int = 0
    blocklist_failed: int = 0
    left_queued: int = 0
    waiting_for_sale: int = 0
    blocklist_left: int = 0
    cancelled: bool = False
    needs_attention: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reason: str = ""  # `policy.reason_code` of what stopped the run, "" when nothing did

    @property
    def exit_code(self) -> int:
        if self.needs_attention:
            return EXIT_NEEDS_PERSON
        if (
            self.left_queued
            or self.pending
            or self.blocklist_left
            or self.retry_later
            or self.cancelled
        ):
            return EXIT_RETRY_LATER
        return EXIT_DONE

    @property
    def outcome(self) -> str:
        return {
            EXIT_DONE: "done",
            EXIT_NEEDS_PERSON: "needs_attention",
            EXIT_RETRY_LATER: "retry_later",
        }[self.exit_code]

    def to_json(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "uploaded": self.uploaded,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "held": self.held,
            "pending": self.pending,
            "requeued": self.requeued,
            "recovered": self.recovered,
            "left_queued": self.left_queued,
            "waiting_for_sale": self.waiting_for_sale,
            "blocklist_sent": self.blocklist_sent,
            "blocklist_failed": self.blocklist_failed,
            "blocklist_left": self.blocklist_left,
            "cancelled": self.cancelled,
            "needs_attention": list(self.needs_attention),
            "retry_later": list(self.retry_later),
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
        }


class StopRun(Exception):
    """Stop the whole run: the gateway cannot be used now (auth, account, persistent outage)."""

    def __init__(self, message: str, *, needs_person: bool, reason: str = "") -> None:
        super().__init__(message)
        self.needs_person = needs_person
        self.reason = reason
