"""Outbox operations the sync engine uses: claim a batch, record a batch's results.

Each function is one SQLite transaction for a whole batch (not one per record), which is what
keeps a 10,000-record sync close to the cost of its HTTP requests. Card data is kept while a
record may still be sent (`CARD_KEPT_STATES`) and erased in the same transaction that makes the
record final.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from edge_app.domain.transactions import (
    FINAL_STATES,
    TRANSITIONS,
    CardData,
    Outgoing,
    ReadyItem,
    TxKind,
    TxState,
    UploadItem,
)
from storage import unsent
from storage.audit import SYNC, NewEntry
from storage.db import Connection
from storage.records import ERASE_CARD_DATA
from storage.repository import Store


@dataclass(frozen=True)
class Outcome:
    """What to write for one record after the gateway answered (or did not)."""

    uuid: str
    state: TxState
    brn: str | None = None
    error_code: str | None = None
    error_desc: str | None = None
    duplicate: bool = False
    retry_at: float | None = None  # for a record going back to queued: not before this time
    count_attempt: bool = True
    detail: str | None = None


def recover_interrupted(store: Store) -> int:
    """Put records a dead run left in `uploading` back to `queued` (they go again, same uuid).

    Set-based, and a no-op without such records: the engine calls it after every kind it sends.
    The uuids are read first (an index range), so that each audit row is chained in Python.
    """
    with store.transaction() as conn:
        now = store.now()
        rows = conn.execute(
            "SELECT uuid FROM transactions WHERE state = 'uploading' ORDER BY id"
        ).fetchall()
        if not rows:
            return 0
        store.audit_many(
            conn,
            [
                (
                    now,
                    uuid,
                    "state",
                    "uploading",
                    "queued",
                    "interrupted run recovered; resent with the same uuid",
                )
                for (uuid,) in rows
            ],
            SYNC,
        )
        cur = conn.execute(
            "UPDATE transactions SET state = 'queued', updated_ts = ? WHERE state = 'uploading'",
            (now,),
        )
        return int(cur.rowcount)


# A record's next attempt is never more than this far ahead; anything later means the clock was
# moved back since it was scheduled, and the record is ready now rather than stuck for days.
MAX_RETRY_DELAY = 3600.0
READY = f"(next_attempt_ts <= ? OR next_attempt_ts > ? + {MAX_RETRY_DELAY})"


def count_ready(store: Store, kind: TxKind, now: float) -> int:
    rows = store.query(
        f"SELECT count(*) FROM transactions WHERE state = 'queued' AND kind = ? AND {READY}",
        (kind.value, now, now),
    )
    return int(rows[0][0])


# What an upload needs of a record, in the order `_item` reads it.
_UPLOAD_COLUMNS = "uuid, amount, currency, tips, auth_code, origin_brn, captured_at, sn"


def _item(row: Sequence[Any], kind: TxKind, card: CardData | None) -> UploadItem:
    uuid, amount, currency, tips, auth_code, origin_brn, captured_at, sn = row[:8]
    return UploadItem(
        uuid=uuid,
        kind=kind,
        captured_at=datetime.fromisoformat(captured_at),
        amount=Decimal(amount) if amount is not None else None,
        currency=currency,
        tips=Decimal(tips) if tips is not None else None,
        card=card,
        auth_code=auth_code,
        origin_brn=origin_brn,
        sn=sn,
    )


def _ready_ids(kind: TxKind) -> str:
    """The SELECT of the ids a claim of `kind` takes (parameters :now, :after, :limit, :kind)."""
    ready = READY.replace("?", ":now")
    if kind is TxKind.SALE:
        # A queued sale always has its card data; never send one without it.
        return (
            f"SELECT id FROM transactions WHERE state = 'queued' AND kind = 'sale' AND {ready} "
            "AND (upload_item IS NOT NULL OR card_data IS NOT NULL) AND id > :after "
            "ORDER BY id LIMIT :limit"
        )
    # A follow-up of a sale of this PC goes only once that sale is uploaded: a pending sale may
    # have a BRN already, but the gateway has not charged it yet.
    return (
        f"SELECT id FROM transactions t WHERE state = 'queued' AND kind = :kind "
        f"AND origin_brn IS NOT NULL AND {ready} AND id > :after "
        "AND (origin_uuid IS NULL OR EXISTS (SELECT 1 FROM transactions s "
        "WHERE s.uuid = t.origin_uuid AND s.state = 'uploaded')) ORDER BY id LIMIT :limit"
    )


class Claim(NamedTuple):
    """A claimed batch: its upload items, the last id read (where the next claim of this run
    starts) and each record's attempts so far (the verdict on its answer needs them; nothing
    else changes them while the record is `uploading`)."""

    items: list[Outgoing]
    last_id: int
    attempts: dict[str, int]


def claim_batch(store: Store, kind: TxKind, limit: int, now: float, after_id: int = 0) -> Claim:
    """Move up to `limit` ready records of `kind` to `uploading` and return them as upload items.

    Voids and refunds are ready only once their sale is uploaded (its BRN known). A claimed
    record counts as sent from now on (`sent_ts`): the request may leave at any moment, so a
    void of it must wait for its BRN rather than cancel it locally.
    """
    chosen = _ready_ids(kind)
    # A sale captured by this version has its ITEM stored; an older one's is built when sent.
    ready, card = (
        ("upload_item", "CASE WHEN upload_item IS NULL THEN card_data END")
        if kind is TxKind.SALE
        else ("NULL", "NULL")
    )
    with store.transaction() as conn:
        claimed = store.now()
        # One statement claims the batch and returns what its upload needs.
        rows = conn.execute(
            "UPDATE transactions SET state = 'uploading', updated_ts = :claimed, "
            f"sent_ts = coalesce(sent_ts, :claimed) WHERE id IN ({chosen}) "
            f"RETURNING id, attempts, {ready}, {_UPLOAD_COLUMNS}, {card}",
            {"now": now, "after": after_id, "limit": limit, "kind": kind.value,
             "claimed": claimed},
        ).fetchall()  # fmt: skip
        if not rows:
            return Claim([], after_id, {})
        rows.sort(key=lambda row: int(row[0]))
        items: list[Outgoing] = [
            ReadyItem(row[3], kind, row[2])
            if row[2] is not None
            else _item(row[3:], kind, CardData.from_json(row[-1]) if row[-1] else None)
            for row in rows
        ]
        # One audit entry for the batch: the records' own entries are their answers.
        store.audit_many(
            conn,
            [
                (
                    claimed,
                    None,
                    "claimed",
                    "queued",
                    "uploading",
                    f"{len(items)} {kind.value}(s) claimed for upload, ids {rows[0][0]} to "
                    f"{rows[-1][0]}",
                )
            ],
            SYNC,
        )
        return Claim(items, int(rows[-1][0]), {row[3]: int(row[1]) for row in rows})


def apply_outcomes(store: Store, outcomes: Sequence[Outcome]) -> list[str]:
    """Write a batch's results in one transaction; final states erase the card data.

    Set-based: one read of the current states, then one executemany per kind of write, so a
    batch of 1000 costs a handful of statements rather than four per record. A change the state
    machine does not allow (the record moved meanwhile) is left out rather than failing the
    whole batch; the uuids left out are returned so that the caller can say so.
    """
    if not outcomes:
        return []
    with store.transaction() as conn:
        now = store.now()
        rows = _states(conn, [o.uuid for o in outcomes])
        plan = _plan(outcomes, rows, now)
        for (erase, *empty), params in plan.updates.items():
            conn.executemany(_update_sql(erase, *empty), params)
        if plan.audits:
            store.audit_many(conn, plan.audits, SYNC)
        if plan.origins:
            _set_origin_brns(conn, plan.origins)
        unsent.add(conn, _unsent_deltas(plan.moves, rows))
    return plan.refused


def _unsent_deltas(
    moves: Sequence[tuple[str, TxState, TxState]], rows: dict[str, _Row]
) -> dict[tuple[str, str], tuple[int, int]]:
    """What a batch's state changes take from (or give back to) the unsent totals."""
    deltas: dict[tuple[str, str], tuple[int, int]] = {}
    for uuid, old, new in moves:
        was, becomes = unsent.is_unsent(old.value), unsent.is_unsent(new.value)
        if was != becomes:
            _, kind, currency, exposure, _ = rows[uuid]
            unsent.accumulate(deltas, currency, kind, exposure, 1 if becomes else -1)
    return deltas


# (erase card data, no brn, no error code, no error text): one UPDATE each, so that an empty
# value is written as NULL in the statement rather than bound (binding None costs sqlcipher3 an
# adaptation attempt per value, a tenth of a batch's database time).
_UpdateKind = tuple[bool, bool, bool, bool]


def _update_sql(erase: bool, no_brn: bool, no_code: bool, no_desc: bool) -> str:
    return (
        "UPDATE transactions SET state = ?"
        + ("" if no_brn else ", brn = ?")
        + (", error_code = NULL" if no_code else ", error_code = ?")
        + (", error_desc = NULL" if no_desc else ", error_desc = ?")
        + ", duplicate = ?, attempts = attempts + ?, next_attempt_ts = ?, updated_ts = ?"
        + (f", {ERASE_CARD_DATA}" if erase else "")
        + " WHERE id = ?"
    )


@dataclass
class _Plan:
    """The rows one batch of outcomes writes, grouped by statement."""

    updates: dict[_UpdateKind, list[tuple[object, ...]]] = field(default_factory=dict)
    audits: list[NewEntry] = field(default_factory=list)
    origins: list[tuple[str, str]] = field(default_factory=list)  # (brn, sale uuid)
    moves: list[tuple[str, TxState, TxState]] = field(default_factory=list)  # uuid, old, new
    refused: list[str] = field(default_factory=list)  # not an arrow of the state machine


def _plan(outcomes: Sequence[Outcome], rows: dict[str, _Row], now: float) -> _Plan:
    plan = _Plan()
    states = {uuid: row[0] for uuid, row in rows.items()}
    for outcome in outcomes:
        old = states.get(outcome.uuid)
        if old is None or (old is outcome.state and old is not TxState.PENDING):
            continue
        if not is_allowed(old, outcome.state):
            plan.refused.append(outcome.uuid)
            continue
        brn, code, desc = outcome.brn, outcome.error_code, outcome.error_desc
        kind = (outcome.state in FINAL_STATES, brn is None, code is None, desc is None)
        plan.updates.setdefault(kind, []).append(
            (
                outcome.state.value,
                *(value for value in (brn, code, desc) if value is not None),
                int(outcome.duplicate),
                1 if outcome.count_attempt else 0,
                outcome.retry_at or 0,
                now,
                rows[outcome.uuid][4],  # its id: the UPDATE needs no look-up of the uuid
            )
        )
        states[outcome.uuid] = outcome.state  # a uuid twice in one batch: the last wins
        plan.moves.append((outcome.uuid, old, outcome.state))
        if old is not outcome.state:
            detail = outcome.detail or _detail(outcome)
            plan.audits.append((now, outcome.uuid, "state", old.value, outcome.state.value, detail))
        if outcome.state is TxState.UPLOADED and outcome.brn:
            plan.origins.append((outcome.brn, outcome.uuid))  # its voids and refunds can go now
    return plan


def is_allowed(old: TxState, new: TxState) -> bool:
    return new in TRANSITIONS[old]


def _set_origin_brns(conn: Connection, origins: Sequence[tuple[str, str]]) -> None:
    """(brn, sale uuid): the sale's voids and refunds can go now. Set once, never changed.
    One read finds the sales that have follow-ups waiting (usually none of a batch)."""
    waiting = {
        str(row[0])
        for row in conn.execute(
            "SELECT DISTINCT origin_uuid FROM transactions WHERE origin_brn IS NULL AND "
            "origin_uuid IN (SELECT value FROM json_each(?))",
            (json.dumps([uuid for _, uuid in origins]),),
        )
    }
    conn.executemany(
        "UPDATE transactions SET origin_brn = ? WHERE origin_uuid = ? AND origin_brn IS NULL",
        [(brn, uuid) for brn, uuid in origins if uuid in waiting],
    )


def sales_missing_brn(store: Store) -> list[str]:
    """Uploaded sales without a BRN whose voids or refunds wait for it.

    Earlier versions took "success" without a BRN as final; the engine asks the gateway for it.
    """
    rows = store.query(
        "SELECT DISTINCT s.uuid FROM transactions f JOIN transactions s ON s.uuid = f.origin_uuid "
        "WHERE f.state = 'queued' AND f.origin_brn IS NULL AND s.state = 'uploaded' "
        "AND s.brn IS NULL"
    )
    return [str(r[0]) for r in rows]


def record_brn(store: Store, sale_uuid: str, brn: str) -> None:
    """The gateway told an uploaded sale's BRN after the fact: keep it and free its follow-ups."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE transactions SET brn = ?, updated_ts = ? WHERE uuid = ? AND brn IS NULL",
            (brn, store.now(), sale_uuid),
        )
        store.audit(conn, "brn", tx_uuid=sale_uuid, detail=f"brn {brn} from a query", actor=SYNC)
        _set_origin_brns(conn, [(brn, sale_uuid)])


def expire_held(store: Store, now: float, max_age: float) -> int:
    """Held records older than `max_age` seconds become failed and their card data is erased.

    Card data may be kept only while a record can still be sent; a record no manager has
    resolved in that time is given up (PCI DSS 3.2.1: retention kept to what is needed).
    """
    days = max_age / 86400
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT uuid FROM transactions WHERE state = 'held' AND updated_ts < ?",
            (now - max_age,),
        ).fetchall()
        if not rows:
            return 0
        reason = (
            f"Held for a manager for more than {days:g} days, so its card data was erased; "
            "take a new sale if the customer still owes it."
        )
        unsent.shift(conn, "state = 'held' AND updated_ts < ?", (now - max_age,), -1)
        conn.executemany(
            f"UPDATE transactions SET state = 'failed', {ERASE_CARD_DATA}, error_desc = "
            "coalesce(error_desc || ' ', '') || ?, updated_ts = ? WHERE uuid = ?",
            [(reason, now, uuid) for (uuid,) in rows],
        )
        store.audit_many(
            conn,
            [
                (now, uuid, "state", "held", "failed", f"held over {days:g} days; card data erased")
                for (uuid,) in rows
            ],
            SYNC,
        )
        return len(rows)


_Row = tuple[TxState, str, str | None, int, int]  # state, kind, currency, exposure_minor, id
_STATE = {state.value: state for state in TxState}


def _states(conn: Connection, uuids: Sequence[str]) -> dict[str, _Row]:
    """uuid -> (state, kind, currency, exposure, id) of the records that exist."""
    found: dict[str, _Row] = {}
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        rows = conn.execute(
            "SELECT uuid, state, kind, currency, exposure_minor, id FROM transactions "
            f"WHERE uuid IN ({','.join('?' * len(chunk))})",
            list(chunk),
        ).fetchall()
        found.update({u: (_STATE[st], k, c, e, i) for u, st, k, c, e, i in rows})
    return found


def _detail(outcome: Outcome) -> str | None:
    parts = []
    if outcome.brn:
        parts.append(f"brn {outcome.brn}")
    if outcome.duplicate:
        parts.append("gateway already had it")
    if outcome.error_code:
        parts.append(f"error {outcome.error_code}")
    return ", ".join(parts) or None


def attempts_of(store: Store, uuids: Sequence[str]) -> dict[str, int]:
    if not uuids:
        return {}
    rows = store.query(
        f"SELECT uuid, attempts FROM transactions WHERE uuid IN ({','.join('?' * len(uuids))})",
        list(uuids),
    )
    return {str(u): int(a) for u, a in rows}


def pending_uuids(store: Store, limit: int = 10_000) -> list[str]:
    rows = store.query(
        "SELECT uuid FROM transactions WHERE state = 'pending' ORDER BY id LIMIT ?", (limit,)
    )
    return [str(r[0]) for r in rows]


def settle_orphaned_follow_ups(store: Store) -> int:
    """Voids/refunds whose sale was declined can never go: mark them failed, with the reason."""
    rows = store.query(
        "SELECT f.uuid FROM transactions f JOIN transactions s ON s.uuid = f.origin_uuid "
        "WHERE f.state = 'queued' AND s.state IN ('failed', 'cancelled')"
    )
    outcomes = [
        Outcome(
            uuid=str(r[0]),
            state=TxState.FAILED,
            error_desc="The original sale was not accepted.",
            count_attempt=False,
            detail="original sale failed or cancelled",
        )
        for r in rows
    ]
    apply_outcomes(store, outcomes)
    return len(outcomes)


def waiting_for_sale(store: Store) -> int:
    rows = store.query(
        "SELECT count(*) FROM transactions WHERE state = 'queued' AND kind != 'sale' "
        "AND origin_brn IS NULL"
    )
    return int(rows[0][0])
