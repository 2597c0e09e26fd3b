"""The sandbox's HTTP side: a loopback `ThreadingHTTPServer` and the handler that routes requests.

The handler reads and bounds the body, routes the contract paths and the `/_sandbox/` admin
endpoints, applies latency and dropped connections, and writes the JSON replies; every decision
about the requests themselves is `edge_app.sandbox.state._Gateway`'s. May import the standard
library and `edge_app.sandbox.rules`, `.options`, `.records` and `.state` only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from edge_app.sandbox.options import SandboxOptions, is_loopback_host
from edge_app.sandbox.records import _error, _Reply, _whole_refusal
from edge_app.sandbox.rules import MAX_BODY_BYTES, _json_object
from edge_app.sandbox.state import _Gateway

logger = logging.getLogger("edge_app.sandbox")

_LOGIN_PATH = "/api/v2/login"
_UPLOAD_RE = re.compile(r"/gateway/v3/stores/([^/]+)/payment/offline/(sale|void|refund)")
_QUERY_RE = re.compile(r"/gateway/v3/stores/([^/]+)/query/transactions/([^/]+)")
_BLOCK_RE = re.compile(r"/gateway/v3/stores/([^/]+)/card_block/(add|del)")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, gateway: _Gateway) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.gateway = gateway
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), which can stall; skip it.
        import socketserver

        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # No traceback on stderr (it could quote request data); one line at debug level.
        logger.debug("connection from a loopback client ended with an error")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EdgeSandbox/1.0"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence BaseHTTPRequestHandler's stderr logging (requests are logged in _handle)."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering a body we cannot read."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(_error(411, "100001", "Send a Content-Length, not a chunked body."))
            return None
        raw = self.headers.get("Content-Length", "0")
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(_error(400, "100001", "Content-Length is not a number."))
            return None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(_error(413, "100001", "The request body is too large."))
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str) -> None:
        path = urlsplit(self.path).path
        self._path = path
        self._method = method
        body = self._read_body()
        if body is None:
            return
        if path.startswith("/_sandbox/"):
            self._send(self._admin(method, path, body))
            return
        route = self._route(path)
        if route is None:
            self._send(_error(404, "100001", "Unknown path."))
            return
        category, wanted, match = route
        if method != wanted:
            self._send(_error(405, "100001", f"Use {wanted} on this path."), {"Allow": wanted})
            return
        gateway = self.server.gateway
        latency = gateway.options.latency_ms
        if latency:
            time.sleep(latency / 1000)
        options, reply = gateway.before_processing(category)
        if reply is None and category != "login":
            reply = gateway.authenticate(
                self.headers.get("X-USER-ACCESS-TOKEN"), self.headers.get("X-SIGNATURE"), body
            )
        if reply is None:
            try:
                reply = self._process(category, match, body, options)
            except Exception as exc:  # a sandbox bug: answer 500 rather than hang up silently
                logger.error("internal error (%s) on %s %s", type(exc).__name__, method, path)
                reply = _error(500, "199997", "Internal Error")
            if category in ("upload", "card_block") and gateway.should_drop():
                reply.drop = True
        self._send(reply)

    @staticmethod
    def _route(path: str) -> tuple[str, str, re.Match[str] | None] | None:
        if path == _LOGIN_PATH:
            return "login", "POST", None
        for category, method, pattern in (
            ("upload", "POST", _UPLOAD_RE),
            ("query", "GET", _QUERY_RE),
            ("card_block", "POST", _BLOCK_RE),
        ):
            match = pattern.fullmatch(path)
            if match is not None:
                return category, method, match
        return None

    def _process(
        self, category: str, match: re.Match[str] | None, body: bytes, options: SandboxOptions
    ) -> _Reply:
        gateway = self.server.gateway
        if category == "login" or match is None:
            return gateway.login(body)
        store_id, what = match.group(1), match.group(2)
        if category in ("upload", "card_block") and options.refuse_status:
            return _whole_refusal(options)
        if category == "query":
            return gateway.query(store_id, what)
        # Strict mode: a store's uploads and card-list requests are processed one at a time.
        turn = gateway.store_lock(store_id) if options.one_at_a_time else contextlib.nullcontext()
        with turn:
            if category == "upload":
                return gateway.upload(store_id, what, body, options)
            return gateway.card_block(store_id, what, body, options)

    def _admin(self, method: str, path: str, body: bytes) -> _Reply:
        if not is_loopback_host(str(self.client_address[0])):
            return _error(403, "100001", "Admin endpoints answer loopback clients only.")
        gateway = self.server.gateway
        if path == "/_sandbox/received" and method == "GET":
            return _Reply(200, gateway.received())
        if path == "/_sandbox/reset" and method == "POST":
            gateway.reset()
            return _Reply(200, {"state": "success"})
        if path == "/_sandbox/forget" and method == "POST":
            doc = _json_object(body) if body else {}
            uuids = doc.get("uuids") if doc is not None else None
            if doc is None or not (uuids is None or isinstance(uuids, list)):
                return _error(400, "100001", 'Body must be {"uuids": [...]} or empty.')
            return _Reply(200, {"forgotten": gateway.forget(uuids)})
        if path == "/_sandbox/config" and method == "POST":
            changes = _json_object(body)
            if changes is None:
                return _error(400, "100001", "Body must be a JSON object of option changes.")
            try:
                gateway.set_options(changes)
            except (ValueError, TypeError) as exc:
                return _error(400, "100001", str(exc))
            return _Reply(200, {"options": gateway.options_json()})
        return _error(404, "100001", "Unknown admin path or method.")

    def _send(self, reply: _Reply, extra: dict[str, str] | None = None) -> None:
        if reply.drop:
            self._drop()
            return
        data = json.dumps(reply.body).encode()
        phrase = self.responses.get(reply.status, ("",))[0]
        head = [
            f"{self.protocol_version} {reply.status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(data)}",
            *(f"{name}: {value}" for name, value in {**reply.headers, **(extra or {})}.items()),
        ]
        if self.close_connection:
            head.append("Connection: close")
        # Head and body in one write: two small writes would meet Nagle + delayed ACK (~40 ms).
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        logger.info("%s %s %d", self._method, self._path, reply.status)

    def _drop(self) -> None:
        """Close the connection without a response: the client cannot know the outcome."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        logger.info("%s %s dropped after processing", self._method, self._path)
