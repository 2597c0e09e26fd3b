"""Uploading the outbox: claiming batches, senders, bisection of content refusals.

May import the domain, the gateway's errors and result types, the sync policy and storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from edge_app.domain.transactions import Outgoing, TxKind, TxState
from edge_app.gateway.adapter import UploadResult
from edge_app.gateway.errors import GatewayError, PermanentError, ProtocolError
from edge_app.sync import policy
from edge_app.sync.core import EngineCore
from edge_app.sync.summary import StopRun
from storage import outbox
from storage.outbox import Outcome


def _records(kind: TxKind, count: int) -> str:
    return f"{count} {kind.value}{'' if count == 1 else 's'}"


def _check_results(items: Sequence[Outgoing], results: Sequence[UploadResult]) -> None:
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


class Uploads(EngineCore):
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
                    items, after_id, attempts = self._patiently(claim)
                    if not items:
                        break
                    self._report(step, 0, f"{len(items)} {kind.value}(s) in this batch")
                    in_flight.append(pool.submit(self._send_batch, kind, items, attempts, step))
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

    def _give_back(self, items: Sequence[Outgoing], reason: str) -> None:
        """Records of a request the gateway did not decide about: queued again, card data kept."""
        self._record_outcomes(
            [
                Outcome(i.uuid, TxState.QUEUED, error_desc=reason, count_attempt=False)
                for i in items
            ],
            wait=True,
        )

    def _send_batch(
        self, kind: TxKind, items: list[Outgoing], attempts: Mapping[str, int], step: str
    ) -> None:
        if self._stopping():
            return  # claimed ahead but not sent: the queue gets it back, same uuid
        try:
            answer = self._upload(kind, items)
            if isinstance(answer, PermanentError):
                self._isolate(kind, items, attempts, answer, step)
            else:
                self._record_results(items, attempts, answer, step)
        except BaseException:
            self._halt.set()  # the other senders stop before their next request
            raise

    def _upload(self, kind: TxKind, items: list[Outgoing]) -> list[UploadResult] | PermanentError:
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
        self,
        kind: TxKind,
        items: list[Outgoing],
        attempts: Mapping[str, int],
        error: PermanentError,
        step: str,
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
        refused: list[tuple[list[Outgoing], PermanentError]] = []
        for half in (items[:middle], items[middle:]):
            answer = self._upload(kind, half)
            if isinstance(answer, PermanentError):
                refused.append((half, answer))
            else:
                self._record_results(half, attempts, answer, step)
        with self._lock:
            alike = len(refused) == 2 and kind not in self._accepted
        if alike:
            self._refuse_whole(kind, items, error)
        for half, half_error in refused:
            self._isolate(kind, half, attempts, half_error, step)

    def _refuse_whole(self, kind: TxKind, items: list[Outgoing], error: PermanentError) -> None:
        self._give_back(items, str(error))
        raise StopRun(
            policy.whole_request_refusal(f"{kind.value} uploads", error), needs_person=True
        )

    def _hold(self, item: Outgoing, reason: str, error: GatewayError) -> None:
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

    def _record_results(
        self,
        items: Sequence[Outgoing],
        attempts: Mapping[str, int],
        results: Sequence[UploadResult],
        step: str,
    ) -> None:
        """`attempts`: each record's tries before this one, as its claim read them."""

        def write() -> None:
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
