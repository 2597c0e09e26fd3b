"""The embedded sandbox gateway: the whole gateway contract on a loopback HTTP server.

It is an independent implementation of `shared/gateway-contract.md` (it never imports the client in
`edge_app.gateway`), so the client, the sync engine and the tests can be exercised with no account.
Standard library only. State lives in memory, per store id, behind one lock; faults (latency, 5xx,
429, token expiry, dropped connections, declines) can be changed while it runs.

This module owns the public `SandboxGateway` (start, stop, url, options) and re-exports the names
other code imports from here. The parts live beside it: `rules` (pure request rules), `options`
(SandboxOptions, check_options, is_loopback_host), `records` (held data and replies), `state`
(the gateway's state and processing, no HTTP) and `http_server` (server and handler). It may import
the standard library and those modules only; nothing of the sandbox imports the rest of the app.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from edge_app.sandbox.http_server import _Server
from edge_app.sandbox.options import SandboxOptions, check_options, is_loopback_host
from edge_app.sandbox.state import _Gateway

# Names other code imports from here (the options moved to `edge_app.sandbox.options`).
__all__ = ["SandboxGateway", "SandboxOptions", "check_options", "is_loopback_host"]


class SandboxGateway:
    """A sandbox gateway on a loopback port; `url` is both the login and the payment base URL."""

    def __init__(
        self, options: SandboxOptions | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if not is_loopback_host(host):
            raise ValueError("The sandbox gateway listens only on a loopback address.")
        self._gateway = _Gateway(options or SandboxOptions())
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxGateway:
        if self._server is not None:
            return self
        server = _Server(self._host, self._port, self._gateway)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="edge-sandbox-gateway",
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox gateway is not running.")
        host, port = str(self._server.server_address[0]), int(self._server.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    @property
    def options(self) -> SandboxOptions:
        return self._gateway.options

    def set_options(self, **changes: Any) -> None:
        """Change any option while running (thread-safe); ValueError for a bad name or value."""
        self._gateway.set_options(changes)

    def received(self) -> dict[str, Any]:
        return self._gateway.received()

    def reset(self) -> None:
        self._gateway.reset()

    def forget(self, uuids: list[str] | None = None) -> int:
        """Lose these records (default: every pending one); returns how many were lost."""
        return self._gateway.forget(uuids)

    def __enter__(self) -> SandboxGateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"SandboxGateway({state}, {self._gateway.options!r})"
