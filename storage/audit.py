"""The tamper-evident audit trail: who did what and when, each entry chained to the one before.

Every audit entry carries a MAC (HMAC-SHA256, keyed with `keys.audit_key`: derived one-way from
the database key, so it is not in the data) over its own fields and the MAC of the entry before
it. Changing, deleting or reordering an entry breaks the chain at that place, and `verify` names
the first entry that does not match. Removing entries from the end cannot be seen from what is
left; the shop-close report prints the chain's head, which pins the log up to that moment.

Entries are appended only here (`append`), always with their id given, so that the id is part of
what the MAC covers. Imports the standard library only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Connection = Any  # sqlcipher3 ships no type information

GENESIS = "0" * 64  # the "previous MAC" of the first entry
MAC_COLUMNS = "id, at_ts, tx_uuid, event, from_state, to_state, detail, actor, staff"
# (at_ts, tx_uuid, event, from_state, to_state, detail) of one entry to append
NewEntry = tuple[float, str | None, str, str | None, str | None, str | None]


@dataclass(frozen=True)
class Actor:
    """Who an audit entry is by: a role (cashier, manager, operator, schedule, sync, system)
    and the person's name where one is known (the operating system account that ran it)."""

    role: str
    staff: str | None = None


SYSTEM = Actor("system")
SYNC = Actor("sync")


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> hmac.HMAC:
    """The HMAC state after the key, copied for each entry (saves re-keying every time)."""
    return hmac.new(key, digestmod=hashlib.sha256)


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def entry_mac(key: bytes, previous: str, fields: Sequence[Any]) -> str:
    """The MAC of one entry: HMAC-SHA256 of the JSON array [previous MAC, id, at_ts, tx_uuid,
    event, from_state, to_state, detail, actor, staff] (compact, UTF-8)."""
    values = [previous, int(fields[0]), float(fields[1]), *fields[2:]]
    mac = _keyed(key).copy()
    mac.update(_ENCODE(values).encode("utf-8"))
    return mac.hexdigest()


def _last(conn: Connection) -> tuple[int, str]:
    row = conn.execute("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1] or GENESIS)) if row else (0, GENESIS)


def append(conn: Connection, key: bytes, entries: Iterable[NewEntry], actor: Actor) -> int:
    """Append entries inside the caller's write transaction, each chained to the one before.

    One read of the last entry (by its primary key) and one HMAC per entry. The write lock the
    caller's BEGIN IMMEDIATE holds keeps another process from appending in between.
    """
    last_id, previous = _last(conn)
    rows: list[tuple[Any, ...]] = []
    for at_ts, tx_uuid, event, from_state, to_state, detail in entries:
        last_id += 1
        fields = (
            last_id,
            float(at_ts),
            tx_uuid,
            event,
            from_state,
            to_state,
            detail,
            actor.role,
            actor.staff,
        )
        previous = entry_mac(key, previous, fields)
        rows.append((*fields, previous))
    if rows and actor.staff is None:  # NULL in the statement: binding None costs more
        conn.executemany(
            f"INSERT INTO audit ({MAC_COLUMNS}, mac, tx_id) VALUES "
            f"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, {_RECORD_ID})",
            [(*row[:8], row[9]) for row in rows],
        )
    elif rows:
        conn.executemany(
            f"INSERT INTO audit ({MAC_COLUMNS}, mac, tx_id) VALUES "
            f"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, {_RECORD_ID})",
            rows,
        )
    return len(rows)


# An entry about a record also keeps the record's id (schema 12; not part of the MAC: it is
# derived from the uuid), so that the index of a record's entries grows at its end, not at
# random places as an index of uuids does.
_RECORD_ID = "(SELECT id FROM transactions WHERE uuid = ?3)"


def chain_existing(conn: Connection, key: bytes) -> int:
    """Give every entry written before the trail was chained its MAC (schema migration 6)."""
    rows = conn.execute(f"SELECT {MAC_COLUMNS} FROM audit ORDER BY id").fetchall()
    previous = GENESIS
    macs: list[tuple[str, int]] = []
    for row in rows:
        previous = entry_mac(key, previous, row)
        macs.append((previous, int(row[0])))
    conn.executemany("UPDATE audit SET mac = ? WHERE id = ?", macs)
    return len(macs)


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: how many entries, the head (last id and MAC), the first problem."""

    entries: int
    head_id: int
    head_mac: str
    bad_id: int | None = None
    bad_event: str | None = None
    bad_at_ts: float | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.bad_id is None

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.ok,
            "entries": self.entries,
            "head_id": self.head_id,
            "head_mac": self.head_mac,
            "first_bad_entry": self.bad_id,
            "first_bad_event": self.bad_event,
            "problem": self.problem,
        }


def verify(conn: Connection, key: bytes) -> ChainCheck:
    """Recompute the chain from the first entry; stop at the first one that does not match."""
    cursor = conn.execute(f"SELECT {MAC_COLUMNS}, mac FROM audit ORDER BY id")
    previous, previous_id, count = GENESIS, 0, 0
    for row in cursor:
        entry_id = int(row[0])
        expected = entry_mac(key, previous, row[:-1])
        if row[-1] is None or not hmac.compare_digest(str(row[-1]), expected):
            cursor.close()
            return ChainCheck(
                count,
                previous_id,
                previous,
                entry_id,
                row[3],
                row[1],
                _problem(entry_id, previous_id),
            )
        previous, previous_id, count = expected, entry_id, count + 1
    return ChainCheck(count, previous_id, previous)


def _problem(entry_id: int, previous_id: int) -> str:
    if entry_id > previous_id + 1:
        missing = (
            f"entry {previous_id + 1}"
            if entry_id == previous_id + 2
            else f"entries {previous_id + 1} to {entry_id - 1}"
        )
        return f"{missing} before it {'is' if entry_id == previous_id + 2 else 'are'} missing"
    return "it was changed, or entries were moved or removed around it"
