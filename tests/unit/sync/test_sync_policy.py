"""The sync policy as pure rules: which answers make a record final, what a run does next."""

from __future__ import annotations

import pytest

from edge_app.domain.transactions import TxState
from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    InvalidCardNumbers,
    OutcomeUnknown,
    PermanentError,
    ProtocolError,
    RateLimited,
    StoreConfigurationError,
    TransientError,
)
from edge_app.sync.policy import Action, answer_verdict, request_action, wait_text


@pytest.mark.parametrize(
    ("state", "brn", "code", "attempts", "expected", "declined"),
    [
        ("success", "B1", None, 0, TxState.UPLOADED, False),
        ("success", None, None, 0, TxState.PENDING, False),  # no BRN: ask first
        ("success", "", None, 0, TxState.PENDING, False),
        ("pending", "B1", None, 0, TxState.PENDING, False),
        ("failed", None, "110003", 0, TxState.FAILED, True),
        ("failed", None, "110004", 0, TxState.FAILED, True),
        ("failed", None, "110001", 0, TxState.FAILED, True),
        ("failed", None, "100011", 0, TxState.FAILED, True),
        ("failed", None, "100001", 0, TxState.HELD, False),  # parameters: not about the card
        ("failed", None, "100013", 0, TxState.HELD, False),
        ("failed", None, "100015", 0, TxState.HELD, False),
        ("failed", None, "100016", 0, TxState.HELD, False),
        ("failed", None, "100005", 0, TxState.HELD, False),
        ("failed", None, "100003", 0, TxState.HELD, False),
        ("failed", None, "100024", 0, TxState.QUEUED, False),  # transient: again later
        ("failed", None, "199997", 6, TxState.QUEUED, False),  # unknown codes count as transient
        ("failed", None, "100024", 7, TxState.HELD, False),  # ... up to the cap
        ("failed", None, None, 0, TxState.QUEUED, False),
    ],
)
def test_answer_verdicts(
    state: str, brn: str | None, code: str | None, attempts: int, expected: TxState, declined: bool
) -> None:
    verdict = answer_verdict(state, brn, code, "desc", attempts, max_attempts=8)
    assert verdict.state is expected
    assert verdict.declined is declined
    assert verdict.retry is (expected is TxState.QUEUED)
    if expected in (TxState.FAILED, TxState.HELD):
        assert verdict.reason


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        (AuthError("x", status=401), 0, Action.STOP_PERSON),
        (AccountDisabled("x", error_code="100003"), 0, Action.STOP_PERSON),
        (StoreConfigurationError("x", error_code="100005"), 0, Action.STOP_PERSON),
        (TransientError("x", status=503), 0, Action.RETRY),
        (TransientError("x", status=503), 4, Action.STOP_LATER),
        (OutcomeUnknown("x"), 0, Action.RETRY),
        (ProtocolError("x", status=200), 0, Action.RETRY),
        (RateLimited("x", retry_after=30), 0, Action.RETRY),
        (RateLimited("x", retry_after=61), 0, Action.STOP_LATER),
        (RateLimited("x", retry_after=None), 0, Action.RETRY),
        (PermanentError("x", status=400), 0, Action.ISOLATE),
        (PermanentError("x", status=413), 0, Action.ISOLATE),
        (PermanentError("x", status=422), 0, Action.ISOLATE),
        (InvalidCardNumbers(["4111111111111111"]), 0, Action.ISOLATE),
        (PermanentError("x", status=404), 0, Action.STOP_PERSON),  # the endpoint is not there
        (PermanentError("x", status=405), 0, Action.STOP_PERSON),
        (PermanentError("x", status=409), 0, Action.STOP_PERSON),
        (PermanentError("x", status=None), 0, Action.STOP_PERSON),
    ],
)
def test_request_actions(error: Exception, attempt: int, expected: Action) -> None:
    assert request_action(error, attempt, max_attempts=5, max_retry_after=60) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (600, "10 min"), (3 * 3600, "3 h"), (99999999, "1157 days")],
)
def test_wait_text(seconds: float, text: str) -> None:
    assert wait_text(seconds) == text


def test_verdict_reasons_say_what_the_gateway_said() -> None:
    declined = answer_verdict("failed", None, "110003", None, 0, max_attempts=8)
    assert declined.reason == "Declined by the card issuer."
    held = answer_verdict("failed", None, "100024", None, 7, max_attempts=8)
    assert held.reason is not None and "Refused 8 times" in held.reason
    assert answer_verdict("failed", None, "100024", None, 0, 8).reason == (
        "The order is being closed at the gateway; try again later."
    )
