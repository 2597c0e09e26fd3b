"""The sync engine: sends the outbox and the card-list changes to the gateway.

Order and safety rules:
- sales first; a void or refund goes only once its sale has a BRN (carried as `origin_brn`);
- every record keeps its uuid for ever, so resending after a timeout, a reset or a crash is safe
  (the gateway answers a known uuid with its stored result, `duplicate: true`);
- a whole-batch permanent error is bisected so that one bad record never blocks the others;
- transient errors back off with full jitter and honour Retry-After; when they persist the run
  stops and leaves the rest queued for the next run;
- results are written one SQLite transaction per batch; final states erase the card data.

Progress and cancellation belong to this interface so the window and the command line share them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol

from edge_app.domain.transactions import TxKind, TxState, UploadItem
from edge_app.gateway.adapter import QueryResult, UploadResult
from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    GatewayError,
    InvalidCardNumbers,
    PermanentError,
    StoreConfigurationError,
    TransientError,
    classify_code,
    describe_code,
)
from edge_app.gateway.retry import next_delay
from storage import outbox
from storage.outbox import Outcome
from storage.repository import Store

log = logging.getLogger("edge_app.sync")

EXIT_DONE = 0
EXIT_NEEDS_PERSON = 3
EXIT_RETRY_LATER = 4
CARD_BLOCK_CHUNK = 1000


class Gateway(Protocol):
    """What the engine needs from the gateway client (GatewayClient implements it)."""

    def upload(
        self, kind: TxKind, items: Sequence[UploadItem], sn: str | None = None
    ) -> list[UploadResult]: ...

    def query(self, ident: str) -> QueryResult: ...

    def card_block(self, op: Literal["add", "del"], numbers: Sequence[str]) -> int: ...


@dataclass(frozen=True)
class SyncOptions:
    batch_size: int = 500
    concurrency: int = 2
    query_interval: float = 20.0  # seconds between queries of a pending result (seed: ~20 s)
    pending_wait: float = 60.0  # how long one run waits for pending results before leaving them
    batch_attempts: int = 5  # tries of one batch within a run before the run gives up for now
    item_attempts: int = 8  # runs a record may fail transiently before it is marked failed
    retry_base: float = 1.0
    retry_cap: float = 30.0
    device_sn: str | None = None


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
        self._lock = threading.Lock()
        self._halt = threading.Event()  # a worker hit a run-stopping error: others stop too
        self._writer: ThreadPoolExecutor | None = None  # records answers while requests fly
        self._writes: list[Future[None]] = []

    # -- public -------------------------------------------------------------------------------

    def run(self) -> SyncSummary:
        started = time.monotonic()
        summary = self._summary
        summary.recovered = outbox.recover_interrupted(self.store)
        outbox.settle_orphaned_follow_ups(self.store)
        now = self._clock()
        self._total = (
            sum(outbox.count_ready(self.store, kind, now) for kind in TxKind)
            + self.store.blocklist_counts()["pending"]
        )
        try:
            for _round in range(3):
                self._upload_kind(TxKind.SALE, "Uploading sales")
                self._upload_kind(TxKind.VOID, "Uploading voids")
                self._upload_kind(TxKind.REFUND, "Uploading refunds")
                if not self._resolve_pending():
                    break
                outbox.settle_orphaned_follow_ups(self.store)
            self._sync_blocklist()
        except StopRun as stop:
            (summary.needs_attention if stop.needs_person else summary.retry_later).append(
                str(stop)
            )
        self._finish(started)
        return summary

    # -- helpers ------------------------------------------------------------------------------

    def _report(self, step: str, advanced: int = 0, message: str = "") -> None:
        with self._lock:
            self._done += advanced
            self._total = max(self._total, self._done)
            snapshot = Progress(step, self._done, self._total, message)
        if self._progress is not None:
            self._progress(snapshot)

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

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self._halt.is_set():
                raise StopRun("Stopped because another batch hit a problem.", needs_person=False)
            if self.cancel.wait(min(remaining, 0.25)):
                raise StopRun("The sync was cancelled.", needs_person=False)

    def _delay(self, error: GatewayError, attempt: int) -> float:
        base, cap = self.options.retry_base, self.options.retry_cap
        if self._rand is None:
            return next_delay(error, attempt, base=base, cap=cap)
        return next_delay(error, attempt, rand=self._rand, base=base, cap=cap)

    # -- transactions -------------------------------------------------------------------------

    def _upload_kind(self, kind: TxKind, step: str) -> None:
        """Claim and send batches of `kind`, up to `concurrency` requests in flight.

        Three things overlap: this thread claims the next batch, the workers have requests on
        the wire, and one writer thread records the answers that came back (in arrival order).
        """
        after_id = 0
        in_flight: list[Future[None]] = []
        with (
            ThreadPoolExecutor(max_workers=self.options.concurrency) as pool,
            ThreadPoolExecutor(max_workers=1) as writer,
        ):
            self._writer = writer
            try:
                while not (self.cancel.cancelled or self._halt.is_set()):
                    items = outbox.claim_batch(
                        self.store, kind, self.options.batch_size, self._clock(), after_id
                    )
                    if not items:
                        break
                    after_id = outbox.last_id(self.store, items[-1].uuid)
                    self._report(step, 0, f"{len(items)} {kind.value}(s) in this batch")
                    in_flight.append(pool.submit(self._send_batch, kind, items, step))
                    # One batch more than the workers: the next is claimed (database work)
                    # while the others are on the wire, so it is ready the moment one returns.
                    if len(in_flight) > self.options.concurrency:
                        in_flight.pop(0).result()
                for future in in_flight:
                    future.result()
                self._drain_writes()
            except BaseException:
                self._halt.set()  # stop the other workers between their attempts
                for future in in_flight:
                    future.exception()
                self._drain_writes(raise_errors=False)  # answers received are still recorded
                raise
            finally:
                self._writer = None
                # Anything claimed but not sent (cancel) goes back to queued, same uuid.
                outbox.recover_interrupted(self.store)

    def _write_later(
        self, items: Sequence[UploadItem], results: Sequence[UploadResult], step: str
    ) -> None:
        """Record a batch's answers on the writer thread, so the worker can send the next one."""
        assert self._writer is not None, "only called while `_upload_kind` runs"
        with self._lock:
            backlog = [w for w in self._writes if not w.done()]
        if len(backlog) > self.options.concurrency:
            backlog[0].result()  # the writer is behind: do not pile up answers in memory
        future = self._writer.submit(self._apply_results, items, results, step)
        with self._lock:
            self._writes.append(future)

    def _drain_writes(self, *, raise_errors: bool = True) -> None:
        with self._lock:
            writes, self._writes = self._writes, []
        for future in writes:
            if raise_errors:
                future.result()
            else:
                future.exception()

    def _send_batch(self, kind: TxKind, items: list[UploadItem], step: str) -> None:
        if self.cancel.cancelled or self._halt.is_set():
            return  # claimed ahead but not sent: `recover_interrupted` puts it back in the queue
        attempt = 0
        while True:
            try:
                results = self.gateway.upload(kind, items, self.options.device_sn)
            except (AuthError, AccountDisabled) as exc:
                self._requeue(items, str(exc), count_attempt=False)
                raise StopRun(str(exc), needs_person=True) from None
            except StoreConfigurationError as exc:
                self._requeue(items, str(exc), count_attempt=False)
                raise StopRun(str(exc), needs_person=True) from None
            except PermanentError as exc:
                self._bisect(kind, items, exc, step)
                return
            except TransientError as exc:
                attempt += 1
                if attempt >= self.options.batch_attempts:
                    self._requeue(items, str(exc), count_attempt=False)
                    raise StopRun(
                        f"The gateway is not answering reliably ({exc}); "
                        f"{len(items)} record(s) stay queued for the next sync.",
                        needs_person=False,
                    ) from None
                log.info("batch of %d %s(s) failed transiently: %s", len(items), kind.value, exc)
                self._sleep(self._delay(exc, attempt - 1))
                continue
            self._write_later(items, results, step)
            return

    def _bisect(
        self, kind: TxKind, items: list[UploadItem], error: PermanentError, step: str
    ) -> None:
        """A whole-request refusal: find the record(s) causing it and send the rest."""
        if len(items) == 1:
            item = items[0]
            outbox.apply_outcomes(
                self.store,
                [
                    Outcome(
                        item.uuid,
                        TxState.FAILED,
                        error_code=error.error_code,
                        error_desc=str(error),
                    )
                ],
            )
            with self._lock:  # workers bisect while the writer counts: one at a time
                self._summary.failed += 1
                self._summary.needs_attention.append(
                    f"The gateway refused {kind.value} {item.uuid}: {error}"
                )
            self._report(step, 1)
            return
        middle = len(items) // 2
        for half in (items[:middle], items[middle:]):
            self._send_batch(kind, half, step)

    def _requeue(self, items: Sequence[UploadItem], reason: str, *, count_attempt: bool) -> None:
        outbox.apply_outcomes(
            self.store,
            [
                Outcome(i.uuid, TxState.QUEUED, error_desc=reason, count_attempt=count_attempt)
                for i in items
            ],
        )

    def _apply_results(
        self, items: Sequence[UploadItem], results: Sequence[UploadResult], step: str
    ) -> None:
        attempts = outbox.attempts_of(self.store, [i.uuid for i in items])
        with self._lock:  # `_outcome` counts into the summary, which bisecting workers share
            outcomes = [
                self._outcome(item, result, attempts.get(item.uuid, 0))
                for item, result in zip(items, results, strict=True)
            ]
        outbox.apply_outcomes(self.store, outcomes)
        self._report(step, len(items))

    def _outcome(self, item: UploadItem, result: UploadResult, attempts: int) -> Outcome:
        summary = self._summary
        if result.duplicate:
            summary.duplicates += 1
        if result.state == "success":
            summary.uploaded += 1
            return Outcome(item.uuid, TxState.UPLOADED, brn=result.brn, duplicate=result.duplicate)
        if result.state == "pending":
            return Outcome(item.uuid, TxState.PENDING, brn=result.brn, duplicate=result.duplicate)
        kind = classify_code(result.error_code)
        text = describe_code(result.error_code, result.error_desc)
        if kind == "transient" and attempts + 1 < self.options.item_attempts:
            summary.requeued += 1
            retry_at = self._clock() + self._backoff_seconds(attempts)
            return Outcome(
                item.uuid,
                TxState.QUEUED,
                error_code=result.error_code,
                error_desc=text,
                retry_at=retry_at,
            )
        summary.failed += 1
        label = "Declined" if kind == "declined" else "Failed"
        summary.needs_attention.append(f"{label} {item.kind.value} {item.uuid}: {text}")
        return Outcome(item.uuid, TxState.FAILED, error_code=result.error_code, error_desc=text)

    def _backoff_seconds(self, attempts: int) -> float:
        from edge_app.gateway.retry import backoff_ceiling

        return backoff_ceiling(attempts, self.options.retry_base * 30, outbox.MAX_RETRY_DELAY)

    # -- pending results ----------------------------------------------------------------------

    def _resolve_pending(self) -> bool:
        """Query pending records until final or `pending_wait` passes. True if any became final."""
        deadline = time.monotonic() + self.options.pending_wait
        resolved_any = False
        while True:
            uuids = outbox.pending_uuids(self.store)
            if not uuids or self.cancel.cancelled:
                return resolved_any
            self._report("Waiting for pending results", 0, f"{len(uuids)} pending")
            with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
                answers = list(pool.map(self._query_one, uuids))
            outcomes = [o for o in answers if o is not None]
            outbox.apply_outcomes(self.store, outcomes)
            finals = [o for o in outcomes if o.state is not TxState.PENDING]
            resolved_any = resolved_any or bool(finals)
            if len(finals) == len(uuids):
                return resolved_any
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return resolved_any
            self._sleep(min(self.options.query_interval, remaining))

    def _query_one(self, uuid: str) -> Outcome | None:
        try:
            answer = self.gateway.query(uuid)
        except PermanentError as exc:
            if exc.error_code == "100013":
                # The gateway does not know it after all: send it again, same uuid.
                return Outcome(
                    uuid, TxState.QUEUED, count_attempt=False, detail="unknown to gateway"
                )
            return None
        except (AuthError, AccountDisabled) as exc:
            raise StopRun(str(exc), needs_person=True) from None
        except GatewayError:
            return None  # try again at the next interval or the next run
        if answer.state == "success":
            self._summary.uploaded += 1
            self._report("Waiting for pending results", 1)
            return Outcome(uuid, TxState.UPLOADED, brn=answer.brn, count_attempt=False)
        if answer.state == "failed":
            self._summary.failed += 1
            text = describe_code(answer.error_code, answer.error_desc)
            self._summary.needs_attention.append(f"{uuid}: {text}")
            self._report("Waiting for pending results", 1)
            return Outcome(
                uuid,
                TxState.FAILED,
                error_code=answer.error_code,
                error_desc=text,
                count_attempt=False,
            )
        return Outcome(uuid, TxState.PENDING, brn=answer.brn, count_attempt=False)

    # -- card block list ----------------------------------------------------------------------

    def _sync_blocklist(self) -> None:
        for op in ("del", "add"):
            after = ""
            while not self.cancel.cancelled:
                chunk = self.store.blocklist_pending_chunk(op, after, CARD_BLOCK_CHUNK)
                if not chunk:
                    break
                after = chunk[-1]
                self._send_card_chunk(op, chunk)

    def _send_card_chunk(self, op: Literal["add", "del"], numbers: list[str]) -> None:
        step = "Sending card list changes"
        attempt = 0
        while numbers:
            try:
                self.gateway.card_block(op, numbers)
            except InvalidCardNumbers as exc:
                bad = set(exc.card_numbers) & set(numbers)
                if not bad:  # the gateway named none of ours: treat the chunk as refused
                    bad = set(numbers)
                self.store.blocklist_mark_failed(
                    sorted(bad), "The gateway says this card number is not valid."
                )
                self._summary.blocklist_failed += len(bad)
                self._summary.needs_attention.append(
                    f"{len(bad)} card number(s) were refused by the gateway as not valid."
                )
                self._report(step, len(bad))
                numbers = [n for n in numbers if n not in bad]
                continue
            except StoreConfigurationError:
                raise StopRun(
                    "The gateway has no block list or allow list configured for this store "
                    "(Processing Rule Required); the card list changes stay queued. Ask the "
                    "payment provider to set the store's list mode.",
                    needs_person=True,
                ) from None
            except (AuthError, AccountDisabled) as exc:
                raise StopRun(str(exc), needs_person=True) from None
            except PermanentError as exc:
                self.store.blocklist_mark_failed(numbers, str(exc))
                self._summary.blocklist_failed += len(numbers)
                self._summary.needs_attention.append(f"Card list change refused: {exc}")
                return
            except TransientError as exc:
                attempt += 1
                if attempt >= self.options.batch_attempts:
                    raise StopRun(
                        f"The gateway is not answering reliably ({exc}); card list changes stay "
                        "queued for the next sync.",
                        needs_person=False,
                    ) from None
                self._sleep(self._delay(exc, attempt - 1))
                continue
            self.store.blocklist_mark_synced(op, numbers)
            self._summary.blocklist_sent += len(numbers)
            self._report(step, len(numbers))
            return
