"""The tamper-evident audit trail on real SQLCipher: every write path chains its entries, and an
entry edited, deleted or moved in the decrypted database is named by the check."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from edge_app.domain.card import validate_card
from edge_app.domain.transactions import TxKind, TxState
from storage import outbox
from storage.audit import SYNC, Actor
from storage.db import open_database
from storage.keys import audit_key
from storage.outbox import Outcome
from storage.repository import Store

KEY = bytes.fromhex("cd" * 32)


def open_store(path: Path, *, create: bool = False) -> Store:
    return Store(open_database(path, KEY, create=create), audit_key=audit_key(KEY))


def capture(store: Store, uuid: str) -> None:
    card = validate_card(
        card_number="4111111111111111",
        expiry="2912",
        cvv="737",
        reader_mode="manual",
        track2=None,
        card_sn=None,
        icc_request=None,
        today=datetime.now().date(),
    )
    with store.transaction() as conn:
        store.insert_sale(
            conn,
            uuid=uuid,
            amount=Decimal("10.00"),
            currency="HKD",
            tips=None,
            card=card,
            auth_code=None,
            captured_at=datetime.now().astimezone(),
            upload_item='{"uuid":"' + uuid + '"}',  # its card data, as far as this test goes
        )


def busy_store(path: Path) -> Store:
    """A store whose trail went through every way of writing audit rows."""
    store = open_store(path, create=True)
    store.act_as(Actor("operator", "alice"))
    for n in range(4):
        capture(store, f"00000000-0000-4000-8000-00000000000{n}")
    items, _, _ = outbox.claim_batch(store, TxKind.SALE, 10, now=store.now())  # executemany
    outbox.recover_interrupted(store)  # the set-based recovery
    outbox.claim_batch(store, TxKind.SALE, 10, now=store.now())
    outbox.apply_outcomes(  # final: card data erased in the same transaction
        store,
        [
            Outcome(items[0].uuid, TxState.UPLOADED, brn="B1"),
            Outcome(items[1].uuid, TxState.FAILED, error_code="110003"),
        ],
    )
    store.blocklist_mark_synced("add", [])
    store.set_setting("probe", "1", audit_detail="a setting")
    store.record_event("login", "gateway login as cashier")
    return store


def raw(path: Path) -> sqlcipher.Connection:
    """The decrypted database, as someone holding the key and a SQLite shell would edit it."""
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{KEY.hex()}'\"")
    return conn


def test_every_write_path_chains_and_names_who(tmp_path: Path) -> None:
    store = busy_store(tmp_path / "queue.db")
    check = store.verify_audit()
    count = store.query("SELECT count(*) FROM audit")[0][0]
    assert check.ok and check.entries == count == check.head_id > 10
    actors = dict(store.query("SELECT event, actor || '/' || coalesce(staff, '') FROM audit"))
    assert actors["captured"] == "operator/alice"
    assert actors["state"] == "sync/"  # the sync engine's writes
    assert actors["login"] == "operator/alice"
    erased = store.query(
        "SELECT count(*) FROM transactions WHERE card_data IS NULL AND upload_item IS NULL"
    )[0][0]
    assert erased == 2  # the final outcomes erased card data; the chain still verifies
    store.close()


def test_a_manager_approval_names_the_manager_for_a_while(tmp_path: Path) -> None:
    store = open_store(tmp_path / "queue.db", create=True)
    store.act_as(Actor("cashier"))
    store.elevate(Actor("manager", "bob"), 60)
    store.record_event("manager_approved", "void")
    store.elevate(Actor("manager", "bob"), -1)  # the session is over
    store.record_event("after", None)
    rows = store.query("SELECT event, actor, staff FROM audit ORDER BY id")
    assert rows == [("manager_approved", "manager", "bob"), ("after", "cashier", None)]
    store.close()


@pytest.mark.parametrize(
    ("tamper", "named", "words"),
    [
        ("UPDATE audit SET detail = 'nothing to see' WHERE id = 5", 5, "changed"),
        ("UPDATE audit SET at_ts = at_ts - 3600 WHERE id = 7", 7, "changed"),
        ("UPDATE audit SET actor = 'manager' WHERE id = 3", 3, "changed"),
        ("DELETE FROM audit WHERE id = 6", 7, "entry 6 before it is missing"),
        ("DELETE FROM audit WHERE id IN (4, 5)", 6, "entries 4 to 5 before it are missing"),
        # two entries swap places (each keeps its MAC, or the MACs move with them)
        (
            "UPDATE audit SET id = CASE id WHEN 8 THEN 9 ELSE 8 END WHERE id IN (8, 9)",
            8,
            "changed",
        ),
    ],
)
def test_tampering_in_the_decrypted_database_is_named(
    tmp_path: Path, tamper: str, named: int, words: str
) -> None:
    path = tmp_path / "queue.db"
    busy_store(path).close()
    conn = raw(path)
    if "CASE id" in tamper:  # a swap through a free id, as a shell user would do it
        conn.execute("UPDATE audit SET id = -1 WHERE id = 8")
        conn.execute("UPDATE audit SET id = 8 WHERE id = 9")
        conn.execute("UPDATE audit SET id = 9 WHERE id = -1")
    else:
        conn.execute(tamper)
    conn.close()
    store = open_store(path)
    check = store.verify_audit()
    assert not check.ok
    assert check.bad_id == named
    assert words in (check.problem or "")
    assert check.entries == check.head_id  # every entry before the bad one verified
    store.close()


def test_a_forged_mac_without_the_key_is_caught(tmp_path: Path) -> None:
    """Recomputing a MAC needs the key: one made with another key does not verify."""
    from storage.audit import entry_mac

    path = tmp_path / "queue.db"
    busy_store(path).close()
    conn = raw(path)
    row = conn.execute(
        "SELECT id, at_ts, tx_uuid, event, from_state, to_state, detail, actor, "
        "staff FROM audit WHERE id = 4"
    ).fetchone()
    previous = conn.execute("SELECT mac FROM audit WHERE id = 3").fetchone()[0]
    forged = list(row)
    forged[6] = "forged detail"
    conn.execute(
        "UPDATE audit SET detail = ?, mac = ? WHERE id = 4",
        ("forged detail", entry_mac(b"x" * 32, previous, forged)),
    )
    conn.close()
    store = open_store(path)
    assert store.verify_audit().bad_id == 4
    store.close()


def test_schema_6_chains_the_entries_already_there(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    old = open_database(path, KEY, create=True, target_version=5)
    for n in range(3):
        old.execute(
            "INSERT INTO audit (at_ts, tx_uuid, event, detail) VALUES (?, NULL, 'setting', ?)",
            (1000.0 + n, f"old {n}"),
        )
    old.close()
    store = open_store(path)
    check = store.verify_audit()
    assert check.ok and check.entries == 3
    store.record_event("login", "after the upgrade")  # new entries continue the chain
    assert store.verify_audit().entries == 4
    store.close()


def test_the_sync_writes_are_chained_in_one_batch(tmp_path: Path) -> None:
    """One audit row for the claim of a batch, one per record for its answers, and the batch
    as a whole keeps the chain."""
    store = open_store(tmp_path / "queue.db", create=True)
    for n in range(50):
        capture(store, f"00000000-0000-4000-8000-{n:012d}")
    items, _, _ = outbox.claim_batch(store, TxKind.SALE, 50, now=store.now())
    outbox.apply_outcomes(
        store, [Outcome(i.uuid, TxState.UPLOADED, brn=f"B{n}") for n, i in enumerate(items)]
    )
    assert store.query("SELECT count(*) FROM audit WHERE actor = ?", (SYNC.role,)) == [(51,)]
    claim = store.query("SELECT tx_uuid, from_state, to_state, detail FROM audit WHERE event = ?",
                        ("claimed",))  # fmt: skip
    assert claim == [(None, "queued", "uploading", "50 sale(s) claimed for upload, ids 1 to 50")]
    assert store.verify_audit().ok
    store.close()


def test_a_record_s_entries_are_found_by_its_id_and_only_its_own(tmp_path: Path) -> None:
    """Schema 12: every entry about a record keeps the record's id; the trail of a record is
    read by that id from its index, and an entry naming a uuid no record has keeps none."""
    store = busy_store(tmp_path / "queue.db")
    store.record_event("manager_approved", "void of a sale never stored", tx_uuid="no-such-uuid")
    unlinked = store.query(
        "SELECT count(*) FROM audit a WHERE tx_uuid IS NOT NULL AND tx_id IS NOT "
        "(SELECT id FROM transactions t WHERE t.uuid = a.tx_uuid)"
    )
    assert unlinked == [(0,)]
    assert store.query("SELECT tx_id FROM audit WHERE tx_uuid = 'no-such-uuid'") == [(None,)]
    first = "00000000-0000-4000-8000-000000000000"
    trail = store.audit_trail(first)
    assert [(event, to) for _, event, _, to, _ in trail] == [
        ("captured", "queued"),
        ("state", "queued"),  # the interrupted run recovered
        ("state", "uploaded"),
    ]
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        store.audit_trail(first)
    finally:
        store.conn.set_trace_callback(None)
    (reading,) = [sql for sql in statements if "FROM audit" in sql]
    plan = " ".join(str(r[3]) for r in store.query("EXPLAIN QUERY PLAN " + reading))
    assert "USING INDEX audit_tx_id" in plan and "SCAN" not in plan
    assert store.verify_audit().ok
    store.close()


def test_schema_12_gives_the_entries_already_there_their_record_s_id(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    store = busy_store(path)
    expected = store.query("SELECT id, tx_id FROM audit ORDER BY id")
    trail = store.audit_trail("00000000-0000-4000-8000-000000000001")
    store.close()
    old = raw(path)  # as version 11 left it: no record ids, the index by uuid
    old.executescript(
        "DROP INDEX audit_tx_id; ALTER TABLE audit DROP COLUMN tx_id; "
        "CREATE INDEX audit_tx ON audit(tx_uuid); PRAGMA user_version = 11;"
    )
    old.close()
    upgraded = open_store(path)
    assert upgraded.query("SELECT id, tx_id FROM audit ORDER BY id") == expected
    assert upgraded.audit_trail("00000000-0000-4000-8000-000000000001") == trail
    assert upgraded.verify_audit().ok  # the chain never covered the id
    upgraded.close()
