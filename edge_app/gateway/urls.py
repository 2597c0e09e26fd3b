"""Where the app may send requests: https anywhere, plain http to this computer only.

A rule about the gateway's addresses (settings, the wizard, the client), not about its paths or
bodies, which `adapter` owns.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from edge_app.domain.errors import refusal
from edge_app.domain.messages import msg


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _field_label(field: str) -> object:
    return msg(f"label.{field}") if field in ("base_url", "login_url") else field


def check_url_allowed(url: str, field: str = "base_url") -> str:
    """The URL without a trailing slash if it is https (or plain http on loopback only)."""
    text = url.strip()
    if not text:
        raise refusal("url.required", field, name=_field_label(field))
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise refusal("url.spaces", field, name=_field_label(field))
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise refusal("url.scheme", field, name=_field_label(field))
    if "@" in parts.netloc:
        raise refusal("url.credentials", field, name=_field_label(field))
    host = parts.hostname or ""
    if not host:
        raise refusal("url.host", field, name=_field_label(field), scheme=scheme)
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise refusal("url.port", field, name=_field_label(field)) from None
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise refusal("url.query", field, name=_field_label(field))
    if scheme == "http" and not _is_loopback(host):
        raise refusal("url.plain_http", field, host=host)
    return text.rstrip("/")
