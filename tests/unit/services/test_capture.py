"""Capture rules through the service facade, on a real SQLCipher database."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import AMEX, MASTERCARD, TEST_CVV, VISA, files_containing, init_app

from edge_app.domain.errors import ValidationError
from edge_app.domain.transactions import TxState
from storage import unsent

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=datetime.now().astimezone().tzinfo)


def sale(app: Any, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "amount": "12.50",
        "currency": "HKD",
        "card_number": VISA,
        "expiry": "2912",
        "cvv": TEST_CVV,
    }
    fields.update(overrides)
    return app.capture_sale(**fields)


def total_rows(app: Any) -> int:
    return sum(app.store.counts_by_state().values())


def mark_uploaded(app: Any, uuid: str, brn: str) -> None:
    with app.store.transaction() as conn:
        conn.execute(
            "UPDATE transactions SET state = 'uploaded', brn = ?, card_data = NULL, "
            "upload_item = NULL WHERE uuid = ?",
            (brn, uuid),
        )
        unsent.recompute(conn)  # as the sync's answer would have taken it off the totals


@pytest.fixture
def clocked(app: Any) -> Any:
    app.clock = lambda: NOW
    return app


def test_sale_is_queued_durably_and_card_data_is_not_on_disk(clocked: Any, home: Path) -> None:
    result = sale(clocked)
    assert result.state is TxState.QUEUED
    record = clocked.store.get(result.uuid)
    assert record.masked_card == "411111******1111"
    assert record.amount is not None and str(record.amount) == "12.50"
    assert clocked.store.counts_by_state()["queued"] == 1
    assert clocked.store.audit_trail(result.uuid)[0][1] == "captured"
    assert files_containing(home, [VISA, TEST_CVV + '"']) == []


BAD_SALES = [
    ({"amount": "abc"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": "1.234"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "1e3"}, "amount"),
    ({"currency": "XYZ"}, "currency"),
    ({"card_number": "4111111111111112"}, "card_number"),
    ({"card_number": "4111"}, "card_number"),
    ({"expiry": "1301"}, "expiry"),
    ({"expiry": "2001"}, "expiry"),
    ({"cvv": "12"}, "cvv"),
    ({"tips": "x"}, "tips"),
    ({"reader_mode": "swipe", "card_number": None, "expiry": None}, "track2"),
    ({"reader_mode": "contact", "track2": f";{VISA}=29121010000000000000?"}, "card_sn"),
    ({"uuid": "not-a-uuid"}, "uuid"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_SALES)
def test_bad_sale_is_refused_with_a_sentence_and_nothing_stored(
    clocked: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        sale(clocked, **overrides)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message
    assert VISA not in message and TEST_CVV not in message
    errors = getattr(info.value, "errors", {info.value.field: message})
    assert field in errors
    assert total_rows(clocked) == 0


def test_reused_uuid_is_refused(clocked: Any) -> None:
    first = sale(clocked)
    with pytest.raises(ValidationError, match="already stored"):
        sale(clocked, uuid=first.uuid)
    assert total_rows(clocked) == 1


def test_blacklisted_card_is_refused(clocked: Any) -> None:
    clocked.blocklist_add([MASTERCARD])
    with pytest.raises(ValidationError, match="block list"):
        sale(clocked, card_number=MASTERCARD)
    assert total_rows(clocked) == 0
    assert sale(clocked).state is TxState.QUEUED


def test_whitelist_only_lets_listed_cards_pass(home: Path, db_key: str) -> None:
    app = init_app(home, list_mode="whitelist")
    app.clock = lambda: NOW
    app.blocklist_add([VISA])
    with pytest.raises(ValidationError, match="allowed list"):
        sale(app, card_number=AMEX, cvv="1234")
    assert sale(app).state is TxState.QUEUED
    app.close()


def test_per_transaction_and_total_limits(clocked: Any) -> None:
    clocked.update_config(
        limits={
            "per_transaction": {"HKD": "100.00"},
            "total_per_currency": {"HKD": "150.00"},
            "warn_after_hours": 24,
            "refuse_after_hours": 72,
        }
    )
    with pytest.raises(ValidationError):
        sale(clocked, amount="100.01")
    with pytest.raises(ValidationError):
        sale(clocked, amount="90.00", tips="10.01")  # tips count towards the exposure
    sale(clocked, amount="100.00")
    with pytest.raises(ValidationError):
        sale(clocked, amount="50.01")
    sale(clocked, amount="50.00")
    assert clocked.store.counts_by_state()["queued"] == 2
    assert str(clocked.store.unsent_totals()["HKD"]) == "150.00"


def test_old_unsent_records_warn_then_refuse(clocked: Any) -> None:
    sale(clocked)
    clocked.clock = lambda: NOW + timedelta(hours=25)
    assert sale(clocked).warnings
    clocked.clock = lambda: NOW + timedelta(hours=73)
    with pytest.raises(ValidationError, match="72 hours"):
        sale(clocked)
    assert total_rows(clocked) == 2


def test_void_of_queued_sale_cancels_both_and_erases_card(clocked: Any) -> None:
    original = sale(clocked)
    void = clocked.capture_void(original.uuid)
    assert void.state is TxState.CANCELLED
    assert clocked.store.get(original.uuid).state is TxState.CANCELLED
    assert not clocked.store.has_card_data(original.uuid)
    assert clocked.store.counts_by_state()["queued"] == 0


def test_void_of_uploaded_sale_is_queued_with_its_brn(clocked: Any) -> None:
    original = sale(clocked)
    mark_uploaded(clocked, original.uuid, "BRN-1")
    void = clocked.capture_void("BRN-1")
    record = clocked.store.get(void.uuid)
    assert record.state is TxState.QUEUED and record.origin_brn == "BRN-1"
    assert record.origin_uuid == original.uuid
    with pytest.raises(ValidationError):
        clocked.capture_void(original.uuid)  # already voided
    with pytest.raises(ValidationError):
        clocked.capture_refund(original.uuid, "1.00")  # voided sales cannot be refunded


def test_void_of_a_refund_is_refused(clocked: Any) -> None:
    original = sale(clocked)
    refund = clocked.capture_refund(original.uuid, "2.00")
    with pytest.raises(ValidationError, match="not a sale"):
        clocked.capture_void(refund.uuid)


def test_refunds_never_exceed_the_sale(clocked: Any) -> None:
    original = sale(clocked, amount="30.00")
    clocked.capture_refund(original.uuid, "10.00")
    clocked.capture_refund(original.uuid, "15.00")
    with pytest.raises(ValidationError, match=r"5\.00"):
        clocked.capture_refund(original.uuid, "5.01")
    with pytest.raises(ValidationError):
        clocked.capture_refund(original.uuid, "1.001")
    assert clocked.store.counts_by_state()["queued"] == 3


def test_refund_needs_a_known_sale_but_void_may_go_by_brn(clocked: Any) -> None:
    with pytest.raises(ValidationError, match="No sale"):
        clocked.capture_refund("BRN-UNKNOWN", "1.00")
    void = clocked.capture_void("BRN-ONLINE-42")
    assert clocked.store.get(void.uuid).origin_brn == "BRN-ONLINE-42"
    with pytest.raises(ValidationError, match="No sale"):
        clocked.capture_void("7f1c0a8e-1f5b-4d55-9e53-2f4f3f1b2c3d")


def test_retry_moves_failed_back_to_queued(clocked: Any) -> None:
    original = sale(clocked)
    with pytest.raises(ValidationError, match="Only held or failed"):
        clocked.retry_failed(original.uuid)
    with clocked.store.transaction() as conn:
        conn.execute("UPDATE transactions SET state = 'failed' WHERE uuid = ?", (original.uuid,))
        unsent.recompute(conn)
    clocked.retry_failed(original.uuid)
    assert clocked.store.get(original.uuid).state is TxState.QUEUED


# -- accepted but should not be (issue 12, point 9) ----------------------------------------------


def test_a_sale_captured_exactly_at_the_epoch_still_counts_for_the_age_limit(app: Any) -> None:
    """A PC whose clock fell back to 1970: that sale is the oldest unsent, not "no record"."""
    epoch = datetime.fromtimestamp(0).astimezone()
    app.clock = lambda: epoch
    sale(app)
    app.clock = lambda: NOW
    with pytest.raises(ValidationError, match="hours"):
        sale(app)
    assert total_rows(app) == 1
    assert app.status()["oldest_unsent"] is not None


def test_an_import_takes_its_oldest_row_as_the_oldest_unsent(app: Any, tmp_path: Path) -> None:
    app.clock = lambda: NOW
    sale(app)
    old = (NOW - timedelta(days=10)).isoformat()
    path = tmp_path / "late.csv"
    path.write_text(
        "kind,amount,currency,card_number,expiry,captured_at\n"
        f"sale,1.00,HKD,{VISA},2912,{old}\n"
        f"sale,1.00,HKD,{VISA},2912,\n"
    )
    with pytest.raises(ValidationError):
        app.import_transactions(path)
    assert total_rows(app) == 1


@pytest.mark.parametrize(
    "brn", ["a\tb", "B" * 5000, "../../etc/passwd", "BRN 1", VISA, "4111-1111-1111-1111", ""]
)
def test_a_void_of_a_brn_not_stored_here_is_checked(clocked: Any, brn: str) -> None:
    with pytest.raises(ValidationError) as info:
        clocked.capture_void(brn)
    assert info.value.field == "original"
    assert VISA not in str(info.value)
    assert total_rows(clocked) == 0


def test_a_second_void_of_the_same_brn_is_refused(clocked: Any, tmp_path: Path) -> None:
    brn = "2370549374607450112"  # the shape of the gateway's BRNs
    first = clocked.capture_void(brn)
    assert first.state is TxState.QUEUED
    with pytest.raises(ValidationError, match="already stored"):
        clocked.capture_void(f" {brn} ")
    path = tmp_path / "voids.jsonl"
    path.write_text('{"kind": "void", "original": "B-77"}\n{"kind": "void", "original": "B-77"}\n')
    with pytest.raises(ValidationError):
        clocked.import_transactions(path)
    assert total_rows(clocked) == 1
    with clocked.store.transaction() as conn:  # declined at the gateway: may be voided again
        conn.execute("UPDATE transactions SET state = 'failed' WHERE uuid = ?", (first.uuid,))
        unsent.recompute(conn)
    assert clocked.capture_void(brn).state is TxState.QUEUED


def test_init_refuses_an_all_zero_env_key(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.errors import KeyUnavailable

    for key in ("00" * 32, "ff" * 32):
        monkeypatch.setenv("EDGE_APP_DB_KEY", key)
        with pytest.raises(KeyUnavailable, match="all zeros"):
            init_app(home)
        assert not home.exists()
