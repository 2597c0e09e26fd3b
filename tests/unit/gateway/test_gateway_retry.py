"""Retry policy: backoff ceilings, full jitter bounds, Retry-After, and the retry decision."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from edge_app.gateway.errors import (
    RateLimited,
    TransientError,
)
from edge_app.gateway.retry import (
    MAX_RETRY_AFTER,
    backoff_ceiling,
    backoff_delay,
    next_delay,
    parse_retry_after,
)

NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "expected"), [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (6, 60.0)]
)
def test_ceiling_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff_ceiling(attempt) == expected


def test_ceiling_with_base_and_cap() -> None:
    assert backoff_ceiling(3, base=0.5, cap=10.0) == 4.0
    assert backoff_ceiling(5, base=0.5, cap=10.0) == 10.0
    assert backoff_ceiling(10_000) == 60.0  # no overflow
    assert backoff_ceiling(-3) == 1.0


def test_full_jitter_uses_the_injected_random_share() -> None:
    assert backoff_delay(3, rand=lambda: 0.0) == 0.0
    assert backoff_delay(3, rand=lambda: 0.5) == 4.0
    assert backoff_delay(20, rand=lambda: 0.5, cap=30.0) == 15.0


def test_full_jitter_stays_within_zero_and_the_ceiling() -> None:
    rng = random.Random(7)
    for attempt in range(12):
        ceiling = backoff_ceiling(attempt, 1.0, 60.0)
        delays = [backoff_delay(attempt, rand=rng.random) for _ in range(200)]
        assert all(0.0 <= d < ceiling for d in delays)
        assert max(delays) > ceiling * 0.5  # spread over the range, not stuck at one end


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("1.5", 1.5),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:20:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        (None, None),
        ("Wed, 99 Foo 2015", None),
    ],
)
def test_retry_after_both_forms(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_retry_after_date_with_naive_now_is_taken_as_utc() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", NOW.replace(tzinfo=None)) == 90.0


def test_next_delay_honours_a_longer_retry_after() -> None:
    limited = RateLimited("slow down", status=429, retry_after=30.0)
    assert next_delay(limited, 0, rand=lambda: 0.5) == 30.0
    short = RateLimited("slow down", status=429, retry_after=0.1)
    assert next_delay(short, 4, rand=lambda: 0.5) == 8.0
    huge = RateLimited("slow down", status=429, retry_after=1e9)
    assert next_delay(huge, 0, rand=lambda: 0.5) == MAX_RETRY_AFTER
    assert next_delay(TransientError("x"), 2, rand=lambda: 0.25) == 1.0


def test_retry_after_relative_to_now() -> None:
    later = NOW + timedelta(seconds=45)
    header = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(header, NOW) == 45.0
