"""The manager PIN: a salted scrypt hash kept in the encrypted settings table. No Qt here.

Cashiers take sales without a PIN; voids, refunds, retries, card block-list changes and settings
need the manager PIN. A 4-8 digit PIN is short, so wrong tries are rate-limited in memory too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Protocol

PIN_SETTING = "manager_pin"
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
MAX_WRONG_TRIES = 5
LOCKOUT_SECONDS = 60.0


class SettingsStore(Protocol):
    def get_setting(self, name: str) -> str | None: ...

    def set_setting(
        self, name: str, value: str | None, *, audit_detail: str | None = None
    ) -> None: ...


def pin_problem(pin: str, repeat: str | None = None) -> str | None:
    """One sentence saying what is wrong with a new PIN, or None when it is acceptable."""
    if not PIN_PATTERN.match(pin):
        return "The manager PIN must be 4 to 8 digits."
    if repeat is not None and repeat != pin:
        return "The two PINs differ; type the same PIN twice."
    return None


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 << 20)


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` (base64 parts); a fresh random salt unless one is given."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _derive(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` matches the stored hash (constant-time compare); False for a damaged hash."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        actual = _derive(pin, salt, int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def has_manager_pin(store: SettingsStore) -> bool:
    return bool(store.get_setting(PIN_SETTING))


def set_manager_pin(store: SettingsStore, pin: str) -> None:
    store.set_setting(PIN_SETTING, hash_pin(pin), audit_detail="manager PIN set")


class PinGuard:
    """Checks PINs against the store and refuses all tries for a while after repeated wrong ones."""

    def __init__(self, store: SettingsStore, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._wrong = 0
        self._locked_until = 0.0

    def seconds_locked(self) -> int:
        return max(0, int(self._locked_until - self._clock() + 0.999))

    def check(self, pin: str) -> str | None:
        """None when the PIN is right; otherwise one sentence for the person at the till."""
        if self.seconds_locked():
            return f"Too many wrong PINs; try again in {self.seconds_locked()} seconds."
        stored = self._store.get_setting(PIN_SETTING)
        if stored and verify_pin(pin, stored):
            self._wrong = 0
            return None
        self._wrong += 1
        if self._wrong >= MAX_WRONG_TRIES:
            self._wrong = 0
            self._locked_until = self._clock() + LOCKOUT_SECONDS
            return f"Too many wrong PINs; try again in {int(LOCKOUT_SECONDS)} seconds."
        return "That PIN is not the manager PIN."
