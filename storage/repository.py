"""The encrypted queue: transactions (an outbox), audit trail, settings and the card block list.

One `Store` per process owns the one connection (`base`); its queries live in parts by what
they serve - the outbox's rows (`transaction_rows`), what waits and what needs a person
(`waiting_rows`), the card list (`cardlist_rows`), settings and the sync history (`history`),
the shop-close report and reconciliation (`report_rows`) - and the rows they return are plain
data (`records`). May import the domain only (and the SQLCipher driver).
"""

from __future__ import annotations

from storage.cardlist_rows import CardListRows
from storage.history import SettingsAndHistory
from storage.records import (
    TX_COLUMNS,
    AuditRow,
    BlockEntry,
    TxFilter,
    TxRecord,
    from_minor,
    to_minor,
)
from storage.report_rows import DifferenceRow, ReportRows
from storage.staging import ImportStaging
from storage.transaction_rows import TransactionRows
from storage.waiting_rows import Waiting, WaitingRows


class Store(
    TransactionRows, WaitingRows, CardListRows, SettingsAndHistory, ReportRows, ImportStaging
):
    """All reads and writes of the queue database.

    Thread-safe: one lock serialises the connection.
    """


__all__ = [
    "TX_COLUMNS",
    "AuditRow",
    "BlockEntry",
    "DifferenceRow",
    "Store",
    "TxFilter",
    "TxRecord",
    "Waiting",
    "from_minor",
    "to_minor",
]
