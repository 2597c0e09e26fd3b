"""Where the gateway is: the seed's environments, and the rule for any other address (https
anywhere, plain http to this computer only).

Used by the settings, the wizard and the client; the paths and bodies are `adapter`'s.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

from edge_app.domain.errors import refusal
from edge_app.domain.messages import msg

# -- environments (seed 2; contract "Environments") --------------------------------------------


@dataclass(frozen=True)
class Environment:
    name: str
    login_url: str
    base_url: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # the client secret is a constant of the seed, still keep it out
        return f"Environment(name={self.name!r}, base_url={self.base_url!r})"


ENVIRONMENTS: Mapping[str, Environment] = MappingProxyType(
    {
        "develop": Environment(
            name="develop",
            login_url="https://stg.bindo.co",
            base_url="https://stg-payment.bindo.co",
            client_id="hy89x4gh7b82y9ymhl7s75ucog6j9b",
            client_secret="acp02fndjef4ablir1ug1imy6ao6cgm",  # noqa: S106 - public seed constant
        ),
        "production": Environment(
            name="production",
            login_url="https://bindo.com",
            base_url="https://payment.bindo.co",
            client_id="r2e329dajqd22u4bdqce1g08ptu5hp0",
            client_secret="ly286rorphahzz6wm3su79u0vpw7ly6",  # noqa: S106 - public seed constant
        ),
    }
)

# -- URL rule ----------------------------------------------------------------------------------


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
