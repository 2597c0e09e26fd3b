"""The schema: one migration per version, each upgrading the database from the one before.

Applied by `storage.db.migrate` inside one transaction per version. Imports storage's chain
and totals helpers only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage import unsent
from storage.audit import chain_existing
from storage.keys import audit_key

Connection = Any  # sqlcipher3 ships no type information

# Each entry upgrades the schema from version i to i + 1. Never edit a released entry: add one.
MIGRATIONS: list[str] = [
    # 1: the outbox of captured transactions, its audit trail, and encrypted settings/secrets.
    """
    CREATE TABLE transactions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'refund')),
        state TEXT NOT NULL CHECK (state IN
            ('queued', 'uploading', 'pending', 'uploaded', 'failed', 'cancelled')),
        amount TEXT,
        currency TEXT,
        tips TEXT,
        exposure_minor INTEGER NOT NULL DEFAULT 0,
        origin_uuid TEXT REFERENCES transactions(uuid),
        origin_brn TEXT,
        masked_card TEXT,
        card_data TEXT,
        auth_code TEXT,
        captured_at TEXT NOT NULL,
        captured_ts REAL NOT NULL,
        brn TEXT,
        error_code TEXT,
        error_desc TEXT,
        duplicate INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ts REAL NOT NULL DEFAULT 0,
        updated_ts REAL NOT NULL
    );
    CREATE INDEX transactions_state ON transactions(state, kind, id);
    CREATE INDEX transactions_brn ON transactions(brn) WHERE brn IS NOT NULL;
    CREATE INDEX transactions_origin ON transactions(origin_uuid) WHERE origin_uuid IS NOT NULL;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at_ts REAL NOT NULL,
        tx_uuid TEXT,
        event TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT,
        detail TEXT
    );
    CREATE INDEX audit_tx ON audit(tx_uuid);
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 2: the store's card block list: local copy plus derived pending add/del per card.
    """
    CREATE TABLE blocklist (
        card_number TEXT PRIMARY KEY,
        masked TEXT NOT NULL,
        desired INTEGER NOT NULL CHECK (desired IN (0, 1)),
        on_gateway INTEGER NOT NULL CHECK (on_gateway IN (0, 1)),
        failed_reason TEXT,
        updated_ts REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX blocklist_pending ON blocklist(desired, on_gateway, card_number);
    """,
    # 3: history of sync runs (window and unattended) for the Sync screen and the status bar.
    """
    CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY,
        started_ts REAL NOT NULL,
        finished_ts REAL,
        trigger TEXT NOT NULL,
        outcome TEXT,
        summary TEXT
    );
    CREATE INDEX transactions_captured ON transactions(captured_ts);
    """,
    # 4: the state index also covers what the offline-limit check reads (currency, amount, capture
    # time), so a capture sums and dates the unsent records from the index alone, without reading
    # each row: 10,000 unsent records cost about 1 ms instead of 3.5 ms. Kept in the index the
    # sync updates anyway, so uploads pay nothing extra.
    """
    DROP INDEX transactions_state;
    CREATE INDEX transactions_state
        ON transactions(state, kind, id, currency, exposure_minor, captured_ts);
    """,
    # 5: "held" (refused for a reason that is not a decision about the card: a manager decides,
    # card data kept), `sn` fixed at capture (a resend carries the same content), and `sent_ts`,
    # when the record was first put on the wire (NULL: never, so a void may cancel it locally).
    # The card list's `in_doubt`: a request about the card went out without a known answer, so
    # the gateway may hold it or not; a local edit never drops such a row.
    # A CHECK constraint cannot be altered in SQLite: the table is rebuilt (foreign keys are off
    # while migrations run and checked before the commit). For records of earlier versions,
    # `sent_ts` is the first time a sync claimed them, from the audit trail.
    """
    CREATE TABLE transactions_v5 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'refund')),
        state TEXT NOT NULL CHECK (state IN
            ('queued', 'uploading', 'pending', 'held', 'uploaded', 'failed', 'cancelled')),
        amount TEXT,
        currency TEXT,
        tips TEXT,
        exposure_minor INTEGER NOT NULL DEFAULT 0,
        origin_uuid TEXT REFERENCES transactions(uuid),
        origin_brn TEXT,
        masked_card TEXT,
        card_data TEXT,
        auth_code TEXT,
        captured_at TEXT NOT NULL,
        captured_ts REAL NOT NULL,
        brn TEXT,
        error_code TEXT,
        error_desc TEXT,
        duplicate INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ts REAL NOT NULL DEFAULT 0,
        updated_ts REAL NOT NULL,
        sn TEXT,
        sent_ts REAL
    );
    INSERT INTO transactions_v5 (id, uuid, kind, state, amount, currency, tips, exposure_minor,
        origin_uuid, origin_brn, masked_card, card_data, auth_code, captured_at, captured_ts, brn,
        error_code, error_desc, duplicate, attempts, next_attempt_ts, updated_ts, sn, sent_ts)
    SELECT id, uuid, kind, state, amount, currency, tips, exposure_minor,
        origin_uuid, origin_brn, masked_card, card_data, auth_code, captured_at, captured_ts, brn,
        error_code, error_desc, duplicate, attempts, next_attempt_ts, updated_ts, NULL,
        (SELECT min(a.at_ts) FROM audit a WHERE a.tx_uuid = t.uuid AND a.to_state = 'uploading')
    FROM transactions t ORDER BY id;
    DROP TABLE transactions;
    ALTER TABLE transactions_v5 RENAME TO transactions;
    CREATE INDEX transactions_state
        ON transactions(state, kind, id, currency, exposure_minor, captured_ts);
    CREATE INDEX transactions_brn ON transactions(brn) WHERE brn IS NOT NULL;
    CREATE INDEX transactions_origin ON transactions(origin_uuid) WHERE origin_uuid IS NOT NULL;
    CREATE INDEX transactions_captured ON transactions(captured_ts);
    ALTER TABLE blocklist ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX blocklist_in_doubt ON blocklist(card_number) WHERE in_doubt = 1;
    """,
    # 6: `seen_ts`, when a manager saw a failed record (a decline: money the store did not
    # collect). Until then it "needs attention" on every screen. The partial index keeps that
    # count cheap however many records are final. Failures older than a week when this version
    # is installed count as seen: they were shown as failed all along.
    """
    ALTER TABLE transactions ADD COLUMN seen_ts REAL;
    UPDATE transactions SET seen_ts = updated_ts
        WHERE state = 'failed' AND updated_ts < CAST(strftime('%s', 'now') AS REAL) - 7 * 86400;
    CREATE INDEX transactions_attention ON transactions(id)
        WHERE seen_ts IS NULL AND state IN ('held', 'failed');
    """,
    # 7: the tamper-evident audit trail (`storage.audit`): who (role, and the person's name where
    # known) and a MAC chained over the entry before; the entries already there are chained by
    # `chain_existing` in the same transaction (`AFTER_MIGRATION`). The card-list entries get a
    # small partial index for the shop-close report (other audit rows pay nothing for it).
    # Differences reconciliation found between a confirmed record and what the gateway holds,
    # kept until a manager resolves them (nothing local is changed by reconciliation).
    """
    ALTER TABLE audit ADD COLUMN actor TEXT;
    ALTER TABLE audit ADD COLUMN staff TEXT;
    ALTER TABLE audit ADD COLUMN mac TEXT;
    CREATE INDEX audit_card_list ON audit(at_ts) WHERE event IN ('blocklist_add', 'blocklist_del',
        'blocklist_synced_add', 'blocklist_synced_del', 'blocklist_failed');
    CREATE TABLE reconcile_differences (
        id INTEGER PRIMARY KEY,
        tx_uuid TEXT NOT NULL,
        kind TEXT NOT NULL,
        local TEXT,
        gateway TEXT,
        detail TEXT NOT NULL,
        found_ts REAL NOT NULL,
        seen_ts REAL NOT NULL,
        resolved_ts REAL,
        resolved_note TEXT
    );
    CREATE UNIQUE INDEX reconcile_open ON reconcile_differences(tx_uuid, kind)
        WHERE resolved_ts IS NULL;
    """,
    # 8: a capture's offline-limit check costs the same however many records wait: the unsent
    # amounts and counts are kept per currency and kind (`storage.unsent`, in the transactions
    # that change states; computed from the rows here, `AFTER_MIGRATION`), and the oldest unsent
    # record is the first entry of a small partial index. (An import stages its rows in a
    # table of its own, `storage.staging`, made and dropped by the import.)
    """
    CREATE TABLE unsent_totals (
        currency TEXT NOT NULL,
        kind TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        records INTEGER NOT NULL,
        PRIMARY KEY (currency, kind)
    ) WITHOUT ROWID;
    CREATE INDEX transactions_unsent_age ON transactions(captured_ts)
        WHERE state IN ('queued', 'uploading', 'pending');
    """,
    # 9: a search by four digits reads the card's last four from an index (filled from every
    # row's masked card here, kept by SQLite on every insert): the masked card already shows them.
    """
    CREATE INDEX transactions_last4 ON transactions(substr(masked_card, -4))
        WHERE masked_card IS NOT NULL;
    """,
    # 10: a sale's request ITEM, encoded by the gateway adapter when the sale is captured: a sync
    # sends it as it is (no card data decoded, no ITEM built), and every resend is the same
    # bytes. It holds the card data, so it is erased with `card_data`. Sales stored before this
    # version have none: theirs is built from the same stored fields when they are sent. An
    # import staged by an earlier version gets the column too (`AFTER_MIGRATION`).
    """
    ALTER TABLE transactions ADD COLUMN upload_item TEXT;
    """,
    # 11: the state index without the columns version 4 added for the limit check: since
    # version 8 the check reads the kept totals, and so does the count of what is waiting now
    # (`WaitingRows.waiting`). Every state change rewrites its entry, so a claim, an answer and
    # a capture each write less.
    """
    DROP INDEX transactions_state;
    CREATE INDEX transactions_state ON transactions(state, kind, id);
    """,
    # 12: a record's audit entries are found by its id (`tx_id`, filled from the uuid here and
    # by `audit.append`), not by its uuid: a batch of answers then adds its entries at the end
    # of the index instead of at 500 random places (at a trail of 1,000,000 entries, 80 to 150
    # ms per 1,000 entries against 14 to 26). The uuid stays in the entry and its MAC.
    """
    ALTER TABLE audit ADD COLUMN tx_id INTEGER;
    UPDATE audit SET tx_id = (SELECT t.id FROM transactions t WHERE t.uuid = audit.tx_uuid)
        WHERE tx_uuid IS NOT NULL;
    DROP INDEX audit_tx;
    CREATE INDEX audit_tx_id ON audit(tx_id) WHERE tx_id IS NOT NULL;
    """,
]


def _add_upload_item_to_staging(conn: Connection, key: bytes) -> None:
    """An import staged by version 9 and decided before a crash is finished by this version:
    its staging table gets the column its rows are published with (empty: built when sent)."""
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'import_staging_%'"
    ).fetchall()
    for (name,) in tables:
        conn.execute(f'ALTER TABLE "{name}" ADD COLUMN upload_item TEXT')


# Steps in Python after a migration's statements, in its transaction: version -> step(conn, key).
AFTER_MIGRATION: dict[int, Callable[[Connection, bytes], object]] = {
    7: lambda conn, key: chain_existing(conn, audit_key(key)),
    8: unsent.recompute,
    10: _add_upload_item_to_staging,
}
SCHEMA_VERSION = len(MIGRATIONS)
