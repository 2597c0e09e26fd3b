"""Reading the transactions list a page at a time: from either end and by key, with filters."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from storage.db import open_database
from storage.keys import audit_key
from storage.repository import Store, TxFilter

KEY = bytes.fromhex("cd" * 32)
STATES = ("queued", "uploaded", "failed")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(open_database(tmp_path / "queue.db", KEY, create=True), audit_key=audit_key(KEY))
    now = time.time()
    rows = [
        (
            f"00000000-0000-0000-0000-{i:012d}",
            STATES[i % 3],
            f"{i}.00",
            now - 1000 + i,
            f"BRN{i:05d}",
        )
        for i in range(1, 1001)
    ]
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO transactions (uuid, kind, state, amount, currency, masked_card, "
            "captured_at, captured_ts, brn, updated_ts) "
            "VALUES (?, 'sale', ?, ?, 'HKD', '411111******1111', '2026-01-01T00:00:00', ?, ?, 0)",
            rows,
        )
    return store


@pytest.mark.parametrize(
    "flt",
    [TxFilter(), TxFilter(states=("queued", "failed")), TxFilter(text="7"), TxFilter(kinds=("x",))],
)
def test_pages_from_either_end_and_by_key_agree_with_one_full_read(
    store: Store, flt: TxFilter
) -> None:
    every = [r.id for r in store.list_transactions(flt, limit=10_000)]
    assert every == sorted(every, reverse=True)
    assert store.count_transactions(flt) == len(every)

    def ids(
        *,
        limit: int,
        offset: int = 0,
        older_than: int | None = None,
        newer_than: int | None = None,
        oldest_first: bool = False,
    ) -> list[int]:
        page = store.list_transactions(
            flt,
            offset=offset,
            limit=limit,
            older_than=older_than,
            newer_than=newer_than,
            oldest_first=oldest_first,
        )
        return [r.id for r in page]

    assert ids(offset=30, limit=20) == every[30:50]
    # Counted from the oldest: the page that ends `offset` records before the oldest one.
    assert ids(offset=0, limit=20, oldest_first=True) == every[-20:]
    assert ids(offset=30, limit=20, oldest_first=True) == every[len(every) - 50 : len(every) - 30]
    if len(every) < 60:
        return
    # By key from a record already held: the next page down, and the page above it.
    assert ids(older_than=every[39], limit=20) == every[40:60]
    assert ids(older_than=every[39], offset=5, limit=20) == every[45:65]
    assert ids(newer_than=every[40], limit=20, oldest_first=True) == every[20:40]
    assert ids(newer_than=every[40], offset=5, limit=20, oldest_first=True) == every[15:35]
    # The position of a record, newest first, is how many matching records are newer.
    for row in (0, 17, len(every) - 1):
        assert store.count_transactions(flt, newer_than=every[row]) == row


def test_the_states_filter_reads_its_ids_from_the_index(store: Store) -> None:
    where, params = store._filter_sql(TxFilter(states=("queued",)), older_than=500)
    plan = " ".join(
        str(r[3])
        for r in store.query(
            f"EXPLAIN QUERY PLAN SELECT id FROM transactions{where} ORDER BY id DESC",  # noqa: S608
            params,
        )
    )
    assert "COVERING INDEX transactions_" in plan  # ids from a (state, ...) index, no table scan


def _old_text_search(store: Store, text: str) -> list[int]:
    """The search before schema 9: the text anywhere in six columns, by a scan of every row."""
    like = f"%{text}%"
    rows = store.query(
        "SELECT id FROM transactions WHERE (uuid LIKE ? OR brn LIKE ? OR masked_card LIKE ? OR "
        "amount LIKE ? OR currency LIKE ? OR error_desc LIKE ?) ORDER BY id DESC",
        [like] * 6,
    )
    return [int(r[0]) for r in rows]


def _plan(store: Store, flt: TxFilter) -> str:
    where, params = store._filter_sql(flt)
    rows = store.query(
        f"EXPLAIN QUERY PLAN SELECT id FROM transactions{where} ORDER BY id DESC",  # noqa: S608
        params,
    )
    return " ".join(str(r[3]) for r in rows)


def test_four_digits_read_the_cards_last_four_from_their_index(store: Store) -> None:
    # Every seventh record ends in 4854 (digits that no uuid, BRN or amount here holds), the
    # follow-ups carry no card at all.
    with store.transaction() as conn:
        conn.execute("UPDATE transactions SET masked_card = '451461******4854' WHERE id % 7 = 0")
        conn.execute("UPDATE transactions SET masked_card = NULL WHERE id % 11 = 0")
    flt = TxFilter(text=" 4854 ")
    found = [r.id for r in store.list_transactions(flt, limit=10_000)]
    assert found == _old_text_search(store, "4854")
    assert len(found) == len([i for i in range(1, 1001) if i % 7 == 0 and i % 11 != 0])
    assert store.count_transactions(flt) == len(found)
    assert all(r.masked_card == "451461******4854" for r in store.list_transactions(flt))
    # Keyset paging and the other filters still apply to the indexed search.
    assert [r.id for r in store.list_transactions(flt, older_than=found[9], limit=5)] == found[
        10:15
    ]
    queued = TxFilter(text="4854", states=("queued",))
    assert [r.id for r in store.list_transactions(queued, limit=10_000)] == [
        i for i in found if STATES[i % 3] == "queued"
    ]
    assert store.count_transactions(TxFilter(text="1234")) == 0
    plan = _plan(store, flt)
    assert "INDEX transactions_last4" in plan and "SCAN transactions" not in plan


@pytest.mark.parametrize("text", ["BRN00777", "777.00", "485", "00123", "HKD"])
def test_other_searches_still_match_reference_amount_and_currency(store: Store, text: str) -> None:
    flt = TxFilter(text=text)
    found = [r.id for r in store.list_transactions(flt, limit=10_000)]
    assert found and found == _old_text_search(store, text)
    assert "transactions_last4" not in _plan(store, flt)
