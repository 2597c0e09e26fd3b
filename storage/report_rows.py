"""What the shop-close report and reconciliation read, and the differences reconciliation keeps.

Reads are bounded by capture time (the `transactions_captured` index) or, for the card list's
audit entries, by the `audit_card_list` partial index. Differences stay open until a manager
resolves them; reconciliation never changes a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from storage.base import StoreBase
from storage.history import SYNC_RUN_COLUMNS, sync_run
from storage.records import TX_COLUMNS, TxRecord

if TYPE_CHECKING:  # the report's rules are imported where a report is read: start-up stays cheap
    from edge_app.domain.reconcile import Finding, LocalView


@dataclass(frozen=True)
class DifferenceRow:
    id: int
    tx_uuid: str
    kind: str
    local: str | None
    gateway: str | None
    detail: str
    found_ts: float
    seen_ts: float
    resolved_ts: float | None = None
    resolved_note: str | None = None


_DIFF_COLUMNS = (
    "id, tx_uuid, kind, local, gateway, detail, found_ts, seen_ts, resolved_ts, resolved_note"
)


class ReportRows(StoreBase):
    def captured_between(self, since_ts: float, until_ts: float) -> list[TxRecord]:
        """Every record captured in [since, until), oldest first."""
        rows = self.query(
            f"SELECT {TX_COLUMNS} FROM transactions WHERE captured_ts >= ? AND captured_ts < ? "
            "ORDER BY captured_ts, id",
            (since_ts, until_ts),
        )
        return [TxRecord.from_row(r) for r in rows]

    def card_list_events_between(
        self, since_ts: float, until_ts: float
    ) -> list[tuple[str, str | None]]:
        from edge_app.domain.report import CARD_LIST_EVENTS

        marks = ",".join("?" * len(CARD_LIST_EVENTS))
        rows = self.query(
            f"SELECT event, detail FROM audit WHERE event IN ({marks}) "
            "AND at_ts >= ? AND at_ts < ? ORDER BY id",
            (*CARD_LIST_EVENTS, since_ts, until_ts),
        )
        return [(str(e), d) for e, d in rows]

    def sync_runs_between(self, since_ts: float, until_ts: float) -> list[dict[str, Any]]:
        rows = self.query(
            f"SELECT {SYNC_RUN_COLUMNS} FROM sync_runs WHERE started_ts >= ? AND started_ts < ? "
            "ORDER BY id",
            (since_ts, until_ts),
        )
        return [sync_run(r) for r in rows]

    def confirmed_between(self, since_ts: float, until_ts: float) -> list[LocalView]:
        """The uploaded records captured in the period, sales with what is known of their voids
        and refunds here (for reconciliation with the gateway)."""
        records = [
            r for r in self.captured_between(since_ts, until_ts) if r.state.value == "uploaded"
        ]
        sales = [r.uuid for r in records if r.kind.value == "sale"]
        follow: dict[str, list[tuple[str, str, Decimal]]] = {}
        for start in range(0, len(sales), 500):
            chunk = sales[start : start + 500]
            rows = self.query(
                "SELECT origin_uuid, kind, state, coalesce(amount, '0') FROM transactions "
                f"WHERE origin_uuid IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for origin, kind, state, amount in rows:
                follow.setdefault(str(origin), []).append((kind, state, Decimal(amount)))
        return [_local_view(r, follow.get(r.uuid, [])) for r in records]

    # -- differences found by reconciliation --------------------------------------------------

    def record_differences(self, findings: Sequence[Finding]) -> int:
        """Keep what reconciliation found (an open one found again is only marked as seen);
        one audit entry per new difference. Returns how many are new."""
        now = self.now()
        new = 0
        with self.transaction() as conn:
            for f in findings:
                cur = conn.execute(
                    "UPDATE reconcile_differences SET seen_ts = ?, local = ?, gateway = ?, "
                    "detail = ? WHERE tx_uuid = ? AND kind = ? AND resolved_ts IS NULL",
                    (now, f.local, f.gateway, f.detail, f.tx_uuid, f.kind),
                )
                if cur.rowcount:
                    continue
                conn.execute(
                    "INSERT INTO reconcile_differences (tx_uuid, kind, local, gateway, detail, "
                    "found_ts, seen_ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (f.tx_uuid, f.kind, f.local, f.gateway, f.detail, now, now),
                )
                self.audit(conn, "reconcile_difference", tx_uuid=f.tx_uuid, detail=f.kind)
                new += 1
        return new

    def open_differences(self) -> list[DifferenceRow]:
        rows = self.query(
            f"SELECT {_DIFF_COLUMNS} FROM reconcile_differences WHERE resolved_ts IS NULL "
            "ORDER BY id"
        )
        return [DifferenceRow(*r) for r in rows]

    def count_open_differences(self) -> int:
        """Differences with the gateway no manager has resolved yet (for "needs attention")."""
        rows = self.query("SELECT count(*) FROM reconcile_differences WHERE resolved_ts IS NULL")
        return int(rows[0][0])

    def resolve_difference(self, difference_id: int, note: str) -> bool:
        """A manager has dealt with a difference (outside this PC): closed, with their note."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT tx_uuid, kind FROM reconcile_differences WHERE id = ? "
                "AND resolved_ts IS NULL",
                (difference_id,),
            ).fetchone()
            if row is None:
                return False
            conn.execute(
                "UPDATE reconcile_differences SET resolved_ts = ?, resolved_note = ? WHERE id = ?",
                (self.now(), note, difference_id),
            )
            self.audit(conn, "reconcile_resolved", tx_uuid=row[0], detail=f"{row[1]}: {note}"[:200])
            return True


def _local_view(record: TxRecord, follow: Sequence[tuple[str, str, Decimal]]) -> LocalView:
    from edge_app.domain.reconcile import LocalView

    live = [(k, s, a) for k, s, a in follow if s not in ("failed", "cancelled")]
    return LocalView(
        uuid=record.uuid,
        kind=record.kind.value,
        brn=record.brn,
        amount=record.amount,
        currency=record.currency,
        voided_any=any(k == "void" for k, _, _ in live),
        voided_confirmed=any(k == "void" and s == "uploaded" for k, s, _ in live),
        refunded_any=sum((a for k, _, a in live if k == "refund"), Decimal(0)),
        refunded_confirmed=sum(
            (a for k, s, a in live if k == "refund" and s == "uploaded"), Decimal(0)
        ),
    )
