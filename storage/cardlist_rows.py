"""The store's card block list: the local wish per card and what the gateway holds."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

from edge_app.domain.card import mask_card_number
from storage.audit import SYNC
from storage.base import StoreBase
from storage.db import Connection
from storage.records import BlockEntry

_REF_KEY = secrets.token_bytes(16)  # per process: a ref is never stored or shown


def entry_ref(card_number: str) -> str:
    """A handle for one list row that does not reveal its card number."""
    return hmac.new(_REF_KEY, card_number.encode(), hashlib.sha256).hexdigest()[:24]


class CardListRows(StoreBase):
    def blocklist_change(self, conn: Connection, numbers: Iterable[str], *, desired: bool) -> int:
        """Set the wanted state of each card (already validated) inside the caller's transaction.

        The pending operation is derived from `desired` vs `on_gateway`, so an add followed by a
        delete before any sync leaves nothing to send; a card whose request went out without a
        known answer (`in_doubt`) keeps its row, since the gateway may hold it. Returns how
        many cards changed.
        """
        changed = 0
        now = self.now()
        for number in numbers:
            row = conn.execute(
                "SELECT desired, on_gateway, in_doubt FROM blocklist WHERE card_number = ?",
                (number,),
            ).fetchone()
            if row is None:
                if not desired:
                    continue  # deleting a card we never had: nothing to do
                conn.execute(
                    "INSERT INTO blocklist (card_number, masked, desired, on_gateway, updated_ts) "
                    "VALUES (?, ?, 1, 0, ?)",
                    (number, mask_card_number(number), now),
                )
            elif bool(row[0]) == desired:
                continue
            elif not desired and not row[1] and not row[2]:
                conn.execute("DELETE FROM blocklist WHERE card_number = ?", (number,))
            else:
                conn.execute(
                    "UPDATE blocklist SET desired = ?, failed_reason = NULL, updated_ts = ? "
                    "WHERE card_number = ?",
                    (int(desired), now, number),
                )
            changed += 1
        if changed:
            self.audit(
                conn, "blocklist_add" if desired else "blocklist_del", detail=f"{changed} card(s)"
            )
        return changed

    def blocklist_is_listed(self, number: str) -> bool:
        rows = self.query("SELECT desired FROM blocklist WHERE card_number = ?", (number,))
        return bool(rows and rows[0][0])

    def blocklist_listed_set(self, at_most: int) -> frozenset[str] | None:
        """The listed card numbers, for a large import to check against in memory; None when
        there are more than `at_most` (it then asks per card). Kept only for the import."""
        rows = self.query(
            "SELECT card_number FROM blocklist WHERE desired = 1 LIMIT ?", (at_most + 1,)
        )
        if len(rows) > at_most:
            return None
        return frozenset(str(r[0]) for r in rows)

    def blocklist_counts(self) -> dict[str, int]:
        rows = self.query(
            "SELECT "
            "coalesce(sum(desired), 0), "
            "coalesce(sum((desired != on_gateway OR in_doubt = 1) AND failed_reason IS NULL), 0), "
            "coalesce(sum(failed_reason IS NOT NULL), 0) FROM blocklist"
        )
        cards, pending, failed = rows[0]
        return {"cards": int(cards), "pending": int(pending), "failed": int(failed)}

    def blocklist_entries(
        self, *, text: str = "", offset: int = 0, limit: int = 500
    ) -> list[BlockEntry]:
        """Entries for display: masked numbers only, including pending deletes."""
        like = f"%{text.strip()}%"
        rows = self.query(
            "SELECT masked, desired, on_gateway, failed_reason, in_doubt, card_number "
            "FROM blocklist WHERE masked LIKE ? ORDER BY masked LIMIT ? OFFSET ?",
            (like, limit, offset),
        )
        return [
            BlockEntry(r[0], bool(r[1]), bool(r[2]), r[3], bool(r[4]), entry_ref(r[5]))
            for r in rows
        ]

    def blocklist_numbers(self, entries: Iterable[tuple[str, str]]) -> list[str]:
        """The card numbers of entries shown earlier, by (masked, ref); unknown ones left out."""
        numbers: list[str] = []
        for masked, ref in entries:
            rows = self.query("SELECT card_number FROM blocklist WHERE masked = ?", (masked,))
            numbers += [r[0] for r in rows if hmac.compare_digest(entry_ref(r[0]), ref)]
        return numbers

    def blocklist_pending_chunk(self, op: str, after: str, limit: int) -> list[str]:
        """Up to `limit` card numbers needing `op` ('add' or 'del'), after `after` (keyset).

        Two index range scans merged in card-number order (an OR in one WHERE would sort the
        whole list for every chunk): the changes, and the cards in doubt that want `op`.
        """
        desired = 1 if op == "add" else 0
        rows = self.query(
            "SELECT card_number FROM blocklist WHERE desired = ?1 AND on_gateway = 1 - ?1 "
            "AND failed_reason IS NULL AND card_number > ?2 "
            "UNION SELECT card_number FROM blocklist INDEXED BY blocklist_in_doubt "
            "WHERE in_doubt = 1 AND desired = ?1 AND failed_reason IS NULL AND card_number > ?2 "
            "ORDER BY card_number LIMIT ?3",
            (desired, after, limit),
        )
        return [str(r[0]) for r in rows]

    def blocklist_mark_sending(self, numbers: Sequence[str]) -> None:
        """A request about these cards is about to go: until its answer, they are in doubt."""
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE blocklist SET in_doubt = 1 WHERE card_number = ?", [(n,) for n in numbers]
            )

    def blocklist_mark_synced(self, op: str, numbers: Sequence[str]) -> None:
        """The gateway applied `op` to these cards: one transaction for the whole chunk.

        What is recorded is what the gateway now holds (`on_gateway`), whatever the local list
        wants by now: an edit made while the chunk was on the wire is kept and becomes the next
        sync's change. A card deleted locally while its add was in flight gets its row back (as
        a pending delete), so the gateway never keeps a card the store no longer lists.
        """
        now = self.now()
        with self.transaction() as conn:
            if op == "add":
                cur = conn.executemany(
                    "UPDATE blocklist SET on_gateway = 1, in_doubt = 0, updated_ts = ? "
                    "WHERE card_number = ?",
                    [(now, n) for n in numbers],
                )
                if cur.rowcount < len(numbers):  # some were deleted here meanwhile
                    self._restore_deleted(conn, numbers, now)
            else:
                cur = conn.executemany(
                    "DELETE FROM blocklist WHERE card_number = ? AND desired = 0",
                    [(n,) for n in numbers],
                )
                if cur.rowcount < len(numbers):  # some were added again here meanwhile
                    conn.executemany(
                        "UPDATE blocklist SET on_gateway = 0, in_doubt = 0, updated_ts = ? "
                        "WHERE card_number = ?",
                        [(now, n) for n in numbers],
                    )
            self.audit(conn, f"blocklist_synced_{op}", detail=f"{len(numbers)} card(s)", actor=SYNC)

    def _restore_deleted(self, conn: Connection, numbers: Sequence[str], now: float) -> None:
        """Cards the gateway now blocks whose local row is gone: back as pending deletes."""
        present: set[str] = set()
        for start in range(0, len(numbers), 500):
            part = list(numbers[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                f"SELECT card_number FROM blocklist WHERE card_number IN ({marks})", part
            )
            present.update(str(r[0]) for r in rows)
        conn.executemany(
            "INSERT INTO blocklist (card_number, masked, desired, on_gateway, updated_ts) "
            "VALUES (?, ?, 0, 1, ?)",
            [(n, mask_card_number(n), now) for n in numbers if n not in present],
        )

    def blocklist_mark_failed(self, numbers: Sequence[str], reason: str) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE blocklist SET failed_reason = ?, updated_ts = ? WHERE card_number = ?",
                [(reason, self.now(), n) for n in numbers],
            )
            self.audit(
                conn, "blocklist_failed", detail=f"{len(numbers)} card(s): {reason}", actor=SYNC
            )
