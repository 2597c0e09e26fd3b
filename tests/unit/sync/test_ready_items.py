"""A sale's request ITEM is encoded once, when it is captured, and sent as it is (schema 10).

What must hold: the stored ITEM is exactly what the adapter builds from the record's fields, so a
sale stored before schema 10 (its ITEM built when sent) and one stored after give the same bytes;
a resend carries the same bytes even after the settings changed; the ITEM holds the card data
and goes with it at a final outcome; the gateway's answer is checked against the card data
inside it without decoding every ITEM.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import MASTERCARD, TEST_CVV, VISA, capture_sales

from edge_app.domain.card import validate_card
from edge_app.domain.transactions import ReadyItem, Sale, TxKind, TxState, UploadItem
from edge_app.gateway import adapter
from edge_app.gateway.adapter import UploadResult
from edge_app.gateway.errors import ProtocolError
from storage import outbox
from storage.db import open_database
from storage.outbox import Outcome
from storage.schema import SCHEMA_VERSION


def _item(uuid: str, card_number: str = VISA, **overrides: Any) -> UploadItem:
    card = validate_card(
        card_number=card_number,
        expiry="2912",
        cvv=TEST_CVV,
        reader_mode="manual",
        track2=None,
        card_sn=None,
        icc_request=None,
        today=datetime(2026, 1, 1).date(),
    )
    fields: dict[str, Any] = {
        "uuid": uuid,
        "kind": TxKind.SALE,
        "captured_at": datetime.fromisoformat("2026-12-01T10:00:00+08:00"),
        "amount": Decimal("12.50"),
        "currency": "HKD",
        "tips": Decimal("1.00"),
        "card": card,
        "auth_code": "A1",
        "origin_brn": None,
        "sn": "device-1",
    }
    return UploadItem(**{**fields, **overrides})


DB_KEY = bytes.fromhex("cd" * 32)
NO_ERROR: dict[str, Any] = {"error_code": None, "error_desc": None, "duplicate": False}
UUIDS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 4)]


def test_a_body_of_stored_items_is_the_same_bytes_as_one_built_from_the_records() -> None:
    items = [_item(UUIDS[0]), _item(UUIDS[1], MASTERCARD, tips=None), _item(UUIDS[2])]
    ready = [ReadyItem(i.uuid, i.kind, adapter.upload_item_json(i)) for i in items]
    built = adapter.encode_body(adapter.upload_body(items))
    assert adapter.upload_body_bytes(ready) == built
    assert adapter.upload_body_bytes([ready[0], items[1], ready[2]]) == built  # mixed, too
    assert json.loads(built)["transactions"][1]["credit_card"]["card_number"] == MASTERCARD


@pytest.mark.parametrize(
    "holder", [None, 'O\'Brien "Jr"', "back\\slash", "陳大文", "tab\there", "\u2028 é \x7f"]
)
@pytest.mark.parametrize("extras", [{}, {"tips": None, "auth_code": None, "sn": None}])
def test_the_item_made_at_capture_is_the_text_the_adapter_encodes(
    holder: str | None, extras: dict[str, Any]
) -> None:
    card = replace(_item(UUIDS[0]).card, holder_name=holder, track2="4111111111111111=29121")
    item = _item(UUIDS[0], card=card, **extras)
    assert item.card is not None and item.amount is not None and item.currency is not None
    sale = Sale(item.uuid, item.amount, item.currency, item.tips, item.card, item.auth_code)
    made = adapter.sale_item_json(sale, item.captured_at, item.sn)
    assert made == adapter.upload_item_json(item)
    assert json.loads(made) == adapter.upload_item(item)


def test_a_ready_item_is_never_shown_with_its_card_data() -> None:
    ready = ReadyItem(UUIDS[0], TxKind.SALE, adapter.upload_item_json(_item(UUIDS[0])))
    assert VISA not in repr(ready) and TEST_CVV not in str(ready)
    assert UUIDS[0] in repr(ready)


def test_the_answer_is_checked_against_the_card_data_inside_a_stored_item() -> None:
    ready = ReadyItem(UUIDS[0], TxKind.SALE, adapter.upload_item_json(_item(UUIDS[0])))
    echoed = UploadResult(
        uuid=UUIDS[0],
        state="failed",
        brn=None,
        date_time=None,
        error_code="100001",
        error_desc=f"card {VISA} with cvv {TEST_CVV} refused",
        duplicate=False,
    )
    (checked,) = adapter.check_results_against_items([echoed], [ready])
    assert checked.error_desc == "card [hidden] with cvv [hidden] refused"
    as_brn = UploadResult(
        uuid=UUIDS[0], state="success", brn=f"9{VISA}", date_time=None, **NO_ERROR
    )
    with pytest.raises(ProtocolError, match="card number as a BRN"):
        adapter.check_results_against_items([as_brn], [ready])
    fine = UploadResult(
        uuid=UUIDS[0], state="success", brn="9000000001", date_time=None, **NO_ERROR
    )
    assert adapter.check_results_against_items([fine], [ready]) == [fine]


def _stored(app: Any, uuid: str) -> tuple[str | None, str | None]:
    row = app.store.query(
        "SELECT upload_item, card_data FROM transactions WHERE uuid = ?", (uuid,)
    )[0]
    return row[0], row[1]


def test_a_capture_stores_its_item_and_a_resend_sends_it_unchanged(app: Any) -> None:
    (uuid,) = capture_sales(app, 1)
    record = app.store.get(uuid)
    stored, card_data = _stored(app, uuid)
    assert card_data is None  # the one copy of the card data is the ITEM
    expected = _item(
        uuid,
        captured_at=datetime.fromisoformat(record.captured_at),
        amount=Decimal("10.00"),
        tips=None,
        auth_code=None,
        sn=app.config.device_id,
    )
    assert stored == adapter.upload_item_json(expected)

    claim = outbox.claim_batch(app.store, TxKind.SALE, 10, app.store.now())
    assert claim.items == [ReadyItem(uuid, TxKind.SALE, stored)] and claim.attempts == {uuid: 0}
    # The answer was lost: the record goes back to the queue and is claimed again later, after
    # the device id in the settings changed. The same bytes go out.
    outbox.apply_outcomes(app.store, [Outcome(uuid, TxState.QUEUED, count_attempt=False)])
    app.update_config(device_id="another-device")
    again = outbox.claim_batch(app.store, TxKind.SALE, 10, app.store.now())
    assert adapter.upload_body_bytes(again.items) == adapter.upload_body_bytes(claim.items)

    outbox.apply_outcomes(app.store, [Outcome(uuid, TxState.UPLOADED, brn="9000000001")])
    assert _stored(app, uuid) == (None, None) and not app.store.has_card_data(uuid)


def test_a_sale_stored_before_schema_10_is_built_when_sent_with_the_same_bytes(app: Any) -> None:
    (uuid,) = capture_sales(app, 1, card=MASTERCARD)
    stored, _ = _stored(app, uuid)
    assert stored is not None
    card = json.loads(stored)["credit_card"]
    legacy = validate_card(
        card_number=card["card_number"],
        expiry=card["card_exp_date"],
        cvv=card["cvv"],
        reader_mode=card["card_reader_mode"],
        track2=None,
        card_sn=None,
        icc_request=None,
        today=datetime(2026, 1, 1).date(),
    )
    with app.store.transaction() as conn:  # as schema 9 stored it: card JSON, no ITEM
        conn.execute(
            "UPDATE transactions SET card_data = ?, upload_item = NULL WHERE uuid = ?",
            (legacy.to_json(), uuid),
        )
    assert app.store.has_card_data(uuid)
    claim = outbox.claim_batch(app.store, TxKind.SALE, 10, app.store.now())
    (item,) = claim.items
    assert isinstance(item, UploadItem) and item.card == legacy
    expected = b'{"transactions":[' + stored.encode("utf-8") + b"]}"
    assert adapter.upload_body_bytes(claim.items) == expected

    outbox.apply_outcomes(app.store, [Outcome(uuid, TxState.FAILED, error_code="110003")])
    assert _stored(app, uuid) == (None, None)


def test_an_import_staged_by_schema_9_gets_the_column_its_rows_are_published_with(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queue.db"
    conn = open_database(path, DB_KEY, create=True, target_version=9)
    staging = "import_staging_" + "0" * 32
    conn.execute(
        f"CREATE TABLE {staging} (seq INTEGER PRIMARY KEY, uuid TEXT NOT NULL, amount TEXT, "
        "currency TEXT, tips TEXT, exposure_minor INTEGER NOT NULL, masked_card TEXT, "
        "card_data TEXT, auth_code TEXT, captured_at TEXT NOT NULL, captured_ts REAL NOT NULL, "
        "sn TEXT)"
    )
    conn.close()
    upgraded = open_database(path, DB_KEY)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = [r[1] for r in upgraded.execute(f"PRAGMA table_info({staging})").fetchall()]
    assert columns[-1] == "upload_item"
    transactions = [r[1] for r in upgraded.execute("PRAGMA table_info(transactions)").fetchall()]
    assert "upload_item" in transactions
    upgraded.close()
