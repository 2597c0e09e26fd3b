"""Waiting for the write lock another connection holds (an import's step, the other process's
sync): the store tries again often, gives up with a plain sentence at the busy timeout, and
leaves the connection's own busy timeout as it was."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from storage.db import BUSY_TIMEOUT_MS, open_database
from storage.errors import DatabaseBusyError, StorageBug
from storage.keys import audit_key
from storage.repository import Store

KEY = bytes.fromhex("cd" * 32)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(open_database(tmp_path / "queue.db", KEY, create=True), audit_key=audit_key(KEY))
    yield opened
    opened.close()


@pytest.fixture
def other(tmp_path: Path, store: Store) -> sqlcipher.Connection:
    """A second connection to the same file, as the other process would have."""
    conn = open_database(tmp_path / "queue.db", KEY)
    yield conn
    conn.close()


def busy_timeout(store: Store) -> int:
    return int(store.query("PRAGMA busy_timeout")[0][0])


def write_probe(store: Store, value: str) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO settings VALUES ('probe', ?)", (value,))


def test_a_waiting_writer_tries_again_often_rather_than_backing_off(
    store: Store, other: sqlcipher.Connection
) -> None:
    attempts: list[str] = []
    store.conn.set_trace_callback(lambda sql: attempts.append(sql) if "BEGIN" in sql else None)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.4, lambda: other.execute("COMMIT"))
    release.start()
    try:
        write_probe(store, "after the other writer")
    finally:
        release.join()
        store.conn.set_trace_callback(None)
    # SQLite's own handler would have waited in one attempt, its sleeps growing to 100 ms;
    # each of these attempts waits at most WRITE_LOCK_POLL_MS.
    assert len(attempts) >= 5
    assert store.query("SELECT value FROM settings WHERE name = 'probe'") == [
        ("after the other writer",)
    ]
    assert busy_timeout(store) == BUSY_TIMEOUT_MS


def test_a_lock_held_past_the_busy_timeout_is_a_plain_busy_error_and_writes_nothing(
    store: Store, other: sqlcipher.Connection
) -> None:
    write_probe(store, "before")
    store.set_busy_timeout(300)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusyError, match="busy in another program") as raised:
            write_probe(store, "during")
    finally:
        other.execute("COMMIT")
    assert raised.value.__traceback__ is not None
    assert str(raised.value).count(".") == 1  # one plain sentence
    assert store.query("SELECT value FROM settings WHERE name = 'probe'") == [("before",)]
    assert busy_timeout(store) == 300  # the timeout it had, put back
    write_probe(store, "after")  # the connection is usable once the lock is free
    assert store.query("SELECT value FROM settings WHERE name = 'probe'") == [("after",)]


def test_an_error_other_than_busy_is_not_retried(store: Store) -> None:
    attempts: list[str] = []
    store.conn.execute("BEGIN")  # a transaction already open: BEGIN IMMEDIATE is refused
    store.conn.set_trace_callback(lambda sql: attempts.append(sql) if "BEGIN" in sql else None)
    try:
        with pytest.raises(StorageBug):
            write_probe(store, "never")
    finally:
        store.conn.set_trace_callback(None)
        store.conn.execute("ROLLBACK")
    assert attempts == ["BEGIN IMMEDIATE"]
    assert busy_timeout(store) == BUSY_TIMEOUT_MS
