"""Transaction states, card data safety, sale validation, void and refund rules."""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_app.domain.errors import FormErrors, ValidationError
from edge_app.domain.transactions import (
    CARD_KEPT_STATES,
    FINAL_STATES,
    TRANSITIONS,
    UNSENT_STATES,
    CardData,
    InvalidTransition,
    Sale,
    SaleStatus,
    TxKind,
    TxState,
    UploadItem,
    check_refund,
    check_transition,
    check_void,
    new_uuid,
    validate_auth_code,
    validate_sale,
    validate_uuid,
)

VISA = "4111111111111111"
CVV = "737"
TRACK_RAW = f"{VISA}=29121010000000000000"
ICC = "9F2608AABBCCDDEEFF0011"
TODAY = date(2026, 11, 26)

# --- states -------------------------------------------------------------------------------------


def test_state_sets() -> None:
    assert {TxState.UPLOADED, TxState.FAILED, TxState.CANCELLED} == FINAL_STATES
    assert {TxState.QUEUED, TxState.UPLOADING, TxState.PENDING} == UNSENT_STATES
    assert UNSENT_STATES | {TxState.HELD} == CARD_KEPT_STATES
    assert set(TxState) == FINAL_STATES | CARD_KEPT_STATES
    assert set(TRANSITIONS) == set(TxState)
    assert [k.value for k in TxKind] == ["sale", "void", "refund"]


# Every arrow of the state machine drawn in docs/architecture.md, and nothing else.
ARROWS = {
    ("queued", "uploading"),  # claimed by a sync
    ("queued", "cancelled"),  # voided before it was ever sent
    ("queued", "failed"),  # a void or refund whose sale was declined or cancelled
    ("uploading", "uploaded"),  # success with a BRN
    ("uploading", "failed"),  # declined
    ("uploading", "pending"),  # pending, or success without a BRN
    ("uploading", "held"),  # refused for a reason that is not about the card
    ("uploading", "queued"),  # no decision about it: transient, unknown, whole request refused
    ("pending", "uploaded"),
    ("pending", "failed"),
    ("pending", "pending"),
    ("pending", "held"),
    ("pending", "queued"),  # the gateway no longer knows it: sent again, same uuid
    ("held", "queued"),  # a manager's Retry
    ("held", "failed"),  # given up, or held longer than card data may be kept
    ("failed", "queued"),  # a manager's Retry
}
ALL_PAIRS = [(old.value, new.value) for old in TxState for new in TxState]


@pytest.mark.parametrize(("old", "new"), sorted(ARROWS))
def test_allowed_transitions(old: str, new: str) -> None:
    check_transition(TxState(old), TxState(new))


@pytest.mark.parametrize(("old", "new"), sorted(set(ALL_PAIRS) - ARROWS))
def test_refused_transitions(old: str, new: str) -> None:
    with pytest.raises(InvalidTransition, match=f"A {old} transaction cannot become {new}."):
        check_transition(TxState(old), TxState(new))


def test_final_states_have_no_exit_except_a_retry_of_failed() -> None:
    for state in FINAL_STATES:
        exits = TRANSITIONS[state]
        assert exits == ({TxState.QUEUED} if state is TxState.FAILED else set())


@given(st.lists(st.sampled_from(list(TxState)), max_size=40))
def test_random_walks_only_follow_the_table(steps: list[TxState]) -> None:
    state = TxState.QUEUED
    for target in steps:
        if target in TRANSITIONS[state]:
            check_transition(state, target)
            state = target
        else:
            with pytest.raises(InvalidTransition):
                check_transition(state, target)
    if state in FINAL_STATES - {TxState.FAILED}:
        assert all(target not in TRANSITIONS[state] for target in TxState)


@given(st.data())
def test_every_walk_from_queued_can_end_in_a_final_state(data: st.DataObject) -> None:
    state = TxState.QUEUED
    for _ in range(30):
        exits = sorted(TRANSITIONS[state])
        if not exits:
            break
        target = data.draw(st.sampled_from(exits))
        check_transition(state, target)
        state = target
    assert state in set(TxState)
    if not TRANSITIONS[state]:
        assert state in FINAL_STATES


# --- card data ----------------------------------------------------------------------------------


def full_card() -> CardData:
    return CardData(
        reader_mode="contact",
        card_number=VISA,
        expiry="2912",
        cvv=CVV,
        track2=TRACK_RAW,
        card_sn="001",
        icc_request=ICC,
        holder_name="JANE DOE",
    )


def test_card_repr_shows_only_the_masked_number() -> None:
    card = full_card()
    assert card.masked == "411111******1111"
    for text in (repr(card), str(card), f"{card}", repr([card])):
        assert "411111******1111" in text
        for secret in (VISA, CVV, TRACK_RAW, ICC, "29121010000000000000"):
            assert secret not in text


def test_sale_and_upload_item_reprs_do_not_leak_card_data() -> None:
    card = full_card()
    # A fixed uuid: a random one holds "737" (the CVV) now and then.
    sale = Sale("0b7f3b0a-9c11-4c1e-9a55-6f1c2b1e2f4a", Decimal("12.50"), "HKD", None, card, None)
    item = UploadItem(
        uuid=sale.uuid, kind=TxKind.SALE, captured_at=datetime(2026, 1, 1, tzinfo=UTC),
        amount=sale.amount, currency="HKD", tips=None, card=card, auth_code=None, origin_brn=None,
    )  # fmt: skip
    for text in (repr(sale), repr(item)):
        assert "411111******1111" in text
        for secret in (VISA, CVV, TRACK_RAW, ICC):
            assert secret not in text


def test_card_json_round_trip() -> None:
    card = full_card()
    assert CardData.from_json(card.to_json()) == card
    assert CardData.from_json(card.to_json().encode()) == card
    bare = CardData("manual", VISA, "2912", None, None, None, None, None)
    assert CardData.from_json(bare.to_json()) == bare


@pytest.mark.parametrize(
    "blob",
    [
        "not json " + VISA,
        "[1, 2]",
        '{"reader_mode": "manual", "expiry": "2912"}',
        '{"reader_mode": "manual", "card_number": "' + VISA + '", "expiry": "2912", "cvv": 737}',
    ],
)
def test_damaged_card_json_is_refused_without_quoting_it(blob: str) -> None:
    with pytest.raises(ValidationError) as info:
        CardData.from_json(blob)
    assert info.value.message.startswith("Stored card data is damaged")
    assert VISA not in info.value.message
    assert "737" not in info.value.message


# --- uuid and auth code -------------------------------------------------------------------------


def test_new_uuid_is_a_canonical_version_4_uuid() -> None:
    value = new_uuid()
    assert validate_uuid(value) == value
    assert uuid_module.UUID(value).version == 4
    assert new_uuid() != value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
        (" 00000000-0000-0000-0000-000000000000 ", "00000000-0000-0000-0000-000000000000"),
        ("8880f09e-ede5-11f1-84b7-02fc00000001", None),  # a version 1 (time-based) uuid
    ],
)
def test_validate_uuid_accepts_any_version(text: str, expected: str | None) -> None:
    assert validate_uuid(text) == (expected or text.strip().lower())


@pytest.mark.parametrize(
    "text",
    ["", "not-a-uuid", "123e4567e89b12d3a456426614174000", "{123e4567-e89b-12d3-a456-426614174000}",
     "123e4567-e89b-12d3-a456-42661417400g"],
)  # fmt: skip
def test_validate_uuid_refusals(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_uuid(text, "original")
    assert info.value.field == "original"
    assert info.value.message.endswith(".")


def test_validate_auth_code() -> None:
    assert validate_auth_code(" ab12cd ") == "AB12CD"
    for bad in ("", "ab-12", "A" * 13, "äb"):
        with pytest.raises(ValidationError, match="1 to 12 letters or digits") as info:
            validate_auth_code(bad)
        assert info.value.field == "auth_code"


# --- validate_sale ------------------------------------------------------------------------------


def sale(**overrides: str | None) -> Sale:
    fields: dict[str, str | None] = {
        "amount": "12.5",
        "currency": "hkd",
        "card_number": VISA,
        "expiry": "2912",
        "cvv": CVV,
    }
    fields.update(overrides)
    return validate_sale(today=TODAY, **fields)  # type: ignore[arg-type]


def sale_errors(**overrides: str | None) -> dict[str, str]:
    with pytest.raises(FormErrors) as info:
        sale(**overrides)
    for message in info.value.errors.values():
        assert message[0].isupper()
        assert message.endswith(".")
        for secret in (VISA, CVV, TRACK_RAW):
            assert secret not in message
    return info.value.errors


def test_valid_manual_sale() -> None:
    result = sale(tips="0", auth_code="ab12")
    assert result.amount == Decimal("12.50")
    assert str(result.amount) == "12.50"
    assert result.currency == "HKD"
    assert result.tips == Decimal("0.00")
    assert result.auth_code == "AB12"
    assert result.card.card_number == VISA
    assert result.card.reader_mode == "manual"
    assert validate_uuid(result.uuid) == result.uuid


def test_blank_optionals_count_as_missing_and_a_given_uuid_is_kept() -> None:
    given_uuid = "123E4567-E89B-12D3-A456-426614174000"
    result = sale(tips=" ", auth_code="", cvv="", uuid=given_uuid)
    assert result.tips is None
    assert result.auth_code is None
    assert result.card.cvv is None
    assert result.uuid == given_uuid.lower()
    assert sale(uuid=None).uuid != sale(uuid=None).uuid


def test_chip_sale_uses_the_icc_keyword() -> None:
    result = sale(
        reader_mode="contact", card_number=None, expiry=None, track2=f";{TRACK_RAW}?",
        card_sn="1", icc=ICC,
    )  # fmt: skip
    assert result.card.icc_request == ICC
    assert result.card.track2 == TRACK_RAW


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "Amount must be a number such as 12.50."),
        ({"amount": "0"}, "amount", "Amount must be greater than zero."),
        ({"amount": "1.234"}, "amount", "HKD amounts have at most 2 decimal places."),
        ({"amount": "-5"}, "amount", "Amount must not have a sign; type it as 12.50."),
        ({"tips": "x"}, "tips", "Tips must be a number such as 12.50."),
        ({"tips": "1.001"}, "tips", "HKD amounts have at most 2 decimal places."),
        ({"currency": "XYZ"}, "currency",
         "Unknown currency 'XYZ'; use a three-letter ISO 4217 code such as HKD."),
        ({"card_number": "4111111111111112"}, "card_number",
         "Card number is not valid (check digit mismatch); check it was typed correctly."),
        ({"expiry": "2510"}, "expiry", "Card expired in 10/25."),
        ({"cvv": "12"}, "cvv", "CVV must be 3 or 4 digits."),
        ({"auth_code": "!!"}, "auth_code", "Authorization code must be 1 to 12 letters or digits."),
        ({"uuid": "not-a-uuid"}, "uuid",
         "UUID must be 32 hex digits in the form 123e4567-e89b-12d3-a456-426614174000."),
        ({"reader_mode": "swipe", "card_number": None, "expiry": None}, "track2",
         "Card reader data (track 2) is required for swipe; read the card."),
    ],
)  # fmt: skip
def test_each_bad_field_is_refused(overrides: dict[str, str], field: str, message: str) -> None:
    assert sale_errors(**overrides) == {field: message}


def test_every_problem_is_reported_in_field_order() -> None:
    errors = sale_errors(
        amount="1e3", currency="XYZ", tips="-1", card_number="4111", expiry="2513", cvv="1",
        auth_code="?", uuid="x",
    )  # fmt: skip
    assert list(errors) == [
        "amount", "currency", "tips", "card_number", "expiry", "cvv", "auth_code", "uuid",
    ]  # fmt: skip


def test_bad_currency_still_checks_the_number_shape() -> None:
    assert sale_errors(currency="XYZ", amount="12.50") == {
        "currency": "Unknown currency 'XYZ'; use a three-letter ISO 4217 code such as HKD."
    }
    assert "amount" in sale_errors(currency="XYZ", amount="abc")


def test_decimal_places_follow_the_currency() -> None:
    assert sale(amount="1200", currency="JPY").amount == Decimal(1200)
    assert sale_errors(amount="1200.5", currency="JPY") == {
        "amount": "JPY amounts have no decimal places."
    }
    assert str(sale(amount="1.234", currency="KWD").amount) == "1.234"


# --- void and refund ----------------------------------------------------------------------------


def status(**overrides: object) -> SaleStatus:
    fields: dict[str, object] = {
        "amount": Decimal("100.00"),
        "currency": "HKD",
        "state": TxState.UPLOADED,
        "voided": False,
        "refunded_total": Decimal(0),
    }
    fields.update(overrides)
    return SaleStatus(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("state", [TxState.QUEUED, TxState.UPLOADING, TxState.PENDING,
                                   TxState.UPLOADED])  # fmt: skip
def test_a_live_sale_can_be_voided(state: TxState) -> None:
    check_void(status(state=state))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"state": TxState.FAILED},
         "This sale was declined or cancelled, so there is nothing to void."),
        ({"state": TxState.CANCELLED},
         "This sale was declined or cancelled, so there is nothing to void."),
        ({"voided": True}, "This sale is already voided."),
        ({"refunded_total": Decimal("0.01")},
         "This sale already has a refund, so it cannot be voided; refund the rest instead."),
    ],
)  # fmt: skip
def test_void_refusals(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_void(status(**overrides))
    assert (info.value.message, info.value.field) == (message, "original")


def test_partial_and_full_refunds_are_allowed() -> None:
    check_refund(status(), Decimal("100.00"))
    check_refund(status(refunded_total=Decimal("99.00")), Decimal("1.00"))  # the last unit
    check_refund(status(refunded_total=Decimal("70.00")), Decimal("30.00"))
    check_refund(status(state=TxState.QUEUED), Decimal("1.00"))


@pytest.mark.parametrize(
    ("overrides", "amount", "message", "field"),
    [
        ({"state": TxState.FAILED}, "1",
         "This sale was declined or cancelled, so there is nothing to refund.", "original"),
        ({"state": TxState.CANCELLED}, "1",
         "This sale was declined or cancelled, so there is nothing to refund.", "original"),
        ({"voided": True}, "1", "This sale is voided, so there is nothing to refund.", "original"),
        ({}, "0", "Refund amount must be greater than zero.", "amount"),
        ({"refunded_total": Decimal("100.00")}, "1", "This sale is already fully refunded.",
         "original"),
        ({"refunded_total": Decimal("70.00")}, "30.01",
         "Refund exceeds what is left to refund on this sale (HKD 30.00).", "amount"),
        ({}, "100.01", "Refund exceeds what is left to refund on this sale (HKD 100.00).",
         "amount"),
        ({"amount": Decimal(5000), "currency": "JPY", "refunded_total": Decimal(1000)}, "4001",
         "Refund exceeds what is left to refund on this sale (JPY 4000).", "amount"),
    ],
)  # fmt: skip
def test_refund_refusals(
    overrides: dict[str, object], amount: str, message: str, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        check_refund(status(**overrides), Decimal(amount))
    assert (info.value.message, info.value.field) == (message, field)


def test_the_holder_name_reaches_the_card() -> None:
    sale = validate_sale(
        amount="12.50", currency="HKD", card_number=VISA, expiry="2912", holder_name="ALICE LEE",
        today=TODAY,
    )  # fmt: skip
    assert sale.card.holder_name == "ALICE LEE"
