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

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Literal, Protocol, TypeVar

from edge_app.domain.transactions import HELD_DAYS, TxKind, TxState, UploadItem
from edge_app.gateway.adapter import QueryResult, UploadResult
from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    GatewayError,
    InvalidCardNumbers,
    PermanentError,
    ProtocolError,
    RateLimited,
    StoreConfigurationError,
)
from edge_app.gateway.retry import backoff_ceiling, next_delay
from edge_app.sync import policy
from edge_app.sync.policy import Action
from storage import outbox
from storage.errors import DatabaseBusyError
from storage.outbox import Outcome
from storage.repository import Store

log = logging.getLogger("edge_app.sync")

EXIT_DONE = 0
EXIT_NEEDS_PERSON = 3
EXIT_RETRY_LATER = 4
CARD_BLOCK_CHUNK = 1000
UPLOAD_STEPS = (
    (TxKind.SALE, "Uploading sales"),
    (TxKind.VOID, "Uploading voids"),
    (TxKind.REFUND, "Uploading refunds"),
)
QUERY_STEP = "Waiting for pending results"
CARD_STEP = "Sending card list changes"

T = TypeVar("T")


class Gateway(Protocol):
    """What the engine needs from the gateway client (GatewayClient implements it)."""

    def upload(self, kind: TxKind, items: Sequence[UploadItem]) -> list[UploadResult]: ...

    def query(self, ident: str) -> QueryResult: ...

    def card_block(self, op: Literal["add", "del"], numbers: Sequence[str]) -> int: ...


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
    # refusal of every request rather than of those records


@dataclass(frozen=True)
class Progress:
    step: str
    done: int
    total: int
    message: str = ""


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
            "seconds": round(self.seconds, 3),
        }


class StopRun(Exception):
    """Stop the whole run: the gateway cannot be used now (auth, account, persistent outage)."""

    def __init__(self, message: str, *, needs_person: bool) -> None:
        super().__init__(message)
        self.needs_person = needs_person


def _records(kind: TxKind, count: int) -> str:
    return f"{count} {kind.value}{'' if count == 1 else 's'}"


def _check_results(items: Sequence[UploadItem], results: Sequence[UploadResult]) -> None:
    """An answer is about exactly the records sent, in order, or it is not an answer at all.

    The client checks this too; the engine does not rely on any gateway implementation for it,
    because a result applied to the wrong record would make that record final.
    """
    if len(results) != len(items):
        raise ProtocolError(
            f"The gateway answered with {len(results)} results for {len(items)} transactions."
        )
    if any(r.uuid != i.uuid for r, i in zip(results, items, strict=True)):
        raise ProtocolError("The gateway answered about other transactions than the ones sent.")


class _Unknown:
    """A query answered No Record: the gateway does not hold that uuid."""


UNKNOWN = _Unknown()
QueryAnswer = QueryResult | _Unknown | None  # None: no usable answer this time


class SyncEngine:
    def __init__(
        self,
        store: Store,
        gateway: Gateway,
        options: SyncOptions = SyncOptions(),
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

    # -- public -------------------------------------------------------------------------------

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

    # -- the run's frame ----------------------------------------------------------------------

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
        counts = self.store.counts_by_state()
        summary.left_queued = counts["queued"]
        summary.pending = counts["pending"]
        summary.waiting_for_sale = outbox.waiting_for_sale(self.store)
        summary.blocklist_left = self.store.blocklist_counts()["pending"]
        summary.seconds = time.monotonic() - started
        self._report("Finished", 0, summary.outcome)

    def _note_stop(self, stop: StopRun) -> None:
        lines = self._summary.needs_attention if stop.needs_person else self._summary.retry_later
        if str(stop) not in lines:
            lines.append(str(stop))

    def _report(self, step: str, advanced: int = 0, message: str = "") -> None:
        with self._lock:
            self._done += advanced
            self._total = max(self._total, self._done)
            snapshot = Progress(step, self._done, self._total, message)
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
                raise StopRun("The sync was cancelled.", needs_person=False)

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
                    ) from None
                log.info("database busy; waiting to write")
                if self.cancel.wait(0.5):
                    raise StopRun("The sync was cancelled.", needs_person=False) from None

    # -- the one retry loop -------------------------------------------------------------------

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
                    self._sleep(delay)
                    continue
                action = Action.STOP_LATER
            if action is Action.ISOLATE:
                assert isinstance(error, PermanentError)
                return error
            give_back(str(error))
            raise StopRun(
                self._stop_message(action, error, what), needs_person=action is Action.STOP_PERSON
            )

    def _stop_message(self, action: Action, error: GatewayError, what: str) -> str:
        if action is Action.STOP_LATER:
            if isinstance(error, RateLimited) and (
                (error.retry_after or 0) > self.options.max_retry_after
            ):
                return (
                    f"The gateway asked to wait {policy.wait_text(error.retry_after or 0)} "
                    "before the next request (HTTP 429), longer than a sync waits "
                    f"({policy.wait_text(self.options.max_retry_after)}); the {what} stay "
                    "queued for the next sync."
                )
            return (
                f"The gateway is not answering reliably ({error}); the {what} stay queued for "
                "the next sync."
            )
        if isinstance(error, StoreConfigurationError):
            return (
                "The gateway has no block list or allow list configured for this store "
                f"(Processing Rule Required); the {what} stay queued. Ask the payment provider "
                "to set the store's list mode."
            )
        if isinstance(error, AuthError | AccountDisabled):
            return f"{error} The {what} stay queued."
        return policy.whole_request_refusal(what, error)

    def _delay(self, error: GatewayError, attempt: int) -> float:
        base, cap = self.options.retry_base, self.options.retry_cap
        if self._rand is None:
            return next_delay(error, attempt, base=base, cap=cap)
        return next_delay(error, attempt, rand=self._rand, base=base, cap=cap)

    # -- transactions -------------------------------------------------------------------------

    def _upload_kind(self, kind: TxKind, step: str) -> None:
        """Claim and send batches of `kind`, up to `concurrency` requests in flight.

        Three things overlap: this thread claims the next batch, the senders have requests on
        the wire, and the writer records the answers that came back (in arrival order).
        """
        after_id = 0
        in_flight: list[Future[None]] = []
        failure: BaseException | None = None
        with ThreadPoolExecutor(
            max_workers=self.options.concurrency, thread_name_prefix="edge-sync-send"
        ) as pool:
            try:
                while not self._stopping():
                    claim = partial(
                        outbox.claim_batch,
                        self.store,
                        kind,
                        self.options.batch_size,
                        self._clock(),
                        after_id,
                    )
                    items, after_id = self._patiently(claim)
                    if not items:
                        break
                    self._report(step, 0, f"{len(items)} {kind.value}(s) in this batch")
                    in_flight.append(pool.submit(self._send_batch, kind, items, step))
                    # One batch more than the senders: the next is claimed (database work)
                    # while the others are on the wire, so it is ready the moment one returns.
                    if len(in_flight) > self.options.concurrency:
                        in_flight.pop(0).result()
                for future in in_flight:
                    future.result()
            except BaseException as exc:
                failure = exc
                self._halt.set()  # stop the other senders between their attempts
                for future in in_flight:
                    future.exception()
        # Every answer received is written before what is still `uploading` (claimed, never
        # sent) goes back to the queue, same uuid.
        write_failure = self._collect_writes()
        self._patiently(lambda: outbox.recover_interrupted(self.store))
        if failure is not None:
            raise failure
        if write_failure is not None:
            raise write_failure

    def _give_back(self, items: Sequence[UploadItem], reason: str) -> None:
        """Records of a request the gateway did not decide about: queued again, card data kept."""
        self._record_outcomes(
            [
                Outcome(i.uuid, TxState.QUEUED, error_desc=reason, count_attempt=False)
                for i in items
            ],
            wait=True,
        )

    def _send_batch(self, kind: TxKind, items: list[UploadItem], step: str) -> None:
        if self._stopping():
            return  # claimed ahead but not sent: the queue gets it back, same uuid
        try:
            answer = self._upload(kind, items)
            if isinstance(answer, PermanentError):
                self._isolate(kind, items, answer, step)
            else:
                self._record_results(items, answer, step)
        except BaseException:
            self._halt.set()  # the other senders stop before their next request
            raise

    def _upload(self, kind: TxKind, items: list[UploadItem]) -> list[UploadResult] | PermanentError:
        def send() -> list[UploadResult]:
            results = self.gateway.upload(kind, items)
            _check_results(items, results)
            return results

        answer = self._request(
            send, _records(kind, len(items)), lambda reason: self._give_back(items, reason)
        )
        if not isinstance(answer, PermanentError):
            with self._lock:
                self._accepted.add(kind)
        return answer

    def _isolate(
        self, kind: TxKind, items: list[UploadItem], error: PermanentError, step: str
    ) -> None:
        """A refusal that may come from one record's content: find it by bisection.

        A record is held only when it is refused alone while requests of its kind were accepted
        in this run. When both halves are refused and nothing of the kind was accepted, or
        when too many records were isolated, the refusal is of every request: the run stops.
        """
        if len(items) == 1:
            with self._lock:
                proven = kind in self._accepted and self._isolated < self.options.max_isolated
                if proven:
                    self._isolated += 1
            if not proven:
                self._refuse_whole(kind, items, error)
            reason = f"{error} It was refused when sent alone, while others went through."
            self._hold(items[0], reason, error)
            self._report(step, 1)
            return
        middle = len(items) // 2
        refused: list[tuple[list[UploadItem], PermanentError]] = []
        for half in (items[:middle], items[middle:]):
            answer = self._upload(kind, half)
            if isinstance(answer, PermanentError):
                refused.append((half, answer))
            else:
                self._record_results(half, answer, step)
        with self._lock:
            alike = len(refused) == 2 and kind not in self._accepted
        if alike:
            self._refuse_whole(kind, items, error)
        for half, half_error in refused:
            self._isolate(kind, half, half_error, step)

    def _refuse_whole(self, kind: TxKind, items: list[UploadItem], error: PermanentError) -> None:
        self._give_back(items, str(error))
        raise StopRun(
            policy.whole_request_refusal(f"{kind.value} uploads", error), needs_person=True
        )

    def _hold(self, item: UploadItem, reason: str, error: GatewayError) -> None:
        self._record_outcomes(
            [
                Outcome(
                    item.uuid,
                    TxState.HELD,
                    error_code=error.error_code,
                    error_desc=reason,
                    count_attempt=False,
                    detail="refused when sent alone; held for a manager",
                )
            ],
            notes=[f"Held {item.kind.value} {item.uuid} for a manager: {reason}"],
        )

    # -- the writer ---------------------------------------------------------------------------

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

    def _record_results(
        self, items: Sequence[UploadItem], results: Sequence[UploadResult], step: str
    ) -> None:
        def write() -> None:
            attempts = outbox.attempts_of(self.store, [i.uuid for i in items])
            outcomes: list[Outcome] = []
            notes: list[str] = []
            for item, result in zip(items, results, strict=True):
                outcome, note = self._verdict_outcome(
                    item.uuid,
                    item.kind,
                    result.state,
                    result.brn,
                    result.error_code,
                    result.error_desc,
                    attempts.get(item.uuid, 0),
                    duplicate=result.duplicate,
                    counted=True,  # each answer to an upload is one try of the record
                )
                outcomes.append(outcome)
                if note:
                    notes.append(note)
            self._write_outcomes(outcomes, notes)
            self._report(step, len(items))

        self._submit(write)

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

    # -- pending results ----------------------------------------------------------------------

    def _resolve_pending(self) -> bool:
        """Query pending records until each has an answer or `pending_wait` passes.

        True if any record left `pending` (final, held, or queued to be sent again).
        """
        deadline = time.monotonic() + self.options.pending_wait
        changed = False
        while not self._stopping():
            uuids = outbox.pending_uuids(self.store)
            if not uuids:
                break
            self._report(QUERY_STEP, 0, f"{len(uuids)} pending")
            answers, stop = self._query_all(uuids)
            left = self._record_query_answers(answers)
            if stop is not None:
                raise stop
            changed = changed or left > 0
            if left == len(uuids):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._sleep(min(self.options.query_interval, remaining))
        return changed

    def _query_all(self, uuids: Sequence[str]) -> tuple[dict[str, QueryAnswer], StopRun | None]:
        """Every record's answer; a run-stopping error keeps the answers that did arrive."""
        answers: dict[str, QueryAnswer] = {}
        stop: StopRun | None = None
        with ThreadPoolExecutor(
            max_workers=self.options.concurrency, thread_name_prefix="edge-sync-query"
        ) as pool:
            futures = {uuid: pool.submit(self._query_one, uuid) for uuid in uuids}
            for uuid, future in futures.items():
                try:
                    answers[uuid] = future.result()
                except StopRun as exc:
                    stop = stop or exc
        if stop is not None:
            self._halt.clear()  # the caller raises it; the card list is not reached anyway
        return answers, stop

    def _query_one(self, uuid: str) -> QueryAnswer:
        if self._halt.is_set():
            return None
        try:
            answer = self.gateway.query(uuid)
        except PermanentError as exc:
            return UNKNOWN if exc.error_code == "100013" else None
        except (AuthError, AccountDisabled) as exc:
            self._halt.set()  # the other queries stop asking
            raise StopRun(f"{exc} The pending records stay pending.", needs_person=True) from None
        except GatewayError:
            return None  # ask again at the next interval or the next run
        if uuid not in (answer.uuid, answer.brn):
            return None  # an answer about another record is no answer about this one
        return answer

    def _record_query_answers(self, answers: Mapping[str, QueryAnswer]) -> int:
        """Write the answers (on the writer, waiting for it); how many records left `pending`."""
        left = 0

        def write() -> None:
            nonlocal left
            attempts = outbox.attempts_of(self.store, list(answers))
            outcomes: list[Outcome] = []
            notes: list[str] = []
            for uuid, answer in answers.items():
                if isinstance(answer, _Unknown):
                    verdict = policy.unknown_to_gateway()
                    outcomes.append(
                        Outcome(
                            uuid,
                            verdict.state,
                            error_desc=verdict.reason,
                            count_attempt=False,
                            detail="unknown to the gateway; sent again with the same uuid",
                        )
                    )
                elif isinstance(answer, QueryResult):
                    outcome, note = self._verdict_outcome(
                        uuid,
                        None,
                        answer.state,
                        answer.brn,
                        answer.error_code,
                        answer.error_desc,
                        attempts.get(uuid, 0),
                    )
                    outcomes.append(outcome)
                    if note:
                        notes.append(note)
            self._write_outcomes(outcomes, notes)
            left = sum(o.state is not TxState.PENDING for o in outcomes)
            self._report(QUERY_STEP, left)

        self._submit(write, wait=True)
        return left

    def _ask_missing_brns(self) -> None:
        """Sales an earlier version took as uploaded without a BRN: ask the gateway for it."""
        uuids = outbox.sales_missing_brn(self.store)
        if not uuids:
            return
        answers, stop = self._query_all(uuids)
        for uuid, answer in answers.items():
            if isinstance(answer, QueryResult) and answer.state == "success" and answer.brn:
                self._submit(partial(outbox.record_brn, self.store, uuid, answer.brn), wait=True)
        if stop is not None:
            raise stop

    # -- card block list ----------------------------------------------------------------------

    def _sync_blocklist(self) -> None:
        for op in ("del", "add"):
            after = ""
            while not self._stopping():
                chunk = self.store.blocklist_pending_chunk(op, after, CARD_BLOCK_CHUNK)
                if not chunk:
                    break
                after = chunk[-1]
                self._send_card_chunk(op, chunk)

    def _send_card_chunk(self, op: Literal["add", "del"], numbers: list[str]) -> None:
        what = "card list changes"
        while numbers:
            chunk = numbers
            # From here until an answer the gateway may or may not apply it: a local edit
            # meanwhile must not drop the row (`in_doubt`).
            self._submit(partial(self.store.blocklist_mark_sending, chunk), wait=True)
            answer = self._request(
                partial(self.gateway.card_block, op, chunk), what, lambda reason: None
            )
            if isinstance(answer, InvalidCardNumbers):
                bad = sorted(set(answer.card_numbers) & set(chunk))
                if not bad:  # it named none of ours: a refusal of the request as a whole
                    raise StopRun(policy.whole_request_refusal(what, answer), needs_person=True)
                self._submit(partial(self._mark_cards_failed, bad), wait=True)
                numbers = [n for n in chunk if n not in set(bad)]
                continue
            if isinstance(answer, PermanentError):
                raise StopRun(policy.whole_request_refusal(what, answer), needs_person=True)
            self._submit(partial(self._mark_cards_synced, op, chunk), wait=True)
            return

    def _mark_cards_failed(self, numbers: list[str]) -> None:
        self.store.blocklist_mark_failed(numbers, "The gateway says this card number is not valid.")
        with self._lock:
            self._summary.blocklist_failed += len(numbers)
            self._summary.needs_attention.append(
                f"{len(numbers)} card number(s) were refused by the gateway as not valid."
            )
        self._report(CARD_STEP, len(numbers))

    def _mark_cards_synced(self, op: str, numbers: list[str]) -> None:
        self.store.blocklist_mark_synced(op, numbers)
        with self._lock:
            self._summary.blocklist_sent += len(numbers)
        self._report(CARD_STEP, len(numbers))
