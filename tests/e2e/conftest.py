"""End-to-end fixtures: the real sandbox gateway on loopback and a real installation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import init_app

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
