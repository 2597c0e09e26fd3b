"""Settings and secrets kept inside the encrypted database, and the history of sync runs."""

from __future__ import annotations

import json
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from storage import audit as chain
from storage.base import StoreBase
from storage.db import classify_sqlite_error

SYNC_RUN_COLUMNS = "id, started_ts, finished_ts, trigger, outcome, summary"


def sync_run(row: Any) -> dict[str, Any]:
    """One `sync_runs` row (in `SYNC_RUN_COLUMNS` order) as the history lists it."""
    return {
        "id": row[0],
        "started_ts": row[1],
        "finished_ts": row[2],
        "trigger": row[3],
        "outcome": row[4],
        "summary": json.loads(row[5]) if row[5] else None,
    }


class SettingsAndHistory(StoreBase):
    def get_setting(self, name: str) -> str | None:
        rows = self.query("SELECT value FROM settings WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set_setting(self, name: str, value: str | None, *, audit_detail: str | None = None) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE name = ?", (name,))
            else:
                conn.execute(
                    "INSERT INTO settings (name, value) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    (name, value),
                )
            self.audit(conn, "setting", detail=audit_detail or name)

    def start_sync_run(self, trigger: str) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO sync_runs (started_ts, trigger) VALUES (?, ?)", (self.now(), trigger)
            )
            return int(cur.lastrowid)

    def finish_sync_run(self, run_id: int, outcome: str, summary: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sync_runs SET finished_ts = ?, outcome = ?, summary = ? WHERE id = ?",
                (self.now(), outcome, json.dumps(summary), run_id),
            )

    def sync_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.query(
            f"SELECT {SYNC_RUN_COLUMNS} FROM sync_runs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [sync_run(r) for r in rows]

    def verify_audit(self) -> chain.ChainCheck:
        """Recompute the audit trail's chain; names the first entry that does not match."""
        with self._lock:
            try:
                return chain.verify(self.conn, self.audit_key)
            except sqlcipher.Error as exc:
                raise classify_sqlite_error(exc) from None

    def record_event(
        self, event: str, detail: str | None = None, *, tx_uuid: str | None = None
    ) -> None:
        """An audit entry of its own (a login, a manager's approval, a settings change)."""
        with self.transaction() as conn:
            self.audit(conn, event, tx_uuid=tx_uuid, detail=detail)
