"""Typed gateway errors and the error-code table of the contract.

Every message is one plain sentence for staff. No message carries a card number, token or
password: text that comes from the gateway goes through `scrub_text` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

CodeClass = Literal["transient", "permanent", "declined", "store_config", "account_disabled"]


class GatewayError(Exception):
    """Base of every gateway failure; `should_retry` tells the sync engine what to do."""

    should_retry: bool = False

    def __init__(
        self, message: str, *, error_code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, error_code={self.error_code!r}, "
            f"status={self.status!r})"
        )


class TransientError(GatewayError):
    """Nothing final happened; the same request may be sent again later."""

    should_retry = True

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, error_code=error_code, status=status)
        self.retry_after = retry_after


class OutcomeUnknown(TransientError):
    """The request may have been applied (timeout or reset after sending): resend the same uuids."""


class RateLimited(TransientError):
    """HTTP 429; `retry_after` holds the server's wish in seconds when it gave one."""


class ProtocolError(TransientError):
    """The answer was not what the contract promises (HTML, broken JSON, too large, mismatch)."""


class PermanentError(GatewayError):
    """The gateway refused the request; sending it again unchanged gives the same answer."""


class InvalidCardNumbers(PermanentError):
    """Some card numbers of a card_block chunk are malformed; nothing in the chunk was applied."""

    def __init__(
        self,
        card_numbers: list[str],
        *,
        error_code: str | None = "100001",
        status: int | None = 400,
    ) -> None:
        count = len(card_numbers)
        noun = "card number" if count == 1 else "card numbers"
        super().__init__(
            f"The gateway refused {count} {noun} as not valid; nothing in that request "
            "was applied.",
            error_code=error_code,
            status=status,
        )
        self.card_numbers = list(card_numbers)


class StoreConfigurationError(GatewayError):
    """The store lacks a setting on the gateway (e.g. no block list or allow list)."""


class AccountDisabled(GatewayError):
    """The merchant account is disabled: stop syncing and tell a person."""


class AuthError(GatewayError):
    """The login was refused, or the token was refused again right after a new login."""


_CODE_CLASSES: dict[str, CodeClass] = {
    "100001": "permanent",
    "100003": "account_disabled",
    "100005": "store_config",
    "100007": "transient",
    "100011": "declined",
    "100013": "permanent",
    "100015": "permanent",
    "100016": "permanent",
    "100024": "transient",
    "110001": "declined",
    "110003": "declined",
    "110004": "declined",
    "110007": "transient",
    "110010": "transient",
}

# (the gateway's own name for the code, the sentence staff read)
_CODE_TEXT: dict[str, tuple[str, str]] = {
    "100001": ("Parameters Error", "The gateway refused the request as malformed."),
    "100003": (
        "Merchant Account Is Disable",
        "The merchant account is disabled at the gateway; contact the payment provider.",
    ),
    "100005": (
        "Processing Rule Required",
        "The store has no block list or allow list set up at the gateway.",
    ),
    "100007": ("Terminal TID is Busy", "The terminal is busy at the gateway; try again later."),
    "100011": ("Risk Flagged", "Declined by the gateway's risk checks."),
    "100013": ("No Record", "The gateway has no record of this transaction."),
    "100015": ("Transaction Amount Exceeded", "The amount is more than the gateway allows."),
    "100016": (
        "The Currency Is Not Matched",
        "The currency does not match the store or the original sale.",
    ),
    "100024": ("Order Closing", "The order is being closed at the gateway; try again later."),
    "110001": (
        "Fraud Card Detected and Rejected",
        "Declined by the card issuer: the card was flagged as fraud.",
    ),
    "110003": ("Rejected By Issuer", "Declined by the card issuer."),
    "110004": ("Insufficient Funds", "Declined by the card issuer: insufficient funds."),
    "110007": ("Bank Key Not Active", "The bank key is not active yet; try again later."),
    "110010": ("Time-Out Payment Failed", "The payment timed out at the bank; try again later."),
}

_MAX_DESC = 200
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){11,18}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def is_known_transient(code: str | None) -> bool:
    """A code the contract's table names transient (a whole request refused with it may pass
    later); unknown codes are not, for a whole-request refusal."""
    return code is not None and _CODE_CLASSES.get(code.strip()) == "transient"


def classify_code(code: str | None) -> CodeClass:
    """How the uploader treats a gateway error code; unknown codes are transient (capped)."""
    if code is None:
        return "transient"
    return _CODE_CLASSES.get(code.strip(), "transient")


def is_decline(code: str | None) -> bool:
    """The gateway declined the payment itself (money the store did not collect)."""
    return code is not None and _CODE_CLASSES.get(code.strip()) == "declined"


def _mask_digits(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def scrub_text(text: str, limit: int = _MAX_DESC) -> str:
    """Gateway text made safe for messages and logs: card-like digit runs masked."""
    cleaned = _CONTROL.sub(" ", text).strip()
    cleaned = _DIGIT_RUN.sub(_mask_digits, cleaned)
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 3].rstrip() + "..."
    return cleaned


MIN_SECRET_LENGTH = 4  # shorter values would hide ordinary words and numbers


def hide_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every known secret (token, password, client or signing secret) cut out,
    longest first, so that a gateway echoing one never puts it in a record, a log or a screen."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len)[::-1]:
        text = text.replace(secret, "[hidden]")
    return text


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def describe_code(code: str | None, desc: str | None) -> str:
    """A plain sentence for staff about a gateway error code and its description."""
    code = code.strip() if code else None
    detail = scrub_text(desc) if desc else ""
    if code in _CODE_TEXT:
        name, sentence = _CODE_TEXT[code]
        if detail and detail.rstrip(".").lower() != name.lower():
            return f"{sentence} The gateway says: {_sentence(detail)}"
        return sentence
    if code and detail:
        return f"The gateway reported error {scrub_text(code, 20)}: {_sentence(detail)}"
    if code:
        return f"The gateway reported error {scrub_text(code, 20)} without a description."
    if detail:
        return f"The gateway reported: {_sentence(detail)}"
    return "The gateway reported an error without details."
