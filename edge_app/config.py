"""The installation's non-secret settings (``config.json`` in the home) and where the home is.

Secrets (password, token, custom client secret, signing secret, manager PIN hash) live in the
encrypted database, never here.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from edge_app.domain.errors import ValidationError, refusal

CONFIG_FILE = "config.json"
DATABASE_FILE = "queue.db"
APP_NAME = "edge-app"
ENV_HOME = "EDGE_APP_HOME"
ENVIRONMENT_NAMES = ("develop", "production", "custom", "sandbox")
SANDBOX_URL = "http://127.0.0.1:8765"
SANDBOX_CLIENT = "sandbox"
STORE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SHOP_CLOSE_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def default_home() -> Path:
    import platformdirs  # lazy: only needed when no home is given

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_home(explicit: str | None, env: Mapping[str, str] | None = None) -> Path:
    """`--home`, else EDGE_APP_HOME, else the platform's user data directory."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser().resolve()
    if env.get(ENV_HOME):
        return Path(env[ENV_HOME]).expanduser().resolve()
    return default_home()


@dataclass(frozen=True)
class AppConfig:
    store_id: str
    environment: str
    login_url: str
    base_url: str
    client_id: str
    username: str
    device_id: str
    list_mode: str = "blacklist"
    limits: dict[str, Any] = field(default_factory=dict)
    shop_close: str = "22:00"
    schedule_window_minutes: int = 30
    report_days: int = 31  # how many days of shop-close reports <home>/reports keeps
    batch_size: int = 500
    concurrency: int = 2
    query_interval: float = 20.0
    pending_wait: float = 60.0
    timeout_seconds: float = 30.0
    # The window sends what was queued this many seconds after a capture while the gateway is
    # reachable (others captured meanwhile go in the same batch); 0: only on Sync or a reconnect.
    send_delay_seconds: float = 10.0
    language: str = "en"
    device_model: str = "Back-office PC"
    app_type: str = "Edge Uploader"
    device_type: str = "STORE_PC"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> AppConfig:
        try:
            doc = json.loads(data)
        except ValueError:
            raise ValidationError(
                "config.json is not valid JSON; restore it from a backup."
            ) from None
        if not isinstance(doc, dict):
            raise ValidationError("config.json is damaged; restore it from a backup.")
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in doc.items() if k in known})
        except TypeError:
            raise ValidationError(
                "config.json is missing required settings; run init again."
            ) from None

    def with_changes(self, **changes: Any) -> AppConfig:
        return validate_config(replace(self, **changes))


def validate_config(config: AppConfig) -> AppConfig:
    """Check every setting a person can change; raises ValidationError naming the setting."""
    from edge_app.domain.blocklist import parse_list_mode
    from edge_app.domain.limits import limits_from_json
    from edge_app.gateway.adapter import check_url_allowed

    if not STORE_ID_PATTERN.match(config.store_id):
        raise refusal("config.store_id", "store_id")
    if config.environment not in ENVIRONMENT_NAMES:
        raise ValidationError(
            "Environment must be develop, production, custom or sandbox.", "environment"
        )
    check_url_allowed(config.base_url, "base_url")
    check_url_allowed(config.login_url, "login_url")
    if not config.username.strip():
        raise refusal("config.username", "username")
    parse_list_mode(config.list_mode)
    if config.limits:
        limits_from_json(config.limits)
    if not SHOP_CLOSE_PATTERN.match(config.shop_close):
        raise refusal("config.shop_close", "shop_close")
    if not 1 <= config.batch_size <= 1000:
        raise refusal("config.batch_size", "batch_size")
    if not 1 <= config.concurrency <= 8:
        raise refusal("config.concurrency", "concurrency")
    if not 0 <= config.schedule_window_minutes <= 240:
        raise ValidationError(
            "The schedule spread must be between 0 and 240 minutes.", "schedule_window_minutes"
        )
    if not isinstance(config.report_days, int) or not 1 <= config.report_days <= 3650:
        raise ValidationError("Reports must be kept between 1 and 3650 days.", "report_days")
    if not 0.1 <= float(config.query_interval) <= 3600:
        raise ValidationError(
            "Query interval must be between 0.1 and 3600 seconds.", "query_interval"
        )
    if not 1 <= float(config.timeout_seconds) <= 300:
        raise refusal("config.timeout", "timeout_seconds")
    if not 0 <= float(config.send_delay_seconds) <= 3600:
        raise refusal("config.send_delay", "send_delay_seconds")
    return config


def load_config(home: Path) -> AppConfig:
    path = home / CONFIG_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(
            f"Edge Uploader is not set up in {home}; run 'edge-app init' first."
        ) from None
    return AppConfig.from_json(data)


def save_config(home: Path, config: AppConfig) -> None:
    from storage.files import atomic_write

    atomic_write(home / CONFIG_FILE, config.to_json())
