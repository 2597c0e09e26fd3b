"""End-to-end fixtures: the real sandbox gateway on loopback and a real installation."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import TEST_KEY, init_app

from edge_app.sandbox.server import SandboxGateway, SandboxOptions


@pytest.fixture
def gateway() -> Iterator[SandboxGateway]:
    server = SandboxGateway(SandboxOptions(seed=7, pending_seconds=0.2)).start()
    yield server
    server.stop()


@pytest.fixture
def online_app(home: Path, db_key: str, gateway: SandboxGateway) -> Iterator[Any]:
    """An installation pointed at the sandbox, logged in."""
    application = init_app(home, base_url=gateway.url)
    application.login("sandbox")
    yield application
    application.close()


CliRun = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def cli_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """`edge_app.cli.main(["--home", home, *args])` in this process, for refusals that only need
    the exit code and the messages: the same result a `python -m edge_app` run gives, without
    starting Python. EDGE_APP_DB_KEY is the test key unless `env` says otherwise; the environment
    and the umask that `main` sets are put back after the call."""
    from edge_app.cli import main

    def call(
        home: Path, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = ["--home", str(home), *args]
        capsys.readouterr()  # only this call's output
        umask = os.umask(0o077)
        try:
            with monkeypatch.context() as patch:
                for name, value in {"EDGE_APP_DB_KEY": TEST_KEY, **(env or {})}.items():
                    patch.setenv(name, value)
                try:
                    code = main(argv)
                except SystemExit as exc:  # argparse's usage errors
                    code = int(exc.code or 0)
        finally:
            os.umask(umask)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, out, err)

    return call
