"""Loopback helpers of wine_checks.py: a free port, waiting for a listener, and the recording
proxy in front of the sandbox gateway that keeps each request's headers. Standard library only
(run by the Windows Python).
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CheckFailed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise CheckFailed(f"{what} exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise CheckFailed(f"{what} did not listen on port {port} within 60 s")


class Recorder:
    """A loopback proxy to the sandbox that keeps each request's path and headers."""

    def __init__(self, target_port: int) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                recorder.requests.append((self.path, dict(self.headers.items())))
                conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                except OSError:  # the sandbox dropped the connection: drop ours too
                    self.close_connection = True
                    return
                finally:
                    conn.close()
                try:
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in (
                            "content-length",
                            "connection",
                            "transfer-encoding",
                        ):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client is gone (the sync killed mid-request)
                    self.close_connection = True

            do_GET = _forward
            do_POST = _forward

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
