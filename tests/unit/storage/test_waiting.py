"""What the status bar, the tray and `status` call waiting: read from the kept unsent totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from support import MASTERCARD, TEST_CVV, VISA

from storage import unsent


def _sale(app: Any, amount: str, currency: str = "HKD", tips: str | None = None) -> str:
    return str(
        app.capture_sale(
            amount=amount,
            currency=currency,
            tips=tips,
            card_number=VISA,
            expiry="2912",
            cvv=TEST_CVV,
        ).uuid
    )


def _set_state(app: Any, uuid: str, state: str, brn: str | None = None) -> None:
    with app.store.transaction() as conn:
        conn.execute(
            "UPDATE transactions SET state = ?, brn = coalesce(?, brn), "
            "sent_ts = coalesce(sent_ts, 1) WHERE uuid = ?",
            (state, brn, uuid),
        )
        unsent.recompute(conn)  # as the code that changes states keeps them


def _from_rows(app: Any) -> tuple[dict[str, int], dict[str, Decimal]]:
    """The definition: records in queued, uploading or pending, summed from their rows."""
    counts = {"sale": 0, "void": 0, "refund": 0}
    totals: dict[str, Decimal] = {}
    for kind, currency, amount, tips in app.store.query(
        "SELECT kind, currency, amount, tips FROM transactions "
        "WHERE state IN ('queued', 'uploading', 'pending')"
    ):
        counts[kind] += 1
        if kind == "sale":
            totals[currency] = totals.get(currency, Decimal(0)) + Decimal(amount)
            totals[currency] += Decimal(tips or 0)
    return counts, totals


def test_waiting_counts_every_sending_state_and_leaves_out_held_and_final(app: Any) -> None:
    queued = _sale(app, "10.00", tips="1.50")
    uploading = _sale(app, "20.00")
    pending = _sale(app, "5.25", currency="USD")
    held = _sale(app, "300.00")
    uploaded = _sale(app, "40.00")
    failed = _sale(app, "50.00")
    _set_state(app, uploading, "uploading")
    _set_state(app, pending, "pending")
    _set_state(app, held, "held")
    _set_state(app, uploaded, "uploaded", brn="9000000000000000001")
    _set_state(app, failed, "failed")
    refunded = _sale(app, "60.00", currency="USD")
    _set_state(app, refunded, "uploaded", brn="9000000000000000002")
    app.capture_void(uploaded)
    app.capture_refund(refunded, "7.00")
    held_refund = app.capture_refund(refunded, "8.00").uuid
    _set_state(app, held_refund, "held")
    app.capture_sale(
        amount="1", currency="JPY", card_number=MASTERCARD, expiry="2912", cvv=TEST_CVV
    )
    assert queued  # (in the queue as captured)

    waiting = app.store.waiting()

    assert (waiting.sales, waiting.voids, waiting.refunds) == (4, 1, 1)
    assert waiting.sale_totals == {
        "HKD": Decimal("31.50"),
        "JPY": Decimal("1"),
        "USD": Decimal("5.25"),
    }
    assert waiting.refund_totals == {"USD": Decimal("7.00")}
    counts, totals = _from_rows(app)
    assert {"sale": waiting.sales, "void": waiting.voids, "refund": waiting.refunds} == counts
    assert waiting.sale_totals == totals


def test_a_currency_whose_records_all_left_is_not_shown(app: Any) -> None:
    first = _sale(app, "10.00", currency="USD")
    _sale(app, "12.00")
    _set_state(app, first, "uploaded", brn="9000000000000000003")
    held = _sale(app, "3.00", currency="EUR")
    _set_state(app, held, "held")

    waiting = app.store.waiting()

    assert waiting.sales == 1
    assert waiting.sale_totals == {"HKD": Decimal("12.00")}  # no USD 0.00, no held EUR


def test_the_window_s_status_counts_open_records_without_reading_the_history(app: Any) -> None:
    for state in ("uploaded", "uploaded", "failed", "cancelled", "held", "pending"):
        _set_state(app, _sale(app, "1.00"), state, brn=None)
    _sale(app, "2.00")

    light = app.status(history=False)["transactions"]
    full = app.status()["transactions"]

    assert light == {"queued": 1, "uploading": 0, "pending": 1, "held": 1}
    assert full == {**light, "uploaded": 2, "failed": 1, "cancelled": 1}
    # The open states are ranges of the state index: a long history is not read.
    statements: list[str] = []
    app.store.conn.set_trace_callback(statements.append)
    try:
        app.store.counts_by_state(final=False)
    finally:
        app.store.conn.set_trace_callback(None)
    (counting,) = [sql for sql in statements if "count(*)" in sql]
    plan = " ".join(str(row[3]) for row in app.store.query("EXPLAIN QUERY PLAN " + counting))
    assert "SEARCH transactions USING COVERING INDEX transactions_state" in plan
    assert "SCAN" not in plan
