"""The shop-close report's and reconciliation's pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from edge_app.domain.reconcile import GatewayView, LocalView, compare
from edge_app.domain.report import card_list_changes, currency_sections
from edge_app.domain.transactions import TxKind, TxState
from edge_app.services.report_files import prune_reports
from edge_app.services.shop_close import business_day

SALE = LocalView("u1", "sale", "B1", Decimal("10.00"), "HKD")
AGREES = GatewayView("success", Decimal("10"), "HKD", False, Decimal("0"))


def kinds(local: LocalView, gateway: GatewayView | None) -> list[str]:
    return [f.kind for f in compare(local, gateway)]


@pytest.mark.parametrize(
    ("local", "gateway", "expected"),
    [
        (SALE, AGREES, []),  # "10" and "10.00" are the same amount
        (SALE, None, ["unknown_to_gateway"]),
        (SALE, GatewayView("failed", Decimal("10"), "HKD", False, None), ["state"]),
        (SALE, GatewayView("success", Decimal("10"), "USD", False, None), ["currency"]),
        (SALE, GatewayView("success", Decimal("12"), "HKD", False, None), ["amount"]),
        (SALE, GatewayView("success", Decimal("10"), "HKD", True, None), ["voided"]),
        (
            LocalView("u1", "sale", "B1", Decimal(10), "HKD", voided_any=True),
            GatewayView("success", Decimal("10"), "HKD", True, None),
            [],  # a void waiting here that the gateway already has is no difference
        ),
        (
            LocalView("u1", "sale", "B1", Decimal(10), "HKD", True, True),
            AGREES,
            ["voided"],  # confirmed here, not at the gateway
        ),
        (SALE, GatewayView("success", Decimal("10"), "HKD", False, Decimal("4")), ["refunded"]),
        (
            LocalView("u1", "sale", "B1", Decimal(10), "HKD", refunded_any=Decimal(4)),
            GatewayView("success", Decimal("10"), "HKD", False, Decimal("4.00")),
            [],
        ),
        (
            LocalView(
                "u1",
                "sale",
                "B1",
                Decimal(10),
                "HKD",
                refunded_any=Decimal(4),
                refunded_confirmed=Decimal(4),
            ),
            AGREES,
            ["refunded"],
        ),
        (  # a void's amount is the sale's: not compared
            LocalView("v1", "void", "B2", Decimal(10), "HKD"),
            GatewayView("success", None, "HKD", False, None),
            [],
        ),
    ],
)
def test_compare(local: LocalView, gateway: GatewayView | None, expected: list[str]) -> None:
    assert kinds(local, gateway) == expected


@dataclass(frozen=True)
class Row:
    uuid: str
    kind: TxKind
    state: TxState
    amount: Decimal | None
    currency: str | None
    tips: Decimal | None = None
    masked_card: str | None = "411111******1111"
    captured_ts: float = 0.0
    error_code: str | None = None
    error_desc: str | None = None


def test_sections_per_currency_count_each_outcome_once() -> None:
    rows = [
        Row("a", TxKind.SALE, TxState.UPLOADED, Decimal("10"), "HKD", tips=Decimal("1")),
        Row("b", TxKind.SALE, TxState.FAILED, Decimal("5"), "HKD", error_desc="Declined"),
        Row("c", TxKind.SALE, TxState.CANCELLED, Decimal("2"), "HKD"),
        Row("d", TxKind.VOID, TxState.CANCELLED, Decimal("2"), "HKD"),
        Row("e", TxKind.SALE, TxState.QUEUED, Decimal("100"), "JPY", captured_ts=50.0),
        Row("f", TxKind.VOID, TxState.QUEUED, None, None),  # a void by BRN only
    ]
    hkd, jpy, none = currency_sections(rows)
    assert (hkd.currency, jpy.currency, none.currency) == ("HKD", "JPY", "-")
    assert hkd.captured["sale"].count == 3 and hkd.captured["sale"].amount == Decimal("18")
    assert hkd.confirmed["sale"].amount == Decimal("11")  # with the tips
    assert [d.uuid for d in hkd.declined] == ["b"] and hkd.declined[0].reason == "Declined"
    assert hkd.cancelled.count == 1  # the sale; its void is counted as taken
    assert jpy.waiting.count == 1 and jpy.oldest_waiting_ts == 50.0
    assert none.captured["void"].count == 1


def test_card_list_changes_add_up_the_card_counts() -> None:
    changes = card_list_changes(
        [
            ("blocklist_add", "2 card(s)"),
            ("blocklist_del", "1 card(s)"),
            ("blocklist_synced_add", "2 card(s)"),
            ("blocklist_failed", "1 card(s): Invalid card number"),
            ("setting", "3 things"),
        ]
    )
    assert (changes.added, changes.removed, changes.sent_added, changes.failed) == (2, 1, 2, 1)


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (datetime(2024, 5, 31, 22, 15), date(2024, 5, 31)),
        (datetime(2024, 6, 1, 0, 40), date(2024, 5, 31)),  # a close after midnight
        (datetime(2024, 6, 1, 8, 0), date(2024, 5, 31)),  # a missed run caught up
    ],
)
def test_the_shop_close_run_reports_the_day_that_closed(now: datetime, day: date) -> None:
    assert business_day(now) == day


def test_old_reports_are_removed_after_the_set_days(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in (
        "report-2024-05-01.csv",
        "report-2024-05-02.pdf",
        "report-2024-05-03.csv",
        "notes.txt",
    ):
        (folder / name).write_text("x")
    removed = prune_reports(tmp_path, date(2024, 5, 4), keep_days=2)
    assert sorted(p.name for p in removed) == ["report-2024-05-01.csv", "report-2024-05-02.pdf"]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "report-2024-05-03.csv"]
