"""Retry policy as small pure functions (the sync engine owns the loop, the client never retries).

Backoff is exponential with "full jitter": the delay is uniform between 0 and the ceiling, so
that many stores coming back online at once do not hit the gateway in step.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from edge_app.gateway.errors import GatewayError, TransientError

# A Retry-After above this is treated as this: the run gives up sooner and a later run resumes.
MAX_RETRY_AFTER = 600.0

_DELTA_SECONDS = re.compile(r"-?\d+(?:\.\d+)?")


def backoff_ceiling(attempt: int, base: float = 1.0, cap: float = 60.0) -> float:
    """min(cap, base * 2**attempt), `attempt` counted from 0."""
    attempt = max(0, attempt)
    if attempt >= 64:  # 2**64 * base is beyond any sensible cap and avoids float overflow
        return cap
    return float(min(cap, base * 2**attempt))


def backoff_delay(
    attempt: int,
    base: float = 1.0,
    cap: float = 60.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Full jitter: a uniform share of the ceiling (`rand` returns a float in [0, 1))."""
    return rand() * backoff_ceiling(attempt, base, cap)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        return max(0.0, float(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def next_delay(
    error: GatewayError,
    attempt: int,
    rand: Callable[[], float] = random.random,
    *,
    base: float = 1.0,
    cap: float = 60.0,
) -> float:
    """Seconds before the next attempt: jittered backoff, or the server's Retry-After if longer."""
    delay = backoff_delay(attempt, base, cap, rand)
    if isinstance(error, TransientError) and error.retry_after is not None:
        delay = max(delay, min(error.retry_after, MAX_RETRY_AFTER))
    return delay
