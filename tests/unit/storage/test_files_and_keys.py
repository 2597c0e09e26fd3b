"""Owner-only files, atomic writes and the three key backends."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from storage.errors import KeyUnavailable
from storage.files import atomic_write, create_private_file, ensure_private_dir
from storage.keys import KEY_FILE, KEYSTORE_FILE, audit_key, create_key, load_key


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class MemoryKeyring(KeyringBackend):
    """A working OS keyring stand-in, so the keyring path is tested without a desktop session."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_private_file_is_owner_only_from_creation(tmp_path: Path) -> None:
    path = tmp_path / "secret.db"
    create_private_file(path)
    assert mode(path) == 0o600
    with pytest.raises(FileExistsError):
        create_private_file(path)


def test_atomic_write_replaces_whole_file_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("old")
    path.chmod(0o644)
    atomic_write(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]  # no temp file left


def test_private_dir_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o755)
    ensure_private_dir(folder)
    assert mode(folder) == 0o700


def test_env_key_is_used_and_checked(tmp_path: Path) -> None:
    source = create_key(tmp_path, env={"EDGE_APP_DB_KEY": "11" * 32})
    assert source.backend == "env" and source.key == bytes.fromhex("11" * 32)
    assert source.warning and "EDGE_APP_DB_KEY" in source.warning
    assert load_key(tmp_path, env={"EDGE_APP_DB_KEY": "11" * 32}).key == source.key
    with pytest.raises(KeyUnavailable, match="wrong"):
        load_key(tmp_path, env={"EDGE_APP_DB_KEY": "22" * 32})
    with pytest.raises(KeyUnavailable, match="not set"):
        load_key(tmp_path, env={})


@pytest.mark.parametrize("value", ["abc", "zz" * 32, "11" * 31])
def test_env_key_must_be_64_hex(tmp_path: Path, value: str) -> None:
    with pytest.raises(KeyUnavailable, match="64 hexadecimal"):
        create_key(tmp_path, backend="env", env={"EDGE_APP_DB_KEY": value})
    assert not (tmp_path / KEYSTORE_FILE).exists()


def test_key_never_in_repr(tmp_path: Path) -> None:
    source = create_key(tmp_path, env={"EDGE_APP_DB_KEY": "ab" * 32})
    assert "ab" * 8 not in repr(source)


def test_passphrase_file_round_trip(tmp_path: Path) -> None:
    source = create_key(tmp_path, env={"EDGE_APP_PASSPHRASE": "correct horse"})
    assert source.backend == "file"
    assert source.warning and "passphrase" in source.warning
    assert mode(tmp_path / KEY_FILE) == 0o600
    assert source.key.hex() not in (tmp_path / KEY_FILE).read_text()
    assert source.key.hex() not in (tmp_path / KEYSTORE_FILE).read_text()
    again = load_key(tmp_path, env={}, passphrase_provider=lambda: "correct horse")
    assert again.key == source.key


def test_wrong_passphrase_is_refused_plainly(tmp_path: Path) -> None:
    create_key(tmp_path, env={"EDGE_APP_PASSPHRASE": "correct horse"})
    with pytest.raises(KeyUnavailable, match=r"^The passphrase is wrong\.$"):
        load_key(tmp_path, env={"EDGE_APP_PASSPHRASE": "wrong horse!"})


def test_short_passphrase_refused_and_nothing_written(tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="at least 8"):
        create_key(tmp_path, env={"EDGE_APP_PASSPHRASE": "short"})
    assert list(tmp_path.iterdir()) == []


def test_no_keyring_and_no_passphrase_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="EDGE_APP_PASSPHRASE"):
        create_key(tmp_path, env={})
    with pytest.raises(KeyUnavailable, match="No OS keyring"):
        create_key(tmp_path, backend="keyring", env={})


def test_damaged_key_file(tmp_path: Path) -> None:
    create_key(tmp_path, env={"EDGE_APP_PASSPHRASE": "correct horse"})
    (tmp_path / KEY_FILE).write_text("{not json")
    with pytest.raises(KeyUnavailable, match="damaged"):
        load_key(tmp_path, env={"EDGE_APP_PASSPHRASE": "correct horse"})


def test_keyring_backend_preferred_when_it_works(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    source = create_key(tmp_path, env={})
    assert source.backend == "keyring" and source.warning is None
    assert not (tmp_path / KEY_FILE).exists()
    doc = json.loads((tmp_path / KEYSTORE_FILE).read_text())
    assert doc["backend"] == "keyring"
    assert load_key(tmp_path, env={}).key == source.key
    memory_keyring.values.clear()
    with pytest.raises(KeyUnavailable, match="keyring"):
        load_key(tmp_path, env={})


def test_no_keyring_and_no_passphrase_explains_the_choice(tmp_path: Path) -> None:
    """Issue 11: "the key is protected by a passphrase" told a new user nothing."""
    with pytest.raises(KeyUnavailable) as info:
        create_key(tmp_path, env={}, passphrase_provider=lambda: "")
    assert str(info.value) == (
        "This computer has no OS keyring for the database key: set EDGE_APP_PASSPHRASE (a "
        "passphrase that protects a key file), or use --key-store env with EDGE_APP_DB_KEY set "
        "to 64 hexadecimal characters."
    )
    assert not (tmp_path / KEYSTORE_FILE).exists()
    with pytest.raises(KeyUnavailable) as chosen:  # a file was asked for: the short sentence
        create_key(tmp_path, backend="file", env={}, passphrase_provider=lambda: "")
    assert "EDGE_APP_PASSPHRASE" in str(chosen.value) and "keyring" not in str(chosen.value)


@pytest.mark.parametrize("db_key", [bytes(32), bytes.fromhex("cd" * 32), bytes(range(32))])
def test_the_audit_key_is_hkdf_sha256_of_the_database_key(db_key: bytes) -> None:
    # Computed by the standard library (no cryptography import at start-up); the bytes must stay
    # those of the HKDF every existing audit trail was chained with.
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"edge-app audit v1")
    assert audit_key(db_key) == hkdf.derive(db_key)
    assert audit_key(db_key) != audit_key(bytes(31) + b"\x01")
