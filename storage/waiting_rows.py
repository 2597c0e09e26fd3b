"""What still waits to be sent and what needs a person, for the status bar, tray and `status`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from edge_app.domain.transactions import TxState
from storage.base import StoreBase
from storage.records import TX_COLUMNS, TxRecord, from_minor

# Records that go out with the next sync on their own. Held records wait for a manager instead
# and are counted among those that need attention.
_SENDING_STATES = "('queued', 'uploading', 'pending')"
# Held records need a decision (Retry or Give up); failed ones need a manager to have seen them.
_ATTENTION = "seen_ts IS NULL AND state IN ('held', 'failed')"


@dataclass(frozen=True)
class Waiting:
    """Records not yet final that go out on their own: per kind, with amounts per currency."""

    sales: int = 0
    voids: int = 0
    refunds: int = 0
    sale_totals: dict[str, Decimal] = field(default_factory=dict)  # amount plus tips
    refund_totals: dict[str, Decimal] = field(default_factory=dict)  # money going back

    @property
    def records(self) -> int:
        return self.sales + self.voids + self.refunds


class WaitingRows(StoreBase):
    def waiting(self) -> Waiting:
        """From the kept unsent totals (`storage.unsent`) less the held records (each waits for
        a manager, so they are few), in one statement: one short read however many records
        wait. Refund amounts from their (few) rows."""
        counts = {"sale": 0, "void": 0, "refund": 0}
        sale_totals: dict[str, Decimal] = {}
        for kind, currency, count, exposure in self.query(
            "SELECT kind, currency, sum(records), sum(total_minor) FROM ("
            "SELECT kind, currency, records, total_minor FROM unsent_totals UNION ALL "
            "SELECT kind, coalesce(currency, ''), -count(*), -sum(exposure_minor) "
            "FROM transactions WHERE state = 'held' GROUP BY 1, 2"
            ") GROUP BY 1, 2 HAVING sum(records) > 0"
        ):
            counts[str(kind)] += int(count)
            if kind == "sale" and currency:
                sale_totals[str(currency)] = from_minor(int(exposure), str(currency))
        refund_totals: dict[str, Decimal] = {}
        if counts["refund"]:
            for currency, amount in self.query(
                "SELECT currency, amount FROM transactions "
                f"WHERE state IN {_SENDING_STATES} AND kind = 'refund'"
            ):
                if currency and amount is not None:
                    key = str(currency)
                    refund_totals[key] = refund_totals.get(key, Decimal(0)) + Decimal(amount)
        return Waiting(
            sales=counts["sale"],
            voids=counts["void"],
            refunds=counts["refund"],
            sale_totals=dict(sorted(sale_totals.items())),
            refund_totals=dict(sorted(refund_totals.items())),
        )

    def attention_count(self) -> int:
        return int(self.query(f"SELECT count(*) FROM transactions WHERE {_ATTENTION}")[0][0])

    def attention_records(self, limit: int = 50) -> list[TxRecord]:
        """Held records and failed ones no manager has seen yet, newest first."""
        rows = self.query(
            f"SELECT {TX_COLUMNS} FROM transactions WHERE {_ATTENTION} ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [TxRecord.from_row(r) for r in rows]

    def unseen_failed_uuids(self) -> list[str]:
        rows = self.query(
            f"SELECT uuid FROM transactions WHERE {_ATTENTION} AND state = 'failed' ORDER BY id"
        )
        return [str(r[0]) for r in rows]

    def mark_seen(self, uuids: Sequence[str], *, by: str) -> int:
        """A manager has seen these failed records; held ones stay until Retry or Give up."""
        now = self.now()
        seen = 0
        with self.transaction() as conn:
            for uuid in uuids:
                cur = conn.execute(
                    "UPDATE transactions SET seen_ts = ? "
                    "WHERE uuid = ? AND state = ? AND seen_ts IS NULL",
                    (now, uuid, TxState.FAILED.value),
                )
                if cur.rowcount:
                    seen += 1
                    self.audit(conn, "seen", tx_uuid=uuid, detail=f"seen by {by}")
        return seen
