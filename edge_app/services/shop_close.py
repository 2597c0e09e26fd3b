"""The shop-close report and reconciliation with the gateway, as the facade offers them.

`report(first, last)` builds the pure `domain.report.ShopCloseReport` from what storage reads;
`reconcile(first, last)` asks the gateway's query endpoint about the period's confirmed records
and keeps every difference for a manager (it never changes a record). May import config,
domain and storage; the gateway client only inside the methods.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeAlias

from edge_app.domain.errors import ValidationError
from edge_app.services.installation import Installation
from storage.audit import ChainCheck
from storage.report_rows import DifferenceRow

if TYPE_CHECKING:  # the report's and reconciliation's rules: in the methods (start-up stays cheap)
    import httpx

    from edge_app.domain import report as rules
    from edge_app.domain.reconcile import Finding, GatewayView, LocalView
    from edge_app.gateway.adapter import QueryResult

MAX_PERIOD_DAYS = 366
RECONCILE_SECONDS = 120.0  # the shop-close run's bound on asking the gateway


def day_bounds(first: date, last: date) -> tuple[float, float]:
    """[start of `first`, start of the day after `last`) in local time, as timestamps."""
    start = datetime.combine(first, clock_time())
    end = datetime.combine(last + timedelta(days=1), clock_time())
    return start.timestamp(), end.timestamp()


def check_period(first: date, last: date) -> None:
    if last < first:
        raise ValidationError("The period ends before it starts; give --from before --to.")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationError(f"A report covers at most {MAX_PERIOD_DAYS} days.")


def business_day(now: datetime) -> date:
    """The day a shop-close run reports: the day of twelve hours ago, so that a run after
    midnight (a late close, or a missed run caught up in the morning) reports the day that
    closed."""
    return (now - timedelta(hours=12)).date()


@dataclass
class ReconcileResult:
    checked: int = 0
    not_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    new: int = 0
    stopped: str | None = None  # why not every record was asked about

    @property
    def exit_code(self) -> int:
        """0 all agree; 3 differences for a person; 4 not every record could be asked."""
        if self.findings:
            return 3
        return 4 if self.not_checked else 0


class ShopClose(Installation):
    def report(self, first: date, last: date | None = None) -> rules.ShopCloseReport:
        """The shop-close report of the days `first` to `last` (local time), masked cards only."""
        from edge_app.domain import report as rules

        last = last or first
        check_period(first, last)
        since, until = day_bounds(first, last)
        store = self.store
        check = store.verify_audit()
        return rules.ShopCloseReport(
            store_id=self.config.store_id,
            device_id=self.config.device_id,
            first_day=first,
            last_day=last,
            generated_ts=time.time(),
            currencies=rules.currency_sections(store.captured_between(since, until)),
            card_list=rules.card_list_changes(store.card_list_events_between(since, until)),
            syncs=rules.sync_lines(store.sync_runs_between(since, until)),
            audit=rules.AuditHead(
                check.ok, check.entries, check.head_id, check.head_mac, _chain_problem(check)
            ),
            differences=tuple(
                rules.Difference(d.id, d.tx_uuid, d.kind, d.detail, d.found_ts)
                for d in store.open_differences()
            ),
        )

    def reconcile(
        self,
        first: date,
        last: date | None = None,
        *,
        seconds: float = RECONCILE_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> ReconcileResult:
        """Ask the gateway about every record of the period this PC holds as confirmed and keep
        each difference (open until a manager resolves it). Bounded by `seconds`."""
        from edge_app.domain.reconcile import compare

        last = last or first
        check_period(first, last)
        records = self.store.confirmed_between(*day_bounds(first, last))
        result = ReconcileResult()
        if not records:
            return result
        client = self.gateway_client(transport)
        try:
            answers = _ask_all(client.query, records, seconds, self.config.concurrency, result)
        finally:
            client.close()
        for record in records:
            if record.uuid in answers:
                result.checked += 1
                result.findings.extend(compare(record, answers[record.uuid]))
        result.not_checked = len(records) - result.checked
        result.new = self.store.record_differences(result.findings)
        self.store.record_event(
            "reconcile",
            f"{first.isoformat()}..{last.isoformat()}: {result.checked} checked, "
            f"{len(result.findings)} difference(s), {result.not_checked} not checked",
        )
        return result

    def open_differences(self) -> list[DifferenceRow]:
        return self.store.open_differences()

    def count_open_differences(self) -> int:
        """Differences with the gateway no manager has resolved (a "needs attention" count)."""
        return self.store.count_open_differences()

    def resolve_difference(self, difference_id: int, note: str) -> None:
        """A manager dealt with a difference (at the gateway, or with the customer)."""
        note = note.strip()
        if not note:
            raise ValidationError("Say in a few words what was done about the difference.")
        if not self.store.resolve_difference(difference_id, note):
            raise ValidationError(f"No open difference number {difference_id}.")


_Answer: TypeAlias = "GatewayView | None"


def _ask_all(
    query: Callable[[str], QueryResult],
    records: list[LocalView],
    seconds: float,
    workers: int,
    result: ReconcileResult,
) -> dict[str, _Answer]:
    """uuid -> the gateway's view (None: no record) of each record asked in time."""
    from edge_app.gateway.errors import AccountDisabled, AuthError, GatewayError, PermanentError

    deadline = time.monotonic() + seconds
    halt = threading.Event()
    answers: dict[str, _Answer] = {}

    def ask(record: LocalView) -> None:
        if halt.is_set() or time.monotonic() > deadline:
            result.stopped = result.stopped or "the time for reconciliation ran out"
            return
        try:
            answers[record.uuid] = _view(query(record.uuid))
        except PermanentError as exc:
            if exc.error_code == "100013":
                answers[record.uuid] = None
            else:
                result.stopped = str(exc)
        except (AuthError, AccountDisabled) as exc:
            halt.set()
            result.stopped = str(exc)
        except GatewayError as exc:
            result.stopped = str(exc)

    from concurrent.futures import ThreadPoolExecutor  # here: start-up stays cheap

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="reconcile") as pool:
        list(pool.map(ask, records))
    return answers


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _view(answer: QueryResult) -> GatewayView:
    from edge_app.domain.reconcile import GatewayView

    return GatewayView(
        state=answer.state,
        amount=_decimal(answer.amount),
        currency=answer.currency,
        is_voided=answer.is_voided,
        refunded=_decimal(answer.refunded_amount),
    )


def _chain_problem(check: ChainCheck) -> str | None:
    if check.ok:
        return None
    return f"audit entry {check.bad_id} ({check.bad_event}) does not match: {check.problem}"
