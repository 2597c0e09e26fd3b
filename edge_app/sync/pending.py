"""Records the gateway has without a final answer: queries until they are decided.

May import the domain, the gateway's errors and result types, the sync policy and storage.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from edge_app.domain.transactions import TxState
from edge_app.gateway.adapter import QueryResult
from edge_app.gateway.errors import AccountDisabled, AuthError, GatewayError, PermanentError
from edge_app.sync import policy
from edge_app.sync.core import EngineCore
from edge_app.sync.summary import StopRun
from storage import outbox
from storage.outbox import Outcome

QUERY_STEP = "Waiting for pending results"


class _Unknown:
    """A query answered No Record: the gateway does not hold that uuid."""


UNKNOWN = _Unknown()

QueryAnswer = QueryResult | _Unknown | None  # None: no usable answer this time


class PendingQueries(EngineCore):
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
