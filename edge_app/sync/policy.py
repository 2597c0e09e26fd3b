"""What the sync engine does with each answer the gateway can give: pure functions, no I/O.

Two questions, kept apart because they have different answers:

- `answer_verdict`: the gateway decided about ONE record. Only these may make a
  record final (uploaded, or failed after a decline), or hold it for a manager.
- `request_action`: the gateway answered a whole request (an error status, a broken answer, no
  answer). That is never a decision about a record: the records stay queued, and the run either
  tries again, stops for later, stops for a person, or - for a refusal that could be caused by
  the content of one record - isolates it by bisection.

docs/architecture.md draws the state machine these verdicts drive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from edge_app.domain.transactions import TxState
from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    GatewayError,
    OutcomeUnknown,
    PermanentError,
    ProtocolError,
    RateLimited,
    StoreConfigurationError,
    TransientError,
    classify_code,
    describe_code,
)

# Whole-request statuses that can be caused by the content of one record of the batch (a field
# the gateway refuses) or by its size: only these are bisected. Any other refusal - a 404 of the
# endpoint, 405, a 4xx without a body we understand... - is about the request as a whole.
CONTENT_REFUSAL_STATUSES = frozenset({400, 413, 422})


@dataclass(frozen=True)
class Verdict:
    """The state one gateway answer gives a record, and why (a sentence for staff, or None)."""

    state: TxState
    reason: str | None = None
    declined: bool = False
    retry: bool = False  # back to queued after a transient refusal: counts one attempt


_UPLOADED = Verdict(TxState.UPLOADED)  # the common answer, made once (a Verdict is frozen)


def answer_verdict(
    state: str,
    brn: str | None,
    error_code: str | None,
    error_desc: str | None,
    attempts: int,
    max_attempts: int,
) -> Verdict:
    """The record's new state from the gateway's answer about it: its RESULT in an upload
    answer, or the answer to a query about it.

    `attempts` is how many transient refusals the record had before this one.
    """
    if state == "success":
        if brn:
            return _UPLOADED
        # Without its BRN a sale cannot be voided or refunded, and "success" alone is not proof
        # enough to erase its card data: ask the gateway about it first.
        return Verdict(TxState.PENDING, "The gateway said success without a reference (BRN).")
    if state == "pending":
        return Verdict(TxState.PENDING)
    return _refusal(error_code, error_desc, attempts, max_attempts)


def unknown_to_gateway() -> Verdict:
    """A pending record the gateway answers No Record about: send it again, same uuid."""
    return Verdict(
        TxState.QUEUED,
        "The gateway no longer knows this record; it is sent again with the same id.",
    )


def _refusal(
    error_code: str | None, error_desc: str | None, attempts: int, max_attempts: int
) -> Verdict:
    text = describe_code(error_code, error_desc)
    kind = classify_code(error_code)
    if kind == "declined":
        return Verdict(TxState.FAILED, text, declined=True)
    if kind == "transient":
        if attempts + 1 < max_attempts:
            return Verdict(TxState.QUEUED, text, retry=True)
        return Verdict(
            TxState.HELD,
            f"{text} Refused {attempts + 1} times for a passing reason; held for a manager.",
        )
    # Parameters, no record, amount or currency refused, store configuration...: not a decision
    # about the card. Held with its card data, so that Retry works once the cause is fixed.
    return Verdict(TxState.HELD, text)


class Action(Enum):
    RETRY = "retry"  # the same request again after a delay
    STOP_LATER = "stop_later"  # stop the run; the next run tries again (exit 4)
    STOP_PERSON = "stop_person"  # stop the run; a person must fix something first (exit 3)
    ISOLATE = "isolate"  # maybe one record's content: bisect to find it


def request_action(
    error: GatewayError, attempt: int, max_attempts: int, max_retry_after: float
) -> Action:
    """What to do after attempt number `attempt` (0-based) of a request failed with `error`."""
    if isinstance(error, AuthError | AccountDisabled | StoreConfigurationError):
        return Action.STOP_PERSON
    if isinstance(error, RateLimited) and (error.retry_after or 0) > max_retry_after:
        return Action.STOP_LATER  # waiting that long would hold the lock for nothing
    if isinstance(error, TransientError):
        return Action.RETRY if attempt + 1 < max_attempts else Action.STOP_LATER
    if isinstance(error, PermanentError) and error.status in CONTENT_REFUSAL_STATUSES:
        return Action.ISOLATE
    return Action.STOP_PERSON


CHECK_SETTINGS = (
    "Check the gateway address (base URL), the store id and the user name in Settings, "
    "then sync again."
)


def whole_request_refusal(what: str, error: GatewayError) -> str:
    """The needs-a-person sentence for a refusal of whole requests: nothing became final."""
    return (
        f"The gateway refused the {what} as a whole request ({error}); nothing was accepted and "
        f"nothing was marked failed: everything stays queued with its card data. {CHECK_SETTINGS}"
    )


def wait_text(seconds: float) -> str:
    """'45 s', '12 min', '27 h', '3 days': how long a Retry-After asked for, in words."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def reason_code(error: GatewayError) -> str:
    """What kind of trouble an error is, for a one-line sentence on screen: unreachable,
    interrupted, server_error, rate_limited, bad_answer, login, store_config or refused."""
    if isinstance(error, RateLimited):
        return "rate_limited"
    if isinstance(error, ProtocolError):
        return "bad_answer"
    if isinstance(error, OutcomeUnknown):
        return "interrupted"
    if isinstance(error, TransientError):
        return "server_error" if error.status else "unreachable"
    if isinstance(error, AuthError | AccountDisabled):
        return "login"
    if isinstance(error, StoreConfigurationError):
        return "store_config"
    return "refused"
