"""The sandbox's options (`SandboxOptions`, `check_options`) and where it may listen.

Options are plain data: the CLI builds them from flags and the admin endpoint changes them while
the sandbox runs. May import the standard library and `edge_app.sandbox.rules` only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from edge_app.sandbox.rules import LIST_MODES

DISAGREEMENTS = ("voided", "refunded", "unknown", "amount", "currency")


@dataclass
class SandboxOptions:
    """Behaviour of the sandbox; every field can be changed while it runs (`set_options`)."""

    password: str = "sandbox"  # noqa: S105 - the documented sandbox password
    list_mode: str = "blacklist"
    latency_ms: int = 0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit_every: int = 0
    retry_after: str = "1"  # the Retry-After header of those 429 answers (seconds or a date)
    expire_every: int = 0
    pending_rate: float = 0.0
    pending_seconds: float = 1.0
    decline_cards: frozenset[str] = frozenset()
    signing_secret: str | None = None
    seed: int | None = None
    # Refusals of whole requests (nothing in them applied), for the engine's "nothing lost":
    refuse_status: int = 0  # answer every upload and card_block request with this HTTP status
    refuse_code: str = ""  # ... with this error_code in the body ("": an empty object {})
    refuse_cards: frozenset[str] = frozenset()  # a sale batch holding one: 400 100001, whole
    hide_brn_rate: float = 0.0  # share of successful sales answered without their BRN
    # For reconciliation tests: uuid -> how the query answer disagrees with what was uploaded
    # ("voided", "refunded", "unknown", "amount", "currency"); uploads are not affected.
    disagree: dict[str, str] = field(default_factory=dict)
    # Strict mode, as a real gateway may behave: one upload or card_block request at a time per
    # store (the others wait their turn), and processing time for each item in a request.
    one_at_a_time: bool = False
    item_cost_us: int = 0  # microseconds of processing per item (transaction or card number)

    def __repr__(self) -> str:
        # The password and the signing secret never reach a log line or a traceback.
        return (
            f"SandboxOptions(list_mode={self.list_mode!r}, latency_ms={self.latency_ms}, "
            f"fail_rate={self.fail_rate}, drop_rate={self.drop_rate}, "
            f"rate_limit_every={self.rate_limit_every}, expire_every={self.expire_every}, "
            f"pending_rate={self.pending_rate}, pending_seconds={self.pending_seconds}, "
            f"decline_cards={len(self.decline_cards)} card(s), "
            f"signing={'on' if self.signing_secret else 'off'}, seed={self.seed}, "
            f"refuse_status={self.refuse_status}, refuse_code={self.refuse_code!r}, "
            f"refuse_cards={len(self.refuse_cards)} card(s), hide_brn_rate={self.hide_brn_rate}, "
            f"disagree={len(self.disagree)} record(s), one_at_a_time={self.one_at_a_time}, "
            f"item_cost_us={self.item_cost_us})"
        )


def check_options(options: SandboxOptions) -> None:
    """Raise ValueError (one sentence) when an option is out of range."""
    if options.list_mode not in LIST_MODES:
        raise ValueError("List mode must be blacklist, whitelist or none.")
    status = options.refuse_status
    if (
        not isinstance(status, int)
        or isinstance(status, bool)
        or not (status == 0 or 400 <= status <= 599)
    ):
        raise ValueError("Refuse status must be 0 (off) or an HTTP status from 400 to 599.")
    if not isinstance(options.refuse_code, str):
        raise ValueError("Refuse code must be text.")
    if not isinstance(options.retry_after, str) or not options.retry_after.isprintable():
        raise ValueError("Retry after must be a header value (seconds or an HTTP date).")
    for name in ("fail_rate", "drop_rate", "pending_rate", "hide_brn_rate"):
        value = getattr(options, name)
        if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name.replace('_', ' ').capitalize()} must be between 0 and 1.")
    if not isinstance(options.one_at_a_time, bool):
        raise ValueError("One at a time must be true or false.")
    for name in ("latency_ms", "rate_limit_every", "expire_every", "item_cost_us"):
        value = getattr(options, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name.replace('_', ' ').capitalize()} must be a whole number >= 0.")
    if not isinstance(options.pending_seconds, int | float) or options.pending_seconds < 0:
        raise ValueError("Pending seconds must be a number >= 0.")
    if not isinstance(options.disagree, dict) or not all(
        isinstance(k, str) and v in DISAGREEMENTS for k, v in options.disagree.items()
    ):
        raise ValueError("Disagree must map uuids to one of: " + ", ".join(DISAGREEMENTS) + ".")
    if not isinstance(options.password, str) or not options.password:
        raise ValueError("The sandbox password must not be empty.")


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only places the sandbox may listen."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
