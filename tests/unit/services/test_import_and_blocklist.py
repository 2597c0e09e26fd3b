"""File imports (all or nothing, bad rows by line number) and the card block list."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import AMEX, MASTERCARD, VISA, files_containing

from edge_app.domain.errors import ValidationError
from edge_app.services import App, ImportRefused, importing


def jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


SALE = {"kind": "sale", "amount": "10.00", "currency": "HKD", "card_number": VISA, "expiry": "2912"}


def test_jsonl_import_stores_all_rows_with_in_file_references(app: Any, tmp_path: Path) -> None:
    uuid = "0b6f4e52-8a51-4c1e-9b3a-0c2f6e7d8a90"
    path = jsonl(
        tmp_path / "day.jsonl",
        [
            {**SALE, "uuid": uuid},
            {**SALE, "card_number": MASTERCARD, "tips": "1.00"},
            {"kind": "refund", "original": uuid, "amount": "4.00"},
        ],
    )
    captures = app.import_transactions(path)
    assert len(captures) == 3
    assert app.store.counts_by_state()["queued"] == 3


def test_csv_import(app: Any, tmp_path: Path) -> None:
    path = tmp_path / "day.csv"
    path.write_text(
        "kind,amount,currency,card_number,expiry,cvv\n"
        f"sale,5.00,HKD,{VISA},2912,123\n"
        f"sale,7,JPY,{AMEX},2912,1234\n"
    )
    assert len(app.import_transactions(path)) == 2
    assert app.store.unsent_totals()["JPY"] == 7


def test_bad_rows_are_named_by_line_and_nothing_is_stored(app: Any, tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "day.jsonl",
        [SALE, {**SALE, "card_number": "4111111111111112"}, SALE, {**SALE, "currency": "ZZZ"}],
    )
    with open(path, "a") as handle:
        handle.write("{broken\n")
    with pytest.raises(ImportRefused) as info:
        app.import_transactions(path)
    problems = info.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 4", "line 5"]
    assert all(VISA not in p for p in problems)
    assert sum(app.store.counts_by_state().values()) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.txt", "kind\n", "jsonl or .csv"),
        ("x.csv", "amount\n1\n", "kind"),
        ("x.jsonl", "", "no transactions"),
        ("x.csv", "kind,colour\nsale,red\n", "unknown column"),
        ("x.jsonl", '{"kind": "sale", "colour": "red"}\n', "bad row"),
    ],
)
def test_unusable_import_files(
    app: Any, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValidationError, match=message):
        app.import_transactions(path)
    assert sum(app.store.counts_by_state().values()) == 0


def test_missing_import_file(app: Any, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        app.import_transactions(tmp_path / "nope.jsonl")


def test_add_then_delete_before_sync_sends_nothing(app: Any) -> None:
    app.blocklist_add([VISA, MASTERCARD])
    assert app.store.blocklist_counts() == {"cards": 2, "pending": 2, "failed": 0}
    app.blocklist_del([VISA])
    assert app.store.blocklist_counts() == {"cards": 1, "pending": 1, "failed": 0}
    assert app.store.blocklist_pending_chunk("add", "", 1000) == [MASTERCARD]
    assert app.store.blocklist_pending_chunk("del", "", 1000) == []


def test_delete_of_a_synced_card_is_pending_until_sync(app: Any) -> None:
    app.blocklist_add([VISA])
    app.store.blocklist_mark_synced("add", [VISA])
    assert app.store.blocklist_counts()["pending"] == 0
    app.blocklist_del([VISA])
    assert app.store.blocklist_pending_chunk("del", "", 1000) == [VISA]
    app.blocklist_add([VISA])  # changed mind: back to the synced state, nothing to send
    assert app.store.blocklist_counts()["pending"] == 0


def test_blocklist_arguments_all_or_nothing(app: Any) -> None:
    with pytest.raises(ValidationError, match="Argument 2"):
        app.blocklist_add([VISA, "1234567890123"])
    assert app.store.blocklist_counts()["cards"] == 0


def test_blocklist_import_with_header_and_bad_lines(app: Any, tmp_path: Path) -> None:
    good = tmp_path / "list.csv"
    good.write_text(f"card_number,note\n{VISA},x\n\n{MASTERCARD}\n")
    assert app.blocklist_import(good) == 2
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{AMEX}\nabc\n4111111111111112\n")
    with pytest.raises(ImportRefused) as info:
        app.blocklist_import(bad)
    assert [p.split(":")[0] for p in info.value.problems] == ["line 2", "line 3"]
    assert app.store.blocklist_counts()["cards"] == 2
    assert app.blocklist_import(good, delete=True) == 2
    assert app.store.blocklist_counts()["cards"] == 0


def test_export_holds_masked_numbers_only(app: Any, tmp_path: Path) -> None:
    app.blocklist_add([VISA, MASTERCARD])
    out = tmp_path / "export.csv"
    assert app.blocklist_export(out) == 2
    text = out.read_text()
    assert "411111******1111" in text and "555555******4444" in text
    assert files_containing(tmp_path, [VISA, MASTERCARD]) == []


def test_status_counts(app: Any) -> None:
    app.blocklist_add([VISA])
    status = app.status()
    assert set(status["transactions"]) == {
        "queued",
        "uploading",
        "pending",
        "held",
        "uploaded",
        "failed",
        "cancelled",
    }
    assert status["blocklist"] == {"cards": 1, "pending": 1, "failed": 0}
    assert status["key_store"] == "env"


def _staged_then_crashed(app: Any, tmp_path: Path, rows: int, *, decided: bool) -> str:
    """An import of `rows` sales by a process that died (a pid no process has) after staging
    them, before or after the import was decided."""
    from edge_app.services.capture import CaptureContext

    path = jsonl(tmp_path / "day.jsonl", [SALE] * rows)
    import_id = "ab" * 16
    app.store.begin_import(import_id)
    ctx: CaptureContext = app.capture_context(app.clock())
    batch = [app._stage_row(ctx, row, set())[0] for _, row in importing.read_rows(path)]
    app.store.stage_sales(import_id, batch)
    if decided:
        app.store.decide_import(import_id, f"{rows} sale(s) imported from a file")
    with app.store.transaction() as conn:  # the importing process is gone
        value = conn.execute(
            "SELECT value FROM settings WHERE name = ?", ("import:" + import_id,)
        ).fetchone()[0]
        dead = value.replace(str(os.getpid()), "999999999", 1)
        conn.execute("UPDATE settings SET value = ? WHERE name = ?", (dead, "import:" + import_id))
    return import_id


def _staging_tables(app: Any) -> list[str]:
    rows = app.store.query("SELECT name FROM sqlite_master WHERE name LIKE 'import_staging_%'")
    return [r[0] for r in rows]


def test_an_import_that_died_before_it_was_decided_is_dropped_on_the_next_open(
    app: Any, tmp_path: Path
) -> None:
    _staged_then_crashed(app, tmp_path, 30, decided=False)
    assert sum(app.store.counts_by_state().values()) == 0  # staged rows are never visible
    home = app.home
    app.close()
    reopened = App.open(home)
    try:
        assert _staging_tables(reopened) == []
        assert sum(reopened.store.counts_by_state().values()) == 0
        assert reopened.store.unsent_totals() == {}
    finally:
        reopened.close()


def test_a_decided_import_is_finished_by_the_next_open(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import staging

    monkeypatch.setattr(staging, "PUBLISH_ROWS", 7)  # several steps
    _staged_then_crashed(app, tmp_path, 30, decided=True)
    app.store.publish_step("ab" * 16)  # one step made it before the crash
    assert app.store.counts_by_state()["queued"] == 7
    home = app.home
    app.close()
    reopened = App.open(home)
    try:
        assert _staging_tables(reopened) == []
        assert reopened.store.counts_by_state()["queued"] == 30  # each row exactly once
        assert reopened.store.unsent_totals() == {"HKD": Decimal("300.00")}
    finally:
        reopened.close()


def test_captures_go_on_while_an_import_stages(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the import's short transactions another writer gets the lock; what it adds
    stays, and the import's rows all arrive."""
    monkeypatch.setattr(importing, "STAGE_ROWS", 5)
    seen: list[int] = []
    original = app.store.stage_sales

    def stage_and_capture(import_id: str, rows: Any) -> None:
        original(import_id, rows)
        app.capture_sale(amount="1.00", currency="HKD", card_number=VISA, expiry="2912")
        seen.append(app.store.counts_by_state()["queued"])

    monkeypatch.setattr(app.store, "stage_sales", stage_and_capture)
    path = jsonl(tmp_path / "day.jsonl", [SALE] * 20)
    assert app.import_transactions(path).count == 20
    assert seen == [1, 2, 3, 4]  # the staged rows were not visible meanwhile
    assert app.store.counts_by_state()["queued"] == 24
    assert app.store.unsent_totals() == {"HKD": Decimal("204.00")}
    assert _staging_tables(app) == []


@pytest.mark.parametrize(
    ("rows", "steps", "expected"),  # steps: the last step's time in STEP_SECONDS
    [
        (1000, 1.0, 1000),  # on target: the same again
        (1000, 0.5, 2000),  # twice as fast as needed: twice the rows
        (4000, 5.0, 800),  # a slow PC: fewer rows, so a capture waits no longer than elsewhere
        (1000, 100.0, 250),  # never fewer than the lower bound (the import still ends)
        (8000, 0.0, 8000),  # an instant step: never more than the upper bound
    ],
)
def test_each_step_that_makes_imported_rows_visible_is_sized_to_a_fixed_time(
    rows: int, steps: float, expected: int
) -> None:
    assert importing.next_step_rows(rows, steps * importing.STEP_SECONDS) == expected


def test_an_import_makes_its_rows_visible_in_steps_sized_by_the_last_one(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[int | None] = []
    publish = app.store.publish_step

    def recorded(import_id: str, rows: int | None = None) -> bool:
        steps.append(rows)
        return bool(publish(import_id, rows))

    monkeypatch.setattr(app.store, "publish_step", recorded)
    monkeypatch.setattr(importing, "PUBLISH_FIRST_ROWS", 40)
    monkeypatch.setattr(importing, "STEP_ROWS_RANGE", (25, 60))
    monkeypatch.setattr(importing, "YIELD_SECONDS", 0.0)
    path = tmp_path / "sales.jsonl"
    lines = [
        {"kind": "sale", "amount": "1.00", "currency": "HKD", "card_number": VISA,
         "expiry": "2912"}
        for _ in range(300)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    app.update_config(limits={"total_per_currency": {"HKD": "100000.00"}})
    assert app.import_transactions(path).count == 300
    assert steps[0] == 40 and len(steps) > 3
    assert all(25 <= (rows or 0) <= 60 for rows in steps)
    assert sum(rows or 0 for rows in steps[:-1]) < 300 <= sum(rows or 0 for rows in steps)
    assert app.store.counts_by_state()["queued"] == 300
