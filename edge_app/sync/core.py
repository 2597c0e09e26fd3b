"""The engine's shared machinery: state, the one retry loop, the writer thread, progress.

`EngineCore` is the base of `SyncEngine`; the upload, pending and card-list parts build on it.
May import the domain, the gateway's errors and result types, the sync policy and storage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Literal, Protocol, TypeVar

from edge_app.domain.transactions import Outgoing, TxKind, TxState
from edge_app.gateway.adapter import QueryResult, UploadResult
from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    GatewayError,
    PermanentError,
    RateLimited,
    StoreConfigurationError,
)
from edge_app.gateway.retry import backoff_ceiling, next_delay
from edge_app.sync import policy
from edge_app.sync.policy import Action
from edge_app.sync.summary import CancelToken, Progress, StopRun, SyncOptions, SyncSummary
from storage import outbox
from storage.errors import DatabaseBusyError
from storage.outbox import Outcome
from storage.repository import Store

log = logging.getLogger("edge_app.sync")

T = TypeVar("T")
DEFAULT_OPTIONS = SyncOptions()


class Gateway(Protocol):
    """What the engine needs from the gateway client (GatewayClient implements it)."""

    def upload(self, kind: TxKind, items: Sequence[Outgoing]) -> list[UploadResult]: ...

    def query(self, ident: str) -> QueryResult: ...

    def card_block(self, op: Literal["add", "del"], numbers: Sequence[str]) -> int: ...


class EngineCore:
    def __init__(
        self,
        store: Store,
        gateway: Gateway,
        options: SyncOptions = DEFAULT_OPTIONS,
        *,
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.options = options
        self.cancel = cancel or CancelToken()
        self._progress = progress
        self._clock = clock
        self._rand = rand
        self._summary = SyncSummary()
        self._done = 0
        self._total = 0
        self._lock = threading.Lock()  # the summary, progress, and the counters below
        self._halt = threading.Event()  # a sender hit a run-stopping error: the others stop too
        self._accepted: set[TxKind] = set()  # kinds the gateway accepted a request of, this run
        self._isolated = 0  # records held after bisection, this run
        self._waited = 0.0  # seconds spent waiting between retries, this run
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future[None]] = []

    @contextmanager
    def _writer_thread(self) -> Iterator[None]:
        """The writer lives for the whole run; on the way out every answer it holds is written."""
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="edge-sync-writer")
        try:
            yield
            self._drain_writes()
        except BaseException:
            self._collect_writes()
            raise
        finally:
            self._writer.shutdown(wait=True)
            self._writer = None

    def _note_stop(self, stop: StopRun) -> None:
        lines = self._summary.needs_attention if stop.needs_person else self._summary.retry_later
        if stop.reason and not self._summary.reason:
            self._summary.reason = stop.reason
        if str(stop) not in lines:
            lines.append(str(stop))

    def _report(self, step: str, advanced: int = 0, message: str = "") -> None:
        with self._lock:
            self._done += advanced
            self._total = max(self._total, self._done)
            snapshot = Progress(step, self._done, self._total, message)
            self._step = step
        if self._progress is not None:
            self._progress(snapshot)

    def _report_retry(self, delay: float, error: GatewayError, attempt: int) -> None:
        """Tell the screen a request failed and goes again in `delay` seconds, and why."""
        with self._lock:
            snapshot = Progress(
                getattr(self, "_step", ""),
                self._done,
                self._total,
                str(error),
                retry_in=delay,
                reason=policy.reason_code(error),
                attempt=attempt + 1,
            )
        if self._progress is not None:
            self._progress(snapshot)

    def _stopping(self) -> bool:
        return self.cancel.cancelled or self._halt.is_set()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self._halt.is_set():
                raise StopRun("Stopped because another batch hit a problem.", needs_person=False)
            if self.cancel.wait(min(remaining, 0.25)):
                raise StopRun("The sync was cancelled.", needs_person=False, reason="cancelled")

    def _patiently(self, write: Callable[[], T]) -> T:
        """A database write, waiting while another program holds the write lock (an import)."""
        deadline = time.monotonic() + self.options.busy_wait
        while True:
            try:
                return write()
            except DatabaseBusyError:
                if time.monotonic() >= deadline:
                    raise StopRun(
                        f"The database stayed busy for over {self.options.busy_wait:g} s "
                        "(another program is writing to it, for example a large import), so "
                        "this sync stopped. Records whose answer could not be written yet stay "
                        "queued and go again with the same id, which the gateway does not "
                        "charge twice; sync again when the other program is done.",
                        needs_person=False,
                        reason="busy",
                    ) from None
                log.info("database busy; waiting to write")
                if self.cancel.wait(0.5):
                    raise StopRun("The sync was cancelled.", needs_person=False) from None

    def _request(
        self, send: Callable[[], T], what: str, give_back: Callable[[str], None]
    ) -> T | PermanentError:
        """Send one request, retrying what may pass (`policy.request_action`).

        Returns the answer, or a refusal that may be caused by the request's content (the caller
        isolates it). Anything else stops the run: `give_back(reason)` first returns the
        request's records to the queue, and StopRun says what happened and what stays queued.
        """
        attempt = 0
        while True:
            try:
                return send()
            except GatewayError as exc:
                error = exc
            action = policy.request_action(
                error, attempt, self.options.batch_attempts, self.options.max_retry_after
            )
            if action is Action.RETRY:
                delay = self._delay(error, attempt)
                with self._lock:
                    within_budget = self._waited + delay <= self.options.retry_budget
                    if within_budget:
                        self._waited += delay
                if within_budget:
                    attempt += 1
                    log.info("%s failed transiently, retrying: %s", what, error)
                    self._report_retry(delay, error, attempt)
                    self._sleep(delay)
                    continue
                action = Action.STOP_LATER
            if action is Action.ISOLATE:
                assert isinstance(error, PermanentError)
                return error
            give_back(str(error))
            raise StopRun(
                self._stop_message(action, error, what),
                needs_person=action is Action.STOP_PERSON,
                reason=policy.reason_code(error),
            )

    def _stop_message(self, action: Action, error: GatewayError, what: str) -> str:
        stay = f"the {what} {'stays' if what.startswith('1 ') else 'stay'} queued"
        if action is Action.STOP_LATER:
            if isinstance(error, RateLimited) and (
                (error.retry_after or 0) > self.options.max_retry_after
            ):
                return (
                    f"The gateway asked to wait {policy.wait_text(error.retry_after or 0)} "
                    "before the next request (HTTP 429), longer than a sync waits "
                    f"({policy.wait_text(self.options.max_retry_after)}); {stay} for the next "
                    "sync."
                )
            return f"The gateway is not answering reliably ({error}); {stay} for the next sync."
        if isinstance(error, StoreConfigurationError):
            return (
                "The gateway has no block list or allow list configured for this store "
                f"(Processing Rule Required); {stay}. Ask the payment provider to set the "
                "store's list mode."
            )
        if isinstance(error, AuthError | AccountDisabled):
            return f"{error} {stay[0].upper()}{stay[1:]}."
        return policy.whole_request_refusal(what, error)

    def _delay(self, error: GatewayError, attempt: int) -> float:
        base, cap = self.options.retry_base, self.options.retry_cap
        if self._rand is None:
            return next_delay(error, attempt, base=base, cap=cap)
        return next_delay(error, attempt, rand=self._rand, base=base, cap=cap)

    def _submit(self, write: Callable[[], None], *, wait: bool = False) -> None:
        """Hand a write to the writer thread; with `wait`, until it is written."""
        writer = self._writer
        assert writer is not None, "writes happen only while `run` has its writer"
        with self._lock:
            backlog = [w for w in self._writes if not w.done()]
        if len(backlog) > self.options.concurrency:
            backlog[0].result()  # the writer is behind: do not pile up answers in memory
        future = writer.submit(self._patiently, write)
        with self._lock:
            self._writes.append(future)
        if wait:
            future.result()

    def _collect_writes(self) -> BaseException | None:
        """Wait for every write handed over so far; the first error, if any (a StopRun is
        noted in the summary and stops the rest of the run)."""
        with self._lock:
            writes, self._writes = self._writes, []
        first: BaseException | None = None
        for future in writes:
            error = future.exception()
            if error is not None and first is None:
                first = error
        if isinstance(first, StopRun):
            self._note_stop(first)
            self._halt.set()
        return first

    def _drain_writes(self) -> None:
        error = self._collect_writes()
        if error is not None:
            raise error

    def _record_outcomes(
        self, outcomes: Sequence[Outcome], *, notes: Sequence[str] = (), wait: bool = False
    ) -> None:
        self._submit(lambda: self._write_outcomes(outcomes, notes), wait=wait)

    def _write_outcomes(self, outcomes: Sequence[Outcome], notes: Sequence[str]) -> None:
        """Write on the writer thread, then count what was written into the summary."""
        refused = set(outbox.apply_outcomes(self.store, outcomes))
        written = [o for o in outcomes if o.uuid not in refused]
        with self._lock:
            summary = self._summary
            for outcome in written:
                summary.duplicates += outcome.duplicate
                if outcome.state is TxState.UPLOADED:
                    summary.uploaded += 1
                elif outcome.state is TxState.FAILED:
                    summary.failed += 1
                elif outcome.state is TxState.HELD:
                    summary.held += 1
                elif outcome.state is TxState.QUEUED and outcome.retry_at is not None:
                    summary.requeued += 1  # refused for a passing reason: tried again later
            summary.needs_attention.extend(notes)
            if refused:
                summary.needs_attention.append(
                    f"{len(refused)} answer(s) of the gateway could not be recorded because the "
                    "record changed meanwhile; they are asked again at the next sync."
                )
        if refused:
            log.error("answers for %d record(s) refused by the state machine", len(refused))

    def _verdict_outcome(
        self,
        uuid: str,
        kind: TxKind | None,
        state: str,
        brn: str | None,
        error_code: str | None,
        error_desc: str | None,
        attempts: int,
        *,
        duplicate: bool = False,
        counted: bool = False,
    ) -> tuple[Outcome, str | None]:
        """The outcome one answer about a record gives, and the needs-attention line if any."""
        verdict = policy.answer_verdict(
            state, brn, error_code, error_desc, attempts, self.options.item_attempts
        )
        what = f"{kind.value} {uuid}" if kind else uuid
        note: str | None = None
        retry_at: float | None = None
        if verdict.state is TxState.FAILED:
            note = f"{'Declined' if verdict.declined else 'Failed'} {what}: {verdict.reason}"
        elif verdict.state is TxState.HELD:
            note = f"Held {what} for a manager: {verdict.reason}"
        elif verdict.retry:
            retry_at = self._clock() + backoff_ceiling(
                attempts, self.options.retry_base * 30, outbox.MAX_RETRY_DELAY
            )
        keep_code = verdict.state in (TxState.FAILED, TxState.HELD, TxState.QUEUED)
        return (
            Outcome(
                uuid,
                verdict.state,
                brn=brn if verdict.state in (TxState.UPLOADED, TxState.PENDING) else None,
                error_code=error_code if keep_code else None,
                error_desc=verdict.reason,
                duplicate=duplicate,
                retry_at=retry_at,
                count_attempt=counted or verdict.retry,
            ),
            note,
        )
