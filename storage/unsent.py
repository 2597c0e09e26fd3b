"""What is not yet accepted by the gateway, kept as running totals (`unsent_totals`).

A capture checks the offline limits against the unsent amount per currency and the age of the
oldest unsent record. Summing the unsent records on every capture grows with the backlog; these
totals (amount in minor units and a count, per currency and kind) are kept instead, in the same
transaction, by the code that changes states: a capture adds its record, a batch of answers
subtracts what became final in one statement. `recompute` rebuilds them from the rows (the
schema migration, a recovered copy) and `check` compares the two (tests, `db check`).

Held records count as unsent: until a manager resolves them the store carries their risk.
Imports the standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Connection = Any  # sqlcipher3 ships no type information

UNSENT_STATES = frozenset({"queued", "uploading", "pending", "held"})
UNSENT_SQL = "('queued', 'uploading', 'pending', 'held')"
# (currency or '', kind) -> (amount in minor units, records)
Deltas = Mapping[tuple[str, str], tuple[int, int]]

_UPSERT = (
    "INSERT INTO unsent_totals (currency, kind, total_minor, records) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (currency, kind) DO UPDATE SET total_minor = total_minor + excluded.total_minor, "
    "records = records + excluded.records"
)


def is_unsent(state: str) -> bool:
    return state in UNSENT_STATES


def add(conn: Connection, deltas: Deltas) -> None:
    """Add (or with negative numbers, subtract) per (currency, kind): one statement."""
    rows = [(cur, kind, minor, count) for (cur, kind), (minor, count) in deltas.items() if count]
    if rows:
        conn.executemany(_UPSERT, rows)


def accumulate(
    deltas: dict[tuple[str, str], tuple[int, int]],
    currency: str | None,
    kind: str,
    exposure: int,
    sign: int,
) -> None:
    key = (currency or "", kind)
    minor, count = deltas.get(key, (0, 0))
    deltas[key] = (minor + sign * exposure, count + sign)


def shift(conn: Connection, where: str, params: Iterable[object], sign: int) -> None:
    """Add (`sign` 1) or subtract (-1) the records matching `where`, read from their rows: call
    it after they became unsent, or before they stop being so."""
    conn.execute(
        "INSERT INTO unsent_totals (currency, kind, total_minor, records) "
        f"SELECT coalesce(currency, ''), kind, {int(sign)} * sum(exposure_minor), "
        f"{int(sign)} * count(*) FROM transactions WHERE {where} GROUP BY 1, 2 "
        "ON CONFLICT (currency, kind) DO UPDATE SET total_minor = total_minor + "
        "excluded.total_minor, records = records + excluded.records",
        tuple(params),
    )


def recompute(conn: Connection, *_: object) -> None:
    """Rebuild the totals from the rows (inside the caller's transaction)."""
    conn.execute("DELETE FROM unsent_totals")
    shift(conn, f"state IN {UNSENT_SQL}", (), 1)


def from_rows(conn: Connection) -> dict[tuple[str, str], tuple[int, int]]:
    rows = conn.execute(
        "SELECT coalesce(currency, ''), kind, sum(exposure_minor), count(*) FROM transactions "
        f"WHERE state IN {UNSENT_SQL} GROUP BY 1, 2"
    ).fetchall()
    return {(str(c), str(k)): (int(m), int(n)) for c, k, m, n in rows}


def stored(conn: Connection) -> dict[tuple[str, str], tuple[int, int]]:
    rows = conn.execute(
        "SELECT currency, kind, total_minor, records FROM unsent_totals WHERE records != 0 "
        "OR total_minor != 0"
    ).fetchall()
    return {(str(c), str(k)): (int(m), int(n)) for c, k, m, n in rows}


def check(conn: Connection) -> bool:
    """Whether the kept totals equal what the rows say."""
    return stored(conn) == from_rows(conn)
