"""Fixtures shared by every suite: every data folder points at a temp dir, no real keyring."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import TEST_KEY, init_app

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test touches the user's data folder, keyring or passphrase."""
    monkeypatch.setenv("EDGE_APP_HOME", str(tmp_path / "default-home"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("EDGE_APP_DB_KEY", raising=False)
    monkeypatch.delenv("EDGE_APP_PASSPHRASE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture(autouse=True)
def _unsent_totals_match_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store closed in any test has running unsent totals equal to what its rows say:
    the code that changes states keeps them (storage.unsent), and this catches a path that
    forgets to."""
    from storage import unsent
    from storage.base import StoreBase

    original = StoreBase.close

    def checked_close(self: StoreBase) -> None:
        with self._lock:
            try:
                has_table = self.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'unsent_totals'"
                ).fetchone()
                in_transaction = self.conn.in_transaction
            except Exception:  # closed already, or unreadable (damage tests): nothing to check
                has_table, in_transaction = None, True
            if has_table and not in_transaction:
                assert unsent.stored(self.conn) == unsent.from_rows(self.conn)
        original(self)

    monkeypatch.setattr(StoreBase, "close", checked_close)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def db_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EDGE_APP_DB_KEY", TEST_KEY)
    return TEST_KEY


@pytest.fixture
def app(home: Path, db_key: str) -> Iterator[object]:
    application = init_app(home)
    yield application
    application.close()


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A real X server (Xvfb) for tests that check the window beyond the offscreen platform.

    Xvfb picks a free display itself (`-displayfd`), so parallel test workers never collide.
    """
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert proc.poll() is None, "Xvfb exited"
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)
