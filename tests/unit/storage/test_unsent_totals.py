"""The trigger-kept unsent totals always equal a full count of the queue.

Captures check the offline limits against `unsent_sales` instead of summing every unsent record,
so the table must follow every insert, state change and delete, and start right after upgrading.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.db import open_database

KEY = bytes(range(32))
UNSENT = ("queued", "uploading", "pending")
STATES = (*UNSENT, "uploaded", "failed", "cancelled")
CURRENCIES = ("HKD", "JPY", "USD")


def counted(conn: object) -> dict[str, tuple[int, int]]:
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT currency, sum(exposure_minor), count(*) FROM transactions "
        "WHERE kind = 'sale' AND state IN ('queued', 'uploading', 'pending') GROUP BY currency"
    ).fetchall()
    return {c: (int(t), int(n)) for c, t, n in rows}


def kept(conn: object) -> dict[str, tuple[int, int]]:
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT currency, exposure_minor, records FROM unsent_sales WHERE records > 0"
    ).fetchall()
    return {c: (int(t), int(n)) for c, t, n in rows}


def insert(conn: object, n: int, kind: str, state: str, currency: str, minor: int) -> None:
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO transactions (uuid, kind, state, amount, currency, exposure_minor, "
        "captured_at, captured_ts, updated_ts) VALUES (?, ?, ?, '1', ?, ?, 'x', ?, 0)",
        (f"u-{n}", kind, state, currency, minor, float(n)),
    )


operation = st.one_of(
    st.tuples(
        st.just("insert"),
        st.sampled_from(("sale", "sale", "refund")),
        st.sampled_from(STATES),
        st.sampled_from(CURRENCIES),
        st.integers(1, 10_000),
    ),
    st.tuples(st.just("move"), st.integers(0, 40), st.sampled_from(STATES)),
    st.tuples(st.just("delete"), st.integers(0, 40)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(operation, max_size=40))
def test_totals_follow_every_change(tmp_path_factory: object, operations: list[tuple]) -> None:  # type: ignore[type-arg]
    path = tmp_path_factory.mktemp("db") / "queue.db"  # type: ignore[attr-defined]
    conn = open_database(path, KEY, create=True)
    stored: list[str] = []
    for number, op in enumerate(operations):
        if op[0] == "insert":
            insert(conn, number, *op[1:])
            stored.append(f"u-{number}")
        elif stored:  # moves and deletes pick among the records there are
            uuid = stored[op[1] % len(stored)]
            if op[0] == "move":
                conn.execute("UPDATE transactions SET state = ? WHERE uuid = ?", (op[2], uuid))
            else:
                conn.execute("DELETE FROM transactions WHERE uuid = ?", (uuid,))
                stored.remove(uuid)
        assert kept(conn) == counted(conn)
    conn.close()


def test_upgrade_to_version_4_starts_the_totals_from_the_queue(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    conn = open_database(path, KEY, create=True, target_version=3)
    insert(conn, 1, "sale", "queued", "HKD", 1000)
    insert(conn, 2, "sale", "pending", "HKD", 250)
    insert(conn, 3, "sale", "uploaded", "HKD", 999)
    insert(conn, 4, "sale", "uploading", "JPY", 5)
    insert(conn, 5, "refund", "queued", "HKD", 70)
    conn.close()
    upgraded = open_database(path, KEY)
    assert kept(upgraded) == {"HKD": (1250, 2), "JPY": (5, 1)}
    upgraded.execute("UPDATE transactions SET state = 'uploaded' WHERE uuid = 'u-1'")
    assert kept(upgraded) == {"HKD": (250, 1), "JPY": (5, 1)}
    upgraded.close()
