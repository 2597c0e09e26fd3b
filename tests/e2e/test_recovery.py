"""The documented recovery of a damaged queue, end to end on a damaged file (issue 12, point 5).

`edge-app db check` finds the damage, `db export-recovered FILE` copies every readable row into a
new file with the same key and schema version, and after the steps of 'Damaged database' in
docs/operations.md the program opens the copy with every recovered sale and its card data.
Real SQLCipher and the real command line; one page of the file is overwritten on disk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import TEST_KEY, VISA, init_app

from edge_app.services import App
from storage.recovery import export_recovered
from storage.schema import SCHEMA_VERSION

SALES = 600
PAGE = 4096
KEY = bytes.fromhex(TEST_KEY)


def damage(path: Path, page: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(page * PAGE + 1000)
        handle.write(b"\x00" * 32)


def find_leaf_page(pristine: Path, scratch: Path) -> int:
    """A page whose damage loses some sales but not all: a leaf of the transactions table.
    (The layout depends on the random uuids, so it is found by trying, on copies.)"""
    pages = pristine.stat().st_size // PAGE
    for page in [*range(pages // 2, pages), *range(2, pages // 2)]:
        copy = scratch / f"try-{page}.db"
        shutil.copy(pristine, copy)
        damage(copy, page)
        out = scratch / f"out-{page}.db"
        report = export_recovered(copy, KEY, out)
        (transactions,) = [t for t in report.tables if t.name == "transactions"]
        if 0 < transactions.copied < SALES and transactions.lost_rowids:
            return page
    pytest.fail("no page of the file held only sales")


def one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return str(lines[0])


def test_a_damaged_queue_is_checked_copied_and_used_again(
    home: Path, tmp_path: Path, db_key: str, cli_in_process: Any
) -> None:
    app = init_app(home)
    rows = tmp_path / "day.jsonl"
    row = {"kind": "sale", "amount": "1.00", "currency": "HKD", "card_number": VISA,
           "expiry": "2912", "cvv": "737"}  # fmt: skip
    rows.write_text("".join(json.dumps(row) + "\n" for _ in range(SALES)))
    assert app.import_transactions(rows).count == SALES
    sales = {r.uuid for r in app.store.list_transactions(limit=SALES)}
    app.blocklist_add(["5555555555554444"])
    app.set_password("gateway-pass")
    app.close()
    db = home / "queue.db"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    damage(db, find_leaf_page(db, scratch))
    cli = cli_in_process

    status = cli(home, "status")
    assert status.returncode == 2 and "damaged" in one_line(status)
    check = cli(home, "db", "check")
    assert check.returncode == 2 and "db export-recovered" in one_line(check)
    for inside in ("queue.db", "queue.db-wal"):
        refused = cli(home, "db", "export-recovered", str(home / inside))
        assert refused.returncode == 2 and "file of the installation" in one_line(refused)
    recovered = tmp_path / "recovered.db"
    exported = cli(home, "db", "export-recovered", str(recovered))
    assert exported.returncode == 0, exported.stderr
    assert f"schema {SCHEMA_VERSION}" in exported.stdout
    assert "transactions: 1 damaged part(s), about" in exported.stderr
    again = cli(home, "db", "export-recovered", str(recovered))
    assert again.returncode == 2 and "--force" in one_line(again)

    # The steps of docs/operations.md: keep a copy, replace queue.db, remove -wal and -shm.
    shutil.copytree(home, tmp_path / "home-copy")
    shutil.move(recovered, db)
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    assert cli(home, "db", "check").returncode == 0
    app = App.open(home, env={"EDGE_APP_DB_KEY": TEST_KEY})
    try:
        assert app.store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        kept = {r.uuid for r in app.store.list_transactions(limit=SALES)}
        assert kept < sales and len(kept) > SALES - 100
        assert all(app.store.has_card_data(uuid) for uuid in kept)
        assert app.credentials()[1] == "gateway-pass"
        assert app.card_list_counts()["cards"] == 1
        app.capture_sale(amount="2.00", currency="HKD", card_number=VISA, expiry="2912")
    finally:
        app.close()
    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text("utf-8")
    section = docs.split("## Damaged database", 1)[1].split("\n## ", 1)[0]
    assert "edge-app db export-recovered" in section and "SELECT sqlcipher_export" not in section
