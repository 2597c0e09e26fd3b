"""The error table of the contract and the safety of error messages."""

from __future__ import annotations

import pytest

from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    GatewayError,
    InvalidCardNumbers,
    OutcomeUnknown,
    PermanentError,
    ProtocolError,
    RateLimited,
    StoreConfigurationError,
    TransientError,
    classify_code,
    describe_code,
    scrub_text,
)

VISA = "4111111111111111"

CONTRACT_TABLE = [
    ("100001", "permanent"),
    ("100003", "account_disabled"),
    ("100005", "store_config"),
    ("100007", "transient"),
    ("100011", "declined"),
    ("100013", "permanent"),
    ("100015", "permanent"),
    ("100016", "permanent"),
    ("100024", "transient"),
    ("110001", "declined"),
    ("110003", "declined"),
    ("110004", "declined"),
    ("110007", "transient"),
    ("110010", "transient"),
    ("199997", "transient"),
    ("42", "transient"),
    (None, "transient"),
]


@pytest.mark.parametrize(("code", "expected"), CONTRACT_TABLE)
def test_classify_code_follows_the_contract_table(code: str | None, expected: str) -> None:
    assert classify_code(code) == expected


@pytest.mark.parametrize(("code", "_"), CONTRACT_TABLE)
def test_every_description_is_one_plain_sentence(code: str | None, _: str) -> None:
    text = describe_code(code, None)
    assert text.endswith(".")
    assert text[0].isupper()
    assert "\n" not in text


def test_describe_code_in_plain_words() -> None:
    assert describe_code("110004", None) == "Declined by the card issuer: insufficient funds."
    assert describe_code("110004", "Insufficient Funds") == (
        "Declined by the card issuer: insufficient funds."
    )
    assert describe_code("100001", "uuid reused with different content") == (
        "The gateway refused the request as malformed. "
        "The gateway says: uuid reused with different content."
    )
    assert describe_code("199997", "Internal Error") == (
        "The gateway reported error 199997: Internal Error."
    )
    assert describe_code(None, None) == "The gateway reported an error without details."


def test_gateway_text_with_a_card_number_is_masked() -> None:
    text = describe_code("110003", f"card {VISA} rejected")
    assert VISA not in text
    assert "411111******1111" in text
    assert "4111 1111 1111 1111" not in scrub_text("card 4111 1111 1111 1111 bad")
    assert scrub_text("a\r\nb") == "a b"
    assert len(scrub_text("x" * 1000)) <= 200


def test_invalid_card_numbers_message_counts_but_never_names_them() -> None:
    error = InvalidCardNumbers([VISA, "5555555555554444"])
    assert error.card_numbers == [VISA, "5555555555554444"]
    assert "2 card numbers" in str(error)
    for text in (str(error), repr(error), str(error.args)):
        assert VISA not in text
        assert "5555555555554444" not in text
    assert not error.should_retry
    assert isinstance(error, PermanentError)


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (TransientError("x"), True),
        (OutcomeUnknown("x"), True),
        (RateLimited("x", retry_after=3.0), True),
        (ProtocolError("x"), True),
        (PermanentError("x"), False),
        (StoreConfigurationError("x"), False),
        (AccountDisabled("x"), False),
        (AuthError("x"), False),
    ],
)
def test_should_retry_flags(error: GatewayError, retry: bool) -> None:
    assert error.should_retry is retry
    assert isinstance(error, GatewayError)


def test_attributes_are_kept() -> None:
    error = RateLimited("Slow down.", error_code="x1", status=429, retry_after=2.5)
    assert (error.error_code, error.status, error.retry_after) == ("x1", 429, 2.5)
    assert str(error) == "Slow down."
