"""The shop-close report, reconciliation and `audit verify`, end to end: the real client against
the sandbox, the real command line, the PDF read back with pdftotext."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import AMEX, DECLINED_CARD, MASTERCARD, TEST_KEY, VISA, capture_sales, files_containing

from edge_app.domain.transactions import TxState
from edge_app.services import today

FAST = {"query_interval": 0.1, "pending_wait": 3.0}
pytestmark = pytest.mark.usefixtures("db_key")


@pytest.fixture
def day(online_app: Any, gateway: Any) -> dict[str, Any]:
    """A day of trading: five sales (one declined, one the gateway cannot take: held), a void
    and a refund it confirmed, one sale cancelled before it was sent, one still waiting, and a
    card added to the block list."""
    app = online_app
    app.update_config(batch_size=10, **FAST)
    gateway.set_options(
        decline_cards=frozenset({DECLINED_CARD}), refuse_cards=frozenset({MASTERCARD})
    )
    good = capture_sales(app, 3, amount="10.00")
    declined = capture_sales(app, 1, card=DECLINED_CARD, amount="25.00")[0]
    held = capture_sales(app, 1, card=MASTERCARD, amount="40.00")[0]
    app.blocklist_add([AMEX])
    app.sync()
    app.capture_void(good[0])
    app.capture_refund(good[1], "4.00")
    cancelled = capture_sales(app, 1, amount="3.00")[0]
    app.capture_void(cancelled)  # never sent: cancelled here
    app.sync()
    waiting = capture_sales(app, 1, amount="7.50")[0]
    assert app.store.get(held).state is TxState.HELD
    assert app.store.get(declined).state is TxState.FAILED
    return {"good": good, "declined": declined, "held": held, "waiting": waiting}


def run(cli_in_process: Any, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = cli_in_process(home, *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_the_day_in_every_format(day: dict[str, Any], home: Path, cli_in_process: Any) -> None:
    date = today().isoformat()
    text = run(cli_in_process, home, "report", "--date", date).stdout
    assert f"store store-1 - {date}" in text
    for line, count, amount in (
        ("Sales taken", 7, "105.50"),  # 3 x 10 + 25 + 40 + 3 (cancelled) + 7.50 (waiting)
        ("Voids taken", 2, "13.00"),
        ("Refunds taken", 1, "4.00"),
        ("Sales confirmed by the gateway", 3, "30.00"),
        ("Voids confirmed by the gateway", 1, "10.00"),
        ("Refunds confirmed by the gateway", 1, "4.00"),
        ("Declined or failed", 1, "25.00"),
        ("Held for a manager", 1, "40.00"),
        ("Cancelled locally", 1, "3.00"),
    ):
        assert any(
            row.split() == [*line.split(), str(count), amount] for row in text.splitlines()
        ), (line, text)
    assert "Still waiting (oldest less than a minute)" in text
    assert "400000******0002" in text and "Declined by the card issuer." in text
    assert "555555******4444" in text  # the held one, masked
    assert "Card list: 1 added, 0 removed here; sent to the gateway 1 added" in text
    assert "Audit trail: verified" in text

    rows = list(
        csv.DictReader(
            io.StringIO(
                run(cli_in_process, home, "report", "--date", date, "--format", "csv").stdout
            )
        )
    )
    by = {(r["section"], r["item"]): r for r in rows}
    assert by[("captured", "Sales taken")]["count"] == "7"  # the waiting one was taken too
    assert by[("declined", "Declined or failed")]["amount"] == "25.00"
    declined = [r for r in rows if r["section"] == "declined_record"]
    assert [(r["card"], r["amount"]) for r in declined] == [("400000******0002", "25.00")]
    assert [r["card"] for r in rows if r["section"] == "held_record"] == ["555555******4444"]
    assert by[("card_list", "sent_added")]["count"] == "1"
    assert sum(r["section"] == "sync" for r in rows) == 2
    assert by[("audit", "verified")]["time"] == ""

    doc = json.loads(run(cli_in_process, home, "report", "--format", "json").stdout)
    hkd = doc["currencies"]["HKD"]
    assert hkd["captured"]["sale"] == {"count": 7, "amount": "105.50"}
    assert hkd["confirmed"]["void"] == {"count": 1, "amount": "10.00"}
    assert hkd["waiting"] == {"count": 1, "amount": "7.50"}
    assert [d["uuid"] for d in hkd["declined"]] == [day["declined"]]
    assert [h["uuid"] for h in hkd["held"]] == [day["held"]]
    assert doc["audit"]["verified"] is True and doc["needs_attention"] == 2
    assert {s["started_by"] for s in doc["syncs"]} == {"command line"}


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_the_pdf_says_the_same_with_masked_cards_and_page_numbers(
    day: dict[str, Any], home: Path, cli_in_process: Any, tmp_path: Path
) -> None:
    out = tmp_path / "day.pdf"
    date = today().isoformat()
    result = run(
        cli_in_process, home, "report", "--date", date, "--format", "pdf", "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"store store-1 - shop-close report {date}" in text
    assert "Page 1 of" in text
    assert "Sales confirmed by the gateway" in text and "30.00" in text
    assert "400000******0002" in text and "Declined by the card issuer." in text
    assert "Held for a manager" in text and "555555******4444" in text
    head = json.loads(run(cli_in_process, home, "audit", "verify", "--json").stdout)
    assert head["head_mac"][:40] in text.replace("\n", "")
    assert files_containing(tmp_path, [VISA, DECLINED_CARD, MASTERCARD, AMEX]) == []


def test_reconcile_reports_exactly_the_three_disagreements(
    online_app: Any, gateway: Any, home: Path, cli_in_process: Any
) -> None:
    app = online_app
    app.update_config(**FAST)
    sales = capture_sales(app, 5)
    app.sync()
    gateway.set_options(disagree={sales[0]: "voided", sales[1]: "unknown", sales[2]: "amount"})
    result = run(cli_in_process, home, "reconcile", "--json")
    doc = json.loads(result.stdout)
    assert result.returncode == 3
    assert doc["checked"] == 5 and doc["not_checked"] == 0
    found = sorted((d["tx_uuid"], d["kind"]) for d in doc["differences"])
    assert found == sorted(
        [(sales[0], "voided"), (sales[1], "unknown_to_gateway"), (sales[2], "amount")]
    )
    assert app.count_open_differences() == 3
    again = run(cli_in_process, home, "reconcile")  # found again: still three, none new
    assert again.returncode == 3 and "3 difference(s) (0 new)" in again.stdout
    assert again.stdout.count("needs attention:") == 3
    assert app.count_open_differences() == 3
    assert {app.store.get(s).state for s in sales} == {TxState.UPLOADED}  # nothing changed
    first = app.open_differences()[0]
    app.resolve_difference(first.id, "voided at the terminal by the owner")
    assert app.count_open_differences() == 2
    text = run(cli_in_process, home, "report").stdout
    assert "Differences with the gateway (open): 2" in text
    gateway.set_options(disagree={})


def test_reconcile_with_no_differences_and_with_the_gateway_down(
    online_app: Any, gateway: Any, home: Path, cli_in_process: Any
) -> None:
    online_app.update_config(**FAST)
    capture_sales(online_app, 2)
    online_app.sync()
    ok = run(cli_in_process, home, "reconcile")
    assert ok.returncode == 0 and "2 confirmed record(s): 0 difference(s)" in ok.stdout
    gateway.set_options(fail_rate=1.0)  # every request answered 5xx
    down = run(cli_in_process, home, "reconcile", "--seconds", "5")
    assert down.returncode == 4 and "not asked" in down.stdout
    assert online_app.count_open_differences() == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("report", "--date", "2024-13-01"), "--date must be a date"),
        (("report", "--from", "2024-05-02", "--to", "2024-05-01"), "ends before it starts"),
        (("report", "--date", "2024-05-01", "--from", "2024-05-01"), "not both"),
        (("report", "--to", "2024-05-01"), "--to needs --from"),
        (("report", "--format", "pdf"), "needs --output"),
        (("report", "--output", "/no/such/folder/r.txt"), "Cannot write"),
        (("report", "--from", "2020-01-01", "--to", "2024-01-01"), "at most 366 days"),
        (("reconcile", "--date", "yesterday"), "--date must be a date"),
    ],
)
def test_bad_report_input_is_one_sentence_and_exit_2(
    app: Any, home: Path, cli_in_process: Any, args: tuple[str, ...], words: str
) -> None:
    result = run(cli_in_process, home, *args)
    assert result.returncode == 2
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_audit_verify_names_the_row_edited_in_the_decrypted_database(
    online_app: Any, home: Path, cli_in_process: Any
) -> None:
    from sqlcipher3 import dbapi2 as sqlcipher

    online_app.update_config(**FAST)
    capture_sales(online_app, 3)
    online_app.sync()
    ok = run(cli_in_process, home, "audit", "verify")
    assert ok.returncode == 0 and "The audit trail verifies" in ok.stdout
    online_app.close()
    conn = sqlcipher.connect(str(home / "queue.db"), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{TEST_KEY}'\"")
    conn.execute("UPDATE audit SET detail = 'sale 411111******1111 (edited)' WHERE id = 4")
    conn.close()
    bad = run(cli_in_process, home, "audit", "verify")
    assert bad.returncode == 3
    assert "entry 4 (" in bad.stderr and "does not match" in bad.stderr
    report = run(cli_in_process, home, "report").stdout
    assert "Audit trail: NOT VERIFIED: audit entry 4" in report


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_the_unattended_run_writes_the_day_report_and_keeps_the_set_days(
    day: dict[str, Any],
    home: Path,
    cli_in_process: Any,
    gateway: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    from edge_app.services import shop_close

    monkeypatch.setattr(shop_close, "business_day", lambda now: today())
    folder = home / "reports"
    folder.mkdir()
    old = [folder / "report-2000-01-01.csv", folder / "report-2000-01-01.pdf"]
    recent = folder / f"report-{(today() - timedelta(days=2)).isoformat()}.csv"
    for path in (*old, recent):
        path.write_text("section\n")
    gateway.set_options(disagree={day["good"][2]: "amount"})
    result = run(cli_in_process, home, "sync", "--unattended")
    assert result.returncode == 0, result.stderr  # the waiting sale went
    csv_path = folder / f"report-{today().isoformat()}.csv"
    pdf_path = csv_path.with_suffix(".pdf")
    assert csv_path.exists() and pdf_path.exists()
    assert not any(p.exists() for p in old) and recent.exists()  # 31 days kept by default
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [r["card"] for r in rows if r["section"] == "declined_record"] == ["400000******0002"]
    assert [r["item"] for r in rows if r["section"] == "difference"] == ["amount"]  # reconciled
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Declined: chase these" in text and "Page 1 of" in text
    log = (home / "logs" / "edge-app.log").read_text("utf-8")
    assert "shop-close report written: " in log and "reconciliation: " in log
    assert files_containing(home / "reports", [VISA, DECLINED_CARD, MASTERCARD, AMEX]) == []
    from edge_app.services.report_files import newest_report

    saved = newest_report(home)
    assert saved is not None and saved.day == today()
    assert (saved.declined, saved.held, saved.differences, saved.chain_verified) == (1, 1, 1, True)
    gateway.set_options(disagree={})
