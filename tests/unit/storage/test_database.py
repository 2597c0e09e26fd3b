"""Opening the encrypted database: pragmas, wrong keys, damage, migrations."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from storage.db import BUSY_TIMEOUT_MS, WAL_SIZE_LIMIT_BYTES, open_database
from storage.errors import (
    DatabaseDamagedError,
    DatabaseKeyError,
    DatabaseMissingError,
    DatabaseTooNewError,
)
from storage.keys import audit_key
from storage.schema import MIGRATIONS, SCHEMA_VERSION

KEY = bytes.fromhex("cd" * 32)
OTHER = bytes.fromhex("ef" * 32)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def make_db(path: Path, version: int = SCHEMA_VERSION) -> None:
    conn = open_database(path, KEY, create=True, target_version=version)
    conn.close()


def test_new_database_is_encrypted_owner_only_with_durable_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    conn = open_database(path, KEY, create=True)
    conn.execute("INSERT INTO settings VALUES ('probe', 'PLAINTEXT-MARKER')")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] == WAL_SIZE_LIMIT_BYTES
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for file in tmp_path.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
        assert b"PLAINTEXT-MARKER" not in file.read_bytes()
        assert not file.read_bytes().startswith(b"SQLite format 3")


def test_missing_database_is_not_created_silently(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissingError, match="edge-app init"):
        open_database(tmp_path / "queue.db", KEY)
    assert list(tmp_path.iterdir()) == []


def test_wrong_key_changes_nothing_on_disk(tmp_path: Path) -> None:
    make_db(tmp_path / "queue.db")
    before = snapshot(tmp_path)
    with pytest.raises(DatabaseKeyError, match="key"):
        open_database(tmp_path / "queue.db", OTHER)
    assert snapshot(tmp_path) == before


def test_damaged_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    make_db(path)
    data = bytearray(path.read_bytes())
    data[100:200] = os.urandom(100)
    path.write_bytes(bytes(data))
    before = snapshot(tmp_path)
    with pytest.raises(DatabaseDamagedError, match="damaged"):
        open_database(path, KEY, key_known_good=True)
    assert snapshot(tmp_path) == before


def test_plaintext_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    plain = sqlcipher.connect(str(path))
    plain.execute("CREATE TABLE t (a)")
    plain.commit()
    plain.close()
    before = snapshot(tmp_path)
    with pytest.raises(DatabaseDamagedError, match="not an encrypted"):
        open_database(path, KEY)
    assert snapshot(tmp_path) == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    conn = open_database(path, KEY, create=True)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DatabaseTooNewError, match="newer"):
        open_database(path, KEY)


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_upgrade_from_each_earlier_version_keeps_data(tmp_path: Path, version: int) -> None:
    path = tmp_path / "queue.db"
    make_db(path, version)
    conn = open_database(path, KEY, target_version=version)
    conn.execute(
        "INSERT INTO transactions (uuid, kind, state, amount, currency, captured_at, captured_ts, "
        "updated_ts) VALUES ('u-1', 'sale', 'queued', '10.00', 'HKD', "
        "'2026-01-01T00:00:00+08:00', 1, 1)"
    )
    conn.execute("INSERT INTO settings VALUES ('kept', 'yes')")
    conn.close()
    upgraded = open_database(path, KEY)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert upgraded.execute("SELECT amount FROM transactions WHERE uuid = 'u-1'").fetchone() == (
        "10.00",
    )
    assert upgraded.execute("SELECT value FROM settings WHERE name = 'kept'").fetchone() == ("yes",)
    tables = {r[0] for r in upgraded.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"transactions", "audit", "settings", "blocklist", "sync_runs"} <= tables
    # Whatever the version, the state index ends as schema 11 left it: no limit-check columns.
    state_index = [r[2] for r in upgraded.execute("PRAGMA index_info(transactions_state)")]
    assert state_index == ["state", "kind", "id"]
    upgraded.close()


def test_an_upgrade_is_announced_once_before_it_starts(tmp_path: Path) -> None:
    """An existing database is upgraded after `on_upgrade(from, to)`; a new one, or one
    already current, is not announced."""
    told: list[tuple[int, int, int]] = []

    def on_upgrade(old: int, new: int) -> None:  # the version on disk when it is told
        told.append((old, new, int(raw.execute("PRAGMA user_version").fetchone()[0])))

    path = tmp_path / "queue.db"
    fresh = open_database(path, KEY, create=True, target_version=10, on_upgrade=on_upgrade)
    fresh.close()
    assert told == []
    raw = sqlcipher.connect(str(path), isolation_level=None)
    raw.execute(f"PRAGMA key = \"x'{KEY.hex()}'\"")
    open_database(path, KEY, on_upgrade=on_upgrade).close()
    assert told == [(10, SCHEMA_VERSION, 10)]
    open_database(path, KEY, on_upgrade=on_upgrade).close()
    assert len(told) == 1
    raw.close()


def test_schema_5_keeps_every_record_and_knows_which_ones_were_sent(tmp_path: Path) -> None:
    """The rebuild for `held` keeps ids, links and card data; `sent_ts` comes from the trail."""
    path = tmp_path / "queue.db"
    make_db(path, 4)
    conn = open_database(path, KEY, target_version=4)
    insert = (
        "INSERT INTO transactions (uuid, kind, state, amount, currency, origin_uuid, card_data, "
        "captured_at, captured_ts, updated_ts) VALUES (?, ?, ?, '10.00', 'HKD', ?, ?, "
        "'2026-01-01T00:00:00+08:00', 1, 1)"
    )
    conn.execute(insert, ("sent", "sale", "queued", None, '{"card_number": "x"}'))
    conn.execute(insert, ("never", "sale", "queued", None, '{"card_number": "y"}'))
    conn.execute(insert, ("refund", "refund", "queued", "sent", None))
    conn.execute(
        "INSERT INTO audit (at_ts, tx_uuid, event, from_state, to_state) "
        "VALUES (42.5, 'sent', 'state', 'queued', 'uploading')"
    )
    conn.execute("INSERT INTO blocklist VALUES ('4111111111111111', 'x', 1, 0, NULL, 1)")
    conn.close()
    upgraded = open_database(path, KEY)
    rows = upgraded.execute(
        "SELECT id, uuid, origin_uuid, card_data, sent_ts, sn FROM transactions ORDER BY id"
    ).fetchall()
    assert rows == [
        (1, "sent", None, '{"card_number": "x"}', 42.5, None),
        (2, "never", None, '{"card_number": "y"}', None, None),
        (3, "refund", "sent", None, None, None),
    ]
    upgraded.execute("UPDATE transactions SET state = 'held' WHERE uuid = 'sent'")  # allowed now
    with pytest.raises(sqlcipher.IntegrityError):
        upgraded.execute("UPDATE transactions SET state = 'lost' WHERE uuid = 'sent'")
    with pytest.raises(sqlcipher.IntegrityError):  # the link to the sale is still enforced
        upgraded.execute("UPDATE transactions SET origin_uuid = 'nothing' WHERE uuid = 'refund'")
    upgraded.execute(
        "INSERT INTO transactions (uuid, kind, state, captured_at, captured_ts, updated_ts) "
        "VALUES ('next', 'sale', 'queued', 'x', 1, 1)"
    )
    assert upgraded.execute("SELECT id FROM transactions WHERE uuid = 'next'").fetchone() == (4,)
    assert upgraded.execute("SELECT in_doubt FROM blocklist").fetchone() == (0,)
    indexes = {r[0] for r in upgraded.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"transactions_state", "transactions_brn", "transactions_origin"} <= indexes
    assert upgraded.execute("PRAGMA foreign_keys").fetchone() == (1,)
    upgraded.close()


def test_every_migration_is_applied_in_order() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2


def test_offline_limit_reads_cost_the_same_however_many_records_wait(tmp_path: Path) -> None:
    """The unsent totals are one small table; the oldest unsent record is the first entry of a
    partial index: neither read scans the records."""
    from storage.repository import Store

    conn = open_database(tmp_path / "queue.db", KEY, create=True)
    store = Store(conn, audit_key=audit_key(KEY))
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    store.unsent_totals()
    store.oldest_unsent_ts()
    conn.set_trace_callback(None)
    reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2
    totals, oldest = (
        " ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}")) for sql in reads
    )
    assert "unsent_totals" in totals and "transactions" not in totals.replace("unsent_", ""), totals
    assert "INDEX transactions_unsent_age" in oldest and "TEMP B-TREE" not in oldest, oldest
    store.close()


class _Coded(Exception):
    def __init__(self, code: int) -> None:
        super().__init__("message text is not read")
        self.sqlite_errorcode = code


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (13, "DiskFullError", "disk is full"),  # SQLITE_FULL
        (10 | (3 << 8), "StorageError", "could not be written or read"),  # SQLITE_IOERR_WRITE
        (5, "DatabaseBusyError", "busy"),  # SQLITE_BUSY
        (6 | (1 << 8), "DatabaseBusyError", "busy"),  # SQLITE_LOCKED_SHAREDCACHE
        (11, "DatabaseDamagedError", "damaged"),  # SQLITE_CORRUPT
        (26, "DatabaseDamagedError", "damaged"),  # SQLITE_NOTADB
        (8, "StorageError", "cannot be written"),  # SQLITE_READONLY
        (14, "StorageError", "cannot be written"),  # SQLITE_CANTOPEN
    ],
)
def test_sqlite_errors_from_the_environment_are_sorted_by_their_code(
    code: int, kind: str, words: str
) -> None:
    from storage.db import classify_sqlite_error

    error = classify_sqlite_error(_Coded(code))
    assert type(error).__name__ == kind and words in str(error)


def test_a_wrong_statement_is_a_bug_not_bad_input(tmp_path: Path) -> None:
    from storage.db import classify_sqlite_error, open_reader
    from storage.errors import StorageBug, StorageError

    make_db(tmp_path / "queue.db")
    conn = open_database(tmp_path / "queue.db", KEY)
    for statement in ("SELEKT 1", "INSERT INTO settings VALUES (NULL, NULL)"):
        with pytest.raises(sqlcipher.Error) as info:
            conn.execute(statement)
        error = classify_sqlite_error(info.value)
        assert isinstance(error, StorageBug) and not isinstance(error, StorageError)
        assert "SQLITE_" in str(error)
    reader = open_reader(tmp_path / "queue.db", KEY)
    with pytest.raises(sqlcipher.Error) as info:
        reader.execute("INSERT INTO settings VALUES ('a', 'b')")
    assert "cannot be written" in str(classify_sqlite_error(info.value))  # query_only
    reader.close()
    conn.close()


def test_card_list_chunks_are_read_in_index_order_without_sorting_the_list(tmp_path: Path) -> None:
    """Each chunk of a 100,000-card sync is an index range scan, never a sort of the list."""
    from storage.repository import Store

    conn = open_database(tmp_path / "queue.db", KEY, create=True)
    store = Store(conn, audit_key=audit_key(KEY))
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    store.blocklist_pending_chunk("add", "", 1000)
    conn.set_trace_callback(None)
    (sql,) = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    plan = " ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert "TEMP B-TREE" not in plan and "blocklist_in_doubt" in plan, plan
    store.close()


def test_legacy_sales_get_the_device_id_once_and_opening_then_reads_one_key(
    tmp_path: Path,
) -> None:
    from storage.repository import Store

    path = tmp_path / "queue.db"
    make_db(path, 4)
    conn = open_database(path, KEY, target_version=4)
    conn.execute(
        "INSERT INTO transactions (uuid, kind, state, captured_at, captured_ts, updated_ts) "
        "VALUES ('old', 'sale', 'queued', '2026-01-01T00:00:00+08:00', 1, 1)"
    )
    conn.close()
    store = Store(open_database(path, KEY), audit_key=audit_key(KEY))
    assert store.fix_legacy_sn("DEVICE-A") == 1
    assert store.get("old").sn == "DEVICE-A"
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    assert store.fix_legacy_sn("DEVICE-B") == 0  # done once: the device id stays
    store.conn.set_trace_callback(None)
    assert store.get("old").sn == "DEVICE-A"
    assert len(statements) == 1 and "settings" in statements[0]
    store.close()


def test_schema_6_counts_recent_failures_as_unseen_and_older_ones_as_seen(tmp_path: Path) -> None:
    """Installing the version that shows failures "until seen" does not flood a store with
    years of old declines: those older than a week count as seen."""
    path = tmp_path / "queue.db"
    make_db(path, 5)
    conn = open_database(path, KEY, target_version=5)
    now = time.time()
    insert = (
        "INSERT INTO transactions (uuid, kind, state, amount, currency, captured_at, captured_ts, "
        "updated_ts) VALUES (?, 'sale', ?, '10.00', 'HKD', '2026-01-01T00:00:00+08:00', 1, ?)"
    )
    conn.execute(insert, ("old-failure", "failed", now - 8 * 86400))
    conn.execute(insert, ("new-failure", "failed", now - 3600))
    conn.execute(insert, ("held", "held", now - 8 * 86400))
    conn.execute(insert, ("uploaded", "uploaded", now - 8 * 86400))
    conn.close()
    upgraded = open_database(path, KEY)
    seen = dict(upgraded.execute("SELECT uuid, seen_ts IS NOT NULL FROM transactions"))
    assert seen == {"old-failure": 1, "new-failure": 0, "held": 0, "uploaded": 0}
    upgraded.close()


def test_schema_9_indexes_the_last_four_of_the_cards_already_stored(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    make_db(path, 8)
    conn = open_database(path, KEY, target_version=8)
    conn.executemany(
        "INSERT INTO transactions (uuid, kind, state, amount, currency, masked_card, captured_at, "
        "captured_ts, updated_ts) VALUES (?, 'sale', 'uploaded', '1.00', 'HKD', ?, 'x', 1, 1)",
        [("u-1", "451461******4854"), ("u-2", "411111******1111"), ("u-3", None)],
    )
    conn.close()
    upgraded = open_database(path, KEY)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    query = (
        "SELECT uuid FROM transactions "
        "WHERE masked_card IS NOT NULL AND substr(masked_card, -4) = ?"
    )
    assert upgraded.execute(query, ("4854",)).fetchall() == [("u-1",)]
    plan = " ".join(str(r[3]) for r in upgraded.execute(f"EXPLAIN QUERY PLAN {query}", ("4854",)))
    assert "INDEX transactions_last4" in plan
    upgraded.close()
