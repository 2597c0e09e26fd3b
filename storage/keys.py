"""Where the database key lives.

The database is encrypted with a random 256-bit key used as a raw SQLCipher key. The key itself is
kept by one of three backends, chosen at `init` and recorded (without the key) in `keystore.json`:

- ``env``: 64 hex characters in ``EDGE_APP_DB_KEY`` (headless hosts; the operator keeps it);
- ``keyring``: the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service);
- ``file``: ``db.key`` in the home, wrapped with a passphrase (scrypt + AES-GCM).

``keystore.json`` also holds an HMAC "key check" so that a wrong key is told apart from a damaged
database without touching the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_app.domain.messages import MESSAGES, msg
from storage.errors import KeyUnavailable
from storage.files import atomic_write, describe_os_error

if TYPE_CHECKING:  # imported where a passphrase wraps or unwraps the key: start-up stays cheap
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KEY_BYTES = 32
ENV_KEY = "EDGE_APP_DB_KEY"
ENV_PASSPHRASE = "EDGE_APP_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
KEYRING_SERVICE = "edge-app"
KEYSTORE_FILE = "keystore.json"
KEY_FILE = "db.key"
BACKENDS = ("env", "keyring", "file")
MIN_PASSPHRASE_LENGTH = 8

# scrypt cost: about 0.1 s and 32 MiB here; only paid when the app opens, not per query.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1

PassphraseProvider = Callable[[], str]

# Sentences of the catalogue, so the window can translate them (`tr(warning)`).
BACKEND_WARNINGS = {"env": MESSAGES["key.warn_env"], "file": MESSAGES["key.warn_file"]}


@dataclass(frozen=True)
class KeySource:
    """A database key and the backend that holds it. The key never appears in repr."""

    key: bytes = field(repr=False)
    backend: str
    warning: str | None = None

    def describe(self) -> str:
        names = {"env": "environment variable", "keyring": "OS keyring", "file": "passphrase file"}
        return names[self.backend]


def key_check(key: bytes) -> str:
    """A value that identifies the key without revealing it."""
    return hmac.new(key, b"edge-app key check v1", hashlib.sha256).hexdigest()[:32]


def audit_key(db_key: bytes) -> bytes:
    """The key of the audit trail's chained MACs, kept with the database key: derived from it
    one-way (HKDF-SHA256), so it lives in whichever backend holds the database key, needs no
    second secret an operator must carry, and cannot be computed from anything in the data.
    A separate random key in the same backend would protect no more: whoever can read one can
    read the other."""
    # HKDF-SHA256 (RFC 5869) with no salt and one block of output, by the standard library:
    # extract with a zero salt, expand with info || 0x01 (the same bytes as cryptography's HKDF).
    prk = hmac.new(bytes(hashlib.sha256().digest_size), db_key, hashlib.sha256).digest()
    return hmac.new(prk, b"edge-app audit v1\x01", hashlib.sha256).digest()[:KEY_BYTES]


def _parse_env_key(value: str) -> bytes:
    text = value.strip()
    if len(text) != KEY_BYTES * 2:
        raise KeyUnavailable(f"{ENV_KEY} must be exactly 64 hexadecimal characters.")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise KeyUnavailable(f"{ENV_KEY} must be exactly 64 hexadecimal characters.") from None


def _kdf(salt: bytes) -> Scrypt:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=KEY_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)


def wrap_key(key: bytes, passphrase: str) -> bytes:
    """Encrypt `key` under a passphrase; returns the JSON bytes of the key file."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    wrapping = _kdf(salt).derive(passphrase.encode("utf-8"))
    ciphertext = AESGCM(wrapping).encrypt(nonce, key, b"edge-app db key v1")
    doc = {
        "version": 1,
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    return json.dumps(doc, indent=2).encode()


def unwrap_key(data: bytes, passphrase: str) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    try:
        doc = json.loads(data)
        salt = base64.b64decode(doc["salt"])
        nonce = base64.b64decode(doc["nonce"])
        ciphertext = base64.b64decode(doc["ciphertext"])
        kdf = Scrypt(salt=salt, length=KEY_BYTES, n=int(doc["n"]), r=int(doc["r"]), p=int(doc["p"]))
    except (ValueError, KeyError, TypeError, RecursionError):
        raise KeyUnavailable("The key file db.key is damaged; restore it from a backup.") from None
    try:
        return AESGCM(kdf.derive(passphrase.encode("utf-8"))).decrypt(
            nonce, ciphertext, b"edge-app db key v1"
        )
    except InvalidTag:
        raise KeyUnavailable(msg("key.passphrase_wrong")) from None


def _keyring_user(installation_id: str) -> str:
    return f"db-key:{installation_id}"


def keyring_available() -> bool:
    """Whether an OS keyring backend is there to keep the key (not keyring's "fail" backend)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # no keyring package, or it cannot start
        return False
    chained = getattr(backend, "backends", None)
    if chained is not None:
        return bool(chained)
    return not isinstance(backend, fail.Keyring)


def _keyring_store(installation_id: str, key: bytes) -> bool:
    """Store the key in the OS keyring; False when no usable keyring exists."""
    try:
        import keyring  # imported lazily: it probes backends, which costs start-up time

        keyring.set_password(KEYRING_SERVICE, _keyring_user(installation_id), key.hex())
        return keyring.get_password(KEYRING_SERVICE, _keyring_user(installation_id)) == key.hex()
    except Exception:  # any backend failure means "no usable keyring"
        return False


def _keyring_load(installation_id: str) -> bytes:
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, _keyring_user(installation_id))
    except Exception:
        value = None
    if not value:
        raise KeyUnavailable(msg("key.not_in_keyring"))
    return bytes.fromhex(value)


def _keyring_delete(installation_id: str) -> None:
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, _keyring_user(installation_id))
    except Exception:  # nothing to delete, or no keyring
        return


def _passphrase(env: Mapping[str, str], provider: PassphraseProvider | None) -> str:
    value = env.get(ENV_PASSPHRASE)
    if value is None and provider is not None:
        value = provider()
    if not value:
        raise KeyUnavailable(
            "The database key is protected by a passphrase; set EDGE_APP_PASSPHRASE or run "
            "this command in a terminal."
        )
    return value


def _new_passphrase(
    env: Mapping[str, str], provider: PassphraseProvider | None, backend: str
) -> str:
    """The passphrase for a new key file; with `auto`, a refusal explains the choice."""
    try:
        return _passphrase(env, provider)
    except KeyUnavailable:
        if backend != "auto":
            raise
        raise KeyUnavailable(
            "This computer has no OS keyring for the database key: set EDGE_APP_PASSPHRASE "
            "(a passphrase that protects a key file), or use --key-store env with "
            f"{ENV_KEY} set to 64 hexadecimal characters."
        ) from None


def read_keystore(home: Path) -> dict[str, Any] | None:
    path = home / KEYSTORE_FILE
    if not path.exists():
        return None
    try:
        text = path.read_bytes()
    except OSError as exc:  # the file is there (exists() above) but cannot be read
        raise KeyUnavailable(describe_os_error(exc, path, "read")) from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise KeyUnavailable(f"{path} is damaged; restore it from a backup.") from None
    if not isinstance(doc, dict) or doc.get("backend") not in BACKENDS:
        raise KeyUnavailable(f"{path} is damaged; restore it from a backup.")
    return doc


def create_key(
    home: Path,
    *,
    backend: str = "auto",
    env: Mapping[str, str] | None = None,
    passphrase_provider: PassphraseProvider | None = None,
) -> KeySource:
    """Make the database key for a new installation and put it in the chosen backend.

    ``auto`` tries ``EDGE_APP_DB_KEY``, then the OS keyring, then a passphrase file.
    """
    env = os.environ if env is None else env
    if backend not in ("auto", *BACKENDS):
        raise KeyUnavailable("Key store must be one of auto, keyring, file or env.")
    installation_id = secrets.token_hex(8)
    chosen = backend
    key: bytes
    if backend == "env" or (backend == "auto" and env.get(ENV_KEY)):
        if not env.get(ENV_KEY):
            raise KeyUnavailable(
                f"Key store 'env' needs {ENV_KEY} set to 64 hexadecimal characters."
            )
        key = _parse_env_key(env[ENV_KEY])
        if key in (bytes(KEY_BYTES), b"\xff" * KEY_BYTES):
            raise KeyUnavailable(
                f"{ENV_KEY} is all zeros (or all f): that is no secret. Make a random key, for "
                'example with: python -c "import secrets; print(secrets.token_hex(32))"'
            )
        chosen = "env"
    else:
        key = secrets.token_bytes(KEY_BYTES)
        if backend in ("auto", "keyring") and _keyring_store(installation_id, key):
            chosen = "keyring"
        elif backend == "keyring":
            raise KeyUnavailable(msg("key.no_keyring"))
        else:
            passphrase = _new_passphrase(env, passphrase_provider, backend)
            if len(passphrase) < MIN_PASSPHRASE_LENGTH:
                raise KeyUnavailable(msg("key.passphrase_short", n=MIN_PASSPHRASE_LENGTH))
            atomic_write(home / KEY_FILE, wrap_key(key, passphrase))
            chosen = "file"
    doc = {
        "version": 1,
        "backend": chosen,
        "installation_id": installation_id,
        "key_check": key_check(key),
    }
    atomic_write(home / KEYSTORE_FILE, json.dumps(doc, indent=2).encode())
    return KeySource(key=key, backend=chosen, warning=BACKEND_WARNINGS.get(chosen))


def load_key(
    home: Path,
    *,
    env: Mapping[str, str] | None = None,
    passphrase_provider: PassphraseProvider | None = None,
) -> KeySource:
    """Fetch the key of an existing installation; raises KeyUnavailable with a plain sentence."""
    env = os.environ if env is None else env
    doc = read_keystore(home)
    if doc is None:
        raise KeyUnavailable(f"{home / KEYSTORE_FILE} is missing; the installation is incomplete.")
    backend = str(doc["backend"])
    if env.get(ENV_KEY):
        key = _parse_env_key(env[ENV_KEY])
        backend = "env"
    elif backend == "env":
        raise KeyUnavailable(f"This installation's key comes from {ENV_KEY}, which is not set.")
    elif backend == "keyring":
        key = _keyring_load(str(doc.get("installation_id", "")))
    else:
        path = home / KEY_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyUnavailable(
                f"The key file {path} is missing; restore it from a backup."
            ) from None
        except OSError as exc:
            raise KeyUnavailable(describe_os_error(exc, path, "read")) from None
        key = unwrap_key(data, _passphrase(env, passphrase_provider))
    if not hmac.compare_digest(str(doc.get("key_check", "")), key_check(key)):
        raise KeyUnavailable(msg("key.wrong"))
    return KeySource(key=key, backend=backend, warning=BACKEND_WARNINGS.get(backend))


def forget_key(home: Path) -> None:
    """Remove the key from its backend (used by uninstall); the database becomes unreadable."""
    doc = read_keystore(home)
    if doc and doc["backend"] == "keyring":
        _keyring_delete(str(doc.get("installation_id", "")))
