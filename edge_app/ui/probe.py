"""Is the gateway reachable? A short TCP connect to the payment base URL. No Qt here."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def gateway_address(base_url: str) -> tuple[str, int] | None:
    """(host, port) of a gateway URL, or None when the URL has no host."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return parts.hostname, port


def probe_gateway(base_url: str, timeout: float = 3.0) -> bool:
    """True when a TCP connection to the gateway opens within `timeout` seconds."""
    address = gateway_address(base_url)
    if address is None:
        return False
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False
