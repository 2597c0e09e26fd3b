"""The installation's non-secret settings (``config.json`` in the home) and where the home is.

Secrets (password, token, custom client secret, signing secret, manager PIN hash) live in the
encrypted database, never here.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, replace
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
DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(_[A-Za-z]{2,4})?$")
MAX_TEXT_SETTING = 200


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
        """The settings of config.json, each checked: a bad one is refused naming it."""
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply to be settings
            raise ValidationError(
                "config.json is not valid JSON; restore it from a backup."
            ) from None
        if not isinstance(doc, dict):
            raise ValidationError("config.json is damaged; restore it from a backup.")
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name not in doc:
                if _required(item):
                    raise ValidationError(
                        f"config.json is missing the setting {item.name}; restore it from a "
                        "backup, or run init in a new folder."
                    )
                continue
            values[item.name] = _typed(item.name, doc[item.name])
        try:
            return validate_config(cls(**values))
        except ValidationError as exc:
            name = exc.field or "?"
            raise ValidationError(
                f"config.json has a bad setting {name}: {exc} Correct it, or restore the file "
                "from a backup.",
                exc.field,
            ) from None

    def with_changes(self, **changes: Any) -> AppConfig:
        return validate_config(replace(self, **changes))


def validate_config(config: AppConfig) -> AppConfig:
    """Check every setting; raises ValidationError naming the setting (its `field`)."""
    from edge_app.domain.blocklist import parse_list_mode
    from edge_app.domain.limits import limits_from_json
    from edge_app.gateway.urls import check_url_allowed

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
    _check_numbers(config)
    _check_texts(config)
    return config


# (setting, lowest, highest, the sentence when out of range)
# (setting, lowest, highest, the refusal: a message id of domain/messages.py or a sentence)
_RANGES: tuple[tuple[str, float, float, str], ...] = (
    ("batch_size", 1, 1000, "config.batch_size"),
    ("concurrency", 1, 8, "config.concurrency"),
    (
        "schedule_window_minutes",
        0,
        240,
        "The schedule spread must be between 0 and 240 minutes.",
    ),
    ("query_interval", 0.1, 3600, "Query interval must be between 0.1 and 3600 seconds."),
    ("pending_wait", 0, 3600, "The wait for pending results must be 0 to 3600 seconds."),
    ("timeout_seconds", 1, 300, "config.timeout"),
    ("send_delay_seconds", 0, 3600, "config.send_delay"),
    ("report_days", 1, 3650, "Reports must be kept between 1 and 3650 days."),
)


def _range_refusal(name: str, sentence: str) -> ValidationError:
    if sentence.startswith("config."):
        return refusal(sentence, name)
    return ValidationError(sentence, name)


def _check_numbers(config: AppConfig) -> None:
    for name, low, high, sentence in _RANGES:
        value = getattr(config, name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _range_refusal(name, sentence) from None
        if isinstance(value, bool) or not math.isfinite(number) or not low <= number <= high:
            raise _range_refusal(name, sentence)


def _check_texts(config: AppConfig) -> None:
    if not DEVICE_ID_PATTERN.match(config.device_id):
        raise ValidationError(
            "The device id must be 1 to 64 letters, digits, '-' or '_'.", "device_id"
        )
    if not LANGUAGE_PATTERN.match(config.language):
        raise ValidationError("Language must be a code such as en or zh_TW.", "language")
    for name in ("client_id", "username", "device_model", "app_type", "device_type"):
        value = getattr(config, name)
        if not value.strip() or len(value) > MAX_TEXT_SETTING or not value.isprintable():
            raise ValidationError(
                f"The setting {name} must be 1 to {MAX_TEXT_SETTING} printable characters.", name
            )


def _required(item: Field[Any]) -> bool:
    return item.default is MISSING and item.default_factory is MISSING


# The JSON type each setting must have in config.json (float settings take whole numbers too).
_INT_SETTINGS = frozenset({"batch_size", "concurrency", "schedule_window_minutes", "report_days"})
_FLOAT_SETTINGS = frozenset(
    {"query_interval", "pending_wait", "timeout_seconds", "send_delay_seconds"}
)


def _typed(name: str, value: object) -> Any:
    """`value` of setting `name` if it has the setting's JSON type, else a refusal naming it."""
    if name == "limits":
        ok = isinstance(value, dict)
        kind = "a JSON object"
    elif name in _INT_SETTINGS:
        ok = isinstance(value, int) and not isinstance(value, bool)
        kind = "a whole number"
    elif name in _FLOAT_SETTINGS:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        kind = "a number"
    else:
        ok = isinstance(value, str)
        kind = "text"
    if not ok:
        raise ValidationError(
            f"config.json has a bad setting {name}: it must be {kind}. Correct it, or restore "
            "the file from a backup.",
            name,
        )
    return value


def load_config(home: Path) -> AppConfig:
    from storage.files import describe_os_error

    path = home / CONFIG_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(
            f"Edge Uploader is not set up in {home}; run 'edge-app init' first."
        ) from None
    except OSError as exc:
        raise ValidationError(describe_os_error(exc, path, "read")) from None
    return AppConfig.from_json(data)


def save_config(home: Path, config: AppConfig) -> None:
    from storage.files import atomic_write

    atomic_write(home / CONFIG_FILE, config.to_json())
