"""Card rules: Luhn, card number, expiry, CVV, masking, track 2, validate_card."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_app.domain.card import (
    READER_MODES,
    CardData,
    luhn_check_digit,
    luhn_valid,
    mask_card_number,
    normalize_card_number,
    parse_track2,
    validate_card,
    validate_cvv,
    validate_expiry,
)
from edge_app.domain.errors import FormErrors, ValidationError

VISA = "4111111111111111"
AMEX = "378282246310005"
TRACK_PAN = "4761739001010010"
TRACK = f";{TRACK_PAN}=25122011143804400000?"
TODAY = date(2025, 6, 15)
CVV = "737"


def assert_sentence(message: str, *secrets: str) -> None:
    assert message[0].isupper()
    assert message.endswith(".")
    assert "\n" not in message
    for secret in secrets:
        assert secret not in message


# --- Luhn -------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [VISA, AMEX, "5555555555554444", "79927398713", TRACK_PAN])
def test_known_numbers_pass_luhn(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize(
    "text", ["79927398710", "4111111111111112", "", "7", "0", "4111-1111", "４２"]
)
def test_bad_or_non_digit_text_fails_luhn(text: str) -> None:
    assert not luhn_valid(text)


def test_luhn_check_digit_examples() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("411111111111111") == "1"
    with pytest.raises(ValueError, match="digits only"):
        luhn_check_digit("12a")


PAYLOADS = st.text(alphabet="0123456789", min_size=1, max_size=25)


@given(PAYLOADS)
def test_check_digit_makes_the_number_valid(payload: str) -> None:
    digit = luhn_check_digit(payload)
    assert len(digit) == 1
    assert digit.isdigit()
    assert luhn_valid(payload + digit)
    others = [d for d in "0123456789" if d != digit]
    assert not any(luhn_valid(payload + other) for other in others)


@given(PAYLOADS, st.data())
def test_changing_one_digit_breaks_the_check(payload: str, data: st.DataObject) -> None:
    number = payload + luhn_check_digit(payload)
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert not luhn_valid(changed)


# --- card number --------------------------------------------------------------------------------


def test_card_number_spaces_and_dashes_are_removed() -> None:
    assert normalize_card_number(" 4111 1111-1111 1111 ") == VISA


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Card number is required."),
        ("4111", "Card number must be 12 to 19 digits."),
        ("41111111111111111111", "Card number must be 12 to 19 digits."),
        ("4111x11111111111", "Card number must be 12 to 19 digits."),
        (
            "4111111111111112",
            "Card number is not valid (check digit mismatch); check it was typed correctly.",
        ),
    ],
)
def test_card_number_refusals_never_show_the_number(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        normalize_card_number(text, "pan")
    assert info.value.message == message
    assert info.value.field == "pan"
    assert_sentence(info.value.message, text or "never", "4111")


# --- expiry and CVV -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2506", "2507", "3912", " 2712 "])
def test_current_and_future_expiry_is_valid(text: str) -> None:
    assert validate_expiry(text, TODAY) == text.strip()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Expiry is required."),
        ("271", "Expiry must be four digits YYMM, for example 2712."),
        ("27/12", "Expiry must be four digits YYMM, for example 2712."),
        ("12/27", "Expiry must be four digits YYMM, for example 2712."),
        ("2713", "Expiry month must be 01 to 12; write the expiry as YYMM, for example 2712."),
        ("2700", "Expiry month must be 01 to 12; write the expiry as YYMM, for example 2712."),
        ("2403", "Card expired in 03/24."),
        ("2505", "Card expired in 05/25."),
    ],
)
def test_expiry_refusals(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_expiry(text, TODAY)
    assert info.value.message == message
    assert info.value.field == "expiry"


@pytest.mark.parametrize("text", ["123", "1234", " 737 "])
def test_cvv_of_three_or_four_digits(text: str) -> None:
    assert validate_cvv(text) == text.strip()


@pytest.mark.parametrize("text", ["12", "12345", "12a", "", "１２３"])
def test_cvv_refusals_do_not_echo_it(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_cvv(text)
    assert info.value.field == "cvv"
    assert_sentence(info.value.message, *([text] if text else []))


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pan", "masked"),
    [
        ("4514617716374854", "451461******4854"),
        (AMEX, "378282*****0005"),
        ("123456789012", "123456**9012"),
        ("4514617716374854123", "451461*********4123"),
        ("4111 1111 1111 1111", "411111******1111"),
        ("12345", "*****"),
    ],
)
def test_mask_card_number(pan: str, masked: str) -> None:
    assert mask_card_number(pan) == masked


# --- track 2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        TRACK,
        TRACK[1:-1],
        f" {TRACK} ",
        f";{TRACK_PAN}D25122011143804400000?",
        f";{TRACK_PAN}=25122011143804400000?7",  # an LRC character after the end sentinel
    ],
)
def test_parse_track2_with_or_without_sentinels(text: str) -> None:
    track = parse_track2(text)
    assert track.card_number == TRACK_PAN
    assert track.expiry == "2512"
    assert not track.raw.startswith(";")
    assert "?" not in track.raw
    assert TRACK_PAN not in repr(track)


def test_parse_track2_without_service_code() -> None:
    track = parse_track2(f"{VISA}=2912")
    assert (track.card_number, track.expiry, track.raw) == (VISA, "2912", f"{VISA}=2912")


def test_parse_track2_does_not_judge_expiry_against_today() -> None:
    assert parse_track2(f";{VISA}=0101101?").expiry == "0101"


@pytest.mark.parametrize(
    "text",
    [
        "",
        ";?",
        "%B4111111111111111^DOE/JOHN^2912101?",  # track 1, not track 2
        f";{VISA}2912101?",  # no separator
        f";{VISA}=291?",  # expiry too short
        ";41111111=2912101?",  # number too short
        f";{VISA}=2912101ABC?",
        f";{VISA}=29121011111111111111111111?",  # longer than 37 characters
    ],
)
def test_malformed_track2_is_refused_without_echo(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_track2(text)
    assert info.value.field == "track2"
    assert_sentence(info.value.message, VISA, "2912")


def test_track2_with_bad_check_digit_or_month_is_refused() -> None:
    with pytest.raises(ValidationError, match="card number in the card reader data") as info:
        parse_track2(";4111111111111112=2912101?")
    assert_sentence(info.value.message, "4111111111111112")
    with pytest.raises(ValidationError, match="expiry in the card reader data"):
        parse_track2(f";{VISA}=2913101?")


@st.composite
def tracks(draw: st.DrawFn) -> tuple[str, str, str]:
    payload = draw(st.text(alphabet="0123456789", min_size=11, max_size=18))
    pan = payload + luhn_check_digit(payload)
    expiry = f"{draw(st.integers(0, 99)):02d}{draw(st.integers(1, 12)):02d}"
    service = draw(st.sampled_from(["", "101", "201", "120"]))
    room = 37 - len(pan) - 5 - len(service)
    extra = draw(st.text(alphabet="0123456789", max_size=room)) if service else ""
    separator = draw(st.sampled_from(["=", "D"]))
    raw = f"{pan}{separator}{expiry}{service}{extra}"
    if draw(st.booleans()):
        return f";{raw}?", pan, expiry
    return raw, pan, expiry


@given(tracks())
def test_generated_tracks_parse_back(case: tuple[str, str, str]) -> None:
    text, pan, expiry = case
    track = parse_track2(text)
    assert (track.card_number, track.expiry) == (pan, expiry)
    assert track.raw == text.removeprefix(";").removesuffix("?")


@given(tracks(), st.data())
def test_tracks_with_a_changed_pan_digit_are_refused(
    case: tuple[str, str, str], data: st.DataObject
) -> None:
    text, pan, _ = case
    start = 1 if text.startswith(";") else 0
    position = data.draw(st.integers(min_value=0, max_value=len(pan) - 1))
    old = pan[position]
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != old]))
    index = start + position
    broken = text[:index] + new + text[index + 1 :]
    with pytest.raises(ValidationError) as info:
        parse_track2(broken)
    assert pan[:-1] not in info.value.message


# --- validate_card ------------------------------------------------------------------------------


def card(**overrides: str | None) -> CardData:
    fields: dict[str, str | None] = {
        "reader_mode": "manual",
        "card_number": VISA,
        "expiry": "2912",
        "cvv": CVV,
        "track2": None,
        "card_sn": None,
        "icc_request": None,
    }
    fields.update(overrides)
    return validate_card(today=TODAY, **fields)  # type: ignore[arg-type]


def card_errors(**overrides: str | None) -> dict[str, str]:
    with pytest.raises(FormErrors) as info:
        card(**overrides)
    for message in info.value.errors.values():
        assert_sentence(message, VISA, TRACK_PAN, CVV, "25122011143804400000")
    return info.value.errors


def test_reader_modes() -> None:
    assert READER_MODES == ("manual", "swipe", "contact", "contactless")


def test_manual_card_needs_number_and_expiry_only() -> None:
    result = card(cvv=None)
    assert result == CardData("manual", VISA, "2912", None, None, None, None, None)
    assert card(card_number="4111 1111 1111 1111", cvv=" 737 ").cvv == CVV
    assert card(holder_name=" Jane Doe ").holder_name == "Jane Doe"


def test_manual_card_with_nothing_reports_every_missing_field() -> None:
    errors = card_errors(card_number="", expiry=" ", cvv="")
    assert errors == {"card_number": "Card number is required.", "expiry": "Expiry is required."}


def test_every_bad_field_is_reported_together() -> None:
    errors = card_errors(
        reader_mode="magic", card_number="4111111111111112", expiry="2001", cvv="1",
        card_sn="1234", icc_request="ABC", holder_name="x" * 65,
    )  # fmt: skip
    assert set(errors) == {
        "reader_mode", "card_number", "expiry", "cvv", "card_sn", "icc", "holder_name",
    }  # fmt: skip
    assert errors["reader_mode"] == (
        "Reader mode must be one of manual, swipe, contact or contactless."
    )


def test_swipe_takes_number_and_expiry_from_track2() -> None:
    result = card(reader_mode="swipe", card_number=None, expiry=None, cvv=None, track2=TRACK)
    assert result.card_number == TRACK_PAN
    assert result.expiry == "2512"
    assert result.track2 == TRACK[1:-1]
    assert result.reader_mode == "swipe"


def test_swipe_without_track2_is_refused_on_the_track2_field() -> None:
    errors = card_errors(reader_mode="swipe", card_number=None, expiry=None, track2="")
    assert list(errors) == ["track2"]


def test_typed_number_must_match_the_track() -> None:
    errors = card_errors(reader_mode="swipe", track2=TRACK, expiry="2512")
    assert errors == {"card_number": "Card number does not match the card reader data."}
    errors = card_errors(reader_mode="swipe", card_number=TRACK_PAN, track2=TRACK, expiry="2612")
    assert errors == {"expiry": "Expiry does not match the card reader data."}
    same = card(reader_mode="swipe", card_number=TRACK_PAN, expiry="2512", track2=TRACK)
    assert same.card_number == TRACK_PAN


def test_expired_card_on_the_track_is_refused_on_expiry() -> None:
    errors = card_errors(
        reader_mode="swipe", card_number=None, expiry=None, track2=f";{VISA}=2401101?"
    )
    assert errors == {"expiry": "Card expired in 01/24."}


def test_bad_track2_is_reported_and_nothing_else_is_guessed() -> None:
    errors = card_errors(reader_mode="swipe", card_number=None, expiry=None, track2=";123?")
    assert list(errors) == ["track2"]


@pytest.mark.parametrize("mode", ["contact", "contactless"])
def test_chip_modes_need_card_sn_and_icc(mode: str) -> None:
    errors = card_errors(reader_mode=mode, card_number=None, expiry=None, track2=TRACK)
    assert set(errors) == {"card_sn", "icc"}
    result = card(
        reader_mode=mode.upper(), card_number=None, expiry=None, track2=TRACK,
        card_sn="001", icc_request="9F2608AABBCCDDEEFF0011",
    )  # fmt: skip
    assert result.reader_mode == mode
    assert (result.card_sn, result.icc_request) == ("001", "9F2608AABBCCDDEEFF0011")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"card_sn": "1234"}, "card_sn"),
        ({"card_sn": "a1"}, "card_sn"),
        ({"icc_request": "ABC"}, "icc"),
        ({"icc_request": "GG"}, "icc"),
        ({"icc_request": "AB" * 2049}, "icc"),
    ],
)
def test_bad_chip_fields(overrides: dict[str, str], field: str) -> None:
    fields: dict[str, str | None] = {
        "reader_mode": "contact", "card_number": None, "expiry": None, "track2": TRACK,
        "card_sn": "1", "icc_request": "AB" * 2048,
    }  # fmt: skip
    assert card(**fields).icc_request == "AB" * 2048
    fields.update(overrides)
    assert list(card_errors(**fields)) == [field]


@pytest.mark.parametrize(("length", "ok"), [(11, False), (12, True), (19, True), (20, False)])
def test_card_numbers_have_12_to_19_digits(length: int, ok: bool) -> None:
    payload = "4" + "0" * (length - 2)
    number = payload + luhn_check_digit(payload)
    if ok:
        assert normalize_card_number(number) == number
    else:
        with pytest.raises(ValidationError, match=r"12 to 19 digits|not valid"):
            normalize_card_number(number)


def test_stored_card_data_with_an_empty_required_field_is_damaged() -> None:
    import json

    for name in ("reader_mode", "card_number", "expiry"):
        data = {"reader_mode": "manual", "card_number": VISA, "expiry": "2912", name: ""}
        with pytest.raises(ValidationError, match=f"{name} is missing"):
            CardData.from_json(json.dumps(data))
