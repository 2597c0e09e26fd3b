"""Setting up and opening an installation, its secrets, and its gateway client.

May import config, domain and storage; the gateway package only inside methods (and for types).
"""

from __future__ import annotations

import contextlib
import errno
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self

from edge_app import __version__
from edge_app.config import (
    DATABASE_FILE,
    SANDBOX_CLIENT,
    SANDBOX_URL,
    AppConfig,
    load_config,
    save_config,
    validate_config,
)
from edge_app.domain.blocklist import parse_list_mode
from edge_app.domain.errors import ValidationError
from edge_app.domain.limits import DEFAULT_LIMITS, limits_to_json
from edge_app.services.base import AppBase
from edge_app.services.system import local_time_zone, system_description
from storage.db import UpgradeNotice, open_database, open_reader
from storage.errors import KeyUnavailable, StorageError
from storage.files import ensure_private_dir
from storage.keys import PassphraseProvider, audit_key, create_key, load_key
from storage.repository import Store

if TYPE_CHECKING:
    import httpx

    from edge_app.gateway.adapter import DeviceInfo
    from edge_app.gateway.client import GatewayClient

SECRET_PASSWORD = "gateway_password"  # noqa: S105 - a setting name, not a secret
SECRET_TOKEN = "gateway_token"  # noqa: S105
SECRET_CLIENT = "client_secret"  # noqa: S105
SECRET_SIGNING = "signing_secret"  # noqa: S105


class SecureSettings(Protocol):
    """The encrypted settings table, as the manager PIN's hash needs it."""

    def get_setting(self, name: str) -> str | None: ...

    def set_setting(
        self, name: str, value: str | None, *, audit_detail: str | None = None
    ) -> None: ...


@dataclass(frozen=True)
class InitSettings:
    store_id: str
    environment: str
    username: str
    base_url: str | None = None
    login_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    list_mode: str = "blacklist"
    key_store: str = "auto"
    signing_secret: str | None = None


class Installation(AppBase):
    """init / open, the secrets kept in the encrypted store, the gateway client and login."""

    @classmethod
    def init(
        cls,
        home: Path,
        settings: InitSettings,
        *,
        env: Mapping[str, str] | None = None,
        passphrase_provider: PassphraseProvider | None = None,
    ) -> Self:
        """Set up a new installation; on any failure nothing is left behind."""
        if (home / "config.json").exists():
            raise ValidationError(
                f"Edge Uploader is already set up in {home}; "
                "use another --home or the Settings screen."
            )
        db_path = home / DATABASE_FILE
        if db_path.exists() and db_path.stat().st_size > 0:
            raise ValidationError(
                f"{db_path} already exists; move it away before setting up again."
            )
        config, client_secret = _new_config(settings)
        existed = home.exists()
        try:
            _prepare_home(home)
            key_source = create_key(
                home, backend=settings.key_store, env=env, passphrase_provider=passphrase_provider
            )
            conn = open_database(db_path, key_source.key, create=True, key_known_good=True)
            store = Store(conn, audit_key=audit_key(key_source.key))
            store.fix_legacy_sn(config.device_id)  # nothing to fix: marks it done for good
            if settings.environment == "custom" and client_secret:
                store.set_setting(SECRET_CLIENT, client_secret, audit_detail="client secret set")
            if settings.signing_secret:
                store.set_setting(
                    SECRET_SIGNING, settings.signing_secret, audit_detail="signing secret set"
                )
            save_config(home, config)
        except BaseException:
            _remove_partial_install(home, remove_dir=not existed)
            raise
        return cls(home, config, store, key_source)

    @classmethod
    def open(
        cls,
        home: Path,
        *,
        env: Mapping[str, str] | None = None,
        passphrase_provider: PassphraseProvider | None = None,
        on_upgrade: UpgradeNotice | None = None,
    ) -> Self:
        """The installation in `home`; `on_upgrade(from, to)` is told before its queue's
        schema is upgraded (the first start of a new version, which may take a minute)."""
        config = load_config(home)
        key_source = load_key(home, env=env, passphrase_provider=passphrase_provider)
        conn = open_database(
            home / DATABASE_FILE, key_source.key, key_known_good=True, on_upgrade=on_upgrade
        )
        store = Store(conn, audit_key=audit_key(key_source.key))
        try:
            store.fix_legacy_sn(config.device_id)
            store.clear_abandoned_imports()
        except BaseException:
            store.close()
            raise
        return cls(home, config, store, key_source)

    def open_reader(self) -> Store:
        """A second, read-only connection to the queue, for screens that page through it.

        Its reads never wait for the writer's commits (WAL), so the window stays responsive
        while a sync or an import writes. Closed with the installation.
        """
        key = self.key_source.key
        reader = Store(open_reader(self.home / DATABASE_FILE, key), audit_key=audit_key(key))
        self._readers.append(reader)
        return reader

    # -- secrets ------------------------------------------------------------------------------

    def set_password(self, password: str) -> None:
        if not password:
            raise ValidationError("Password must not be empty.", "password")
        self.store.set_setting(SECRET_PASSWORD, password, audit_detail="gateway password set")

    def credentials(self) -> tuple[str, str]:
        password = self.store.get_setting(SECRET_PASSWORD)
        if password is None:
            raise KeyUnavailable("No gateway password is stored; run 'edge-app login' first.")
        return self.config.username, password

    def secure_settings(self) -> SecureSettings:
        """Settings kept inside the encrypted database (the manager PIN's hash, for one)."""
        return self.store

    def has_client_secret(self) -> bool:
        """Whether a custom environment's client secret is stored (it is never shown)."""
        return self.store.get_setting(SECRET_CLIENT) is not None

    def set_client_secret(self, secret: str) -> None:
        if not secret:
            raise ValidationError("The client secret must not be empty.", "client_secret")
        self.store.set_setting(SECRET_CLIENT, secret, audit_detail="client secret set")

    # -- the gateway ----------------------------------------------------------------------------

    def device_info(self) -> DeviceInfo:
        from edge_app.gateway.adapter import DeviceInfo

        return DeviceInfo(
            device_id=self.config.device_id,
            time_zone=local_time_zone(),
            app_type=self.config.app_type,
            app_version=__version__,
            device_type=self.config.device_type,
            device_model=self.config.device_model,
            system_version=system_description(),
        )

    def gateway_client(self, transport: httpx.BaseTransport | None = None) -> GatewayClient:
        """A client for this installation; one token per installation, kept encrypted."""
        from edge_app.gateway.client import GatewayClient, GatewayConfig

        client_secret = self.store.get_setting(SECRET_CLIENT) or _environment_secret(self.config)
        config = GatewayConfig(
            login_url=self.config.login_url,
            base_url=self.config.base_url,
            store_id=self.config.store_id,
            client_id=self.config.client_id,
            client_secret=client_secret,
            device=self.device_info(),
            signing_secret=self.store.get_setting(SECRET_SIGNING),
            timeout=float(self.config.timeout_seconds),
        )
        return GatewayClient(config, _TokenStore(self.store), self.credentials, transport=transport)

    def login(self, password: str) -> None:
        """Log in with `password`; on success keep it (encrypted) for unattended re-logins."""
        if not password:
            raise ValidationError("Password must not be empty.", "password")
        client = self.gateway_client()
        try:
            client.login(self.config.username, password)
        finally:
            client.close()
        self.set_password(password)
        self.store.record_event("login", f"gateway login as {self.config.username}")


def _prepare_home(home: Path) -> None:
    """Create the home (owner-only) and make sure files can be created in it."""
    from storage.files import create_private_file, describe_os_error

    probe = home / ".edge-app-probe"
    try:
        ensure_private_dir(home)
        probe.unlink(missing_ok=True)
        create_private_file(probe)
        probe.unlink()
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS):
            raise ValidationError(describe_os_error(exc, exc.filename or home, "created")) from None
        raise ValidationError(
            f"Files cannot be created in the data folder {home} ({exc.strerror}); "
            "choose another folder (--home)."
        ) from None


def _new_config(settings: InitSettings) -> tuple[AppConfig, str | None]:
    """The checked config of a new installation, and the client secret to keep encrypted."""
    base_url, login_url, client_id, client_secret = _environment_urls(settings)
    config = validate_config(
        AppConfig(
            store_id=settings.store_id.strip(),
            environment=settings.environment,
            login_url=login_url.rstrip("/"),
            base_url=base_url.rstrip("/"),
            client_id=client_id,
            username=settings.username.strip(),
            device_id=secrets.token_hex(8).upper(),
            list_mode=parse_list_mode(settings.list_mode).value,
            limits=limits_to_json(DEFAULT_LIMITS),
        )
    )
    return config, client_secret


def _environment_urls(settings: InitSettings) -> tuple[str, str, str, str | None]:
    """(base_url, login_url, client_id, client_secret) for the chosen environment."""
    from edge_app.gateway.urls import ENVIRONMENTS

    if settings.environment in ENVIRONMENTS:
        env = ENVIRONMENTS[settings.environment]
        return env.base_url, env.login_url, env.client_id, env.client_secret
    if settings.environment == "sandbox":
        base = settings.base_url or SANDBOX_URL
        return base, settings.login_url or base, SANDBOX_CLIENT, SANDBOX_CLIENT
    if settings.environment == "custom":
        if not settings.base_url or not settings.client_id or not settings.client_secret:
            raise ValidationError(
                "A custom environment needs --base-url, --client-id and --client-secret."
            )
        base = settings.base_url
        return base, settings.login_url or base, settings.client_id, settings.client_secret
    raise ValidationError(
        "Environment must be develop, production, custom or sandbox.", "environment"
    )


def _environment_secret(config: AppConfig) -> str:
    from edge_app.gateway.urls import ENVIRONMENTS

    if config.environment in ENVIRONMENTS:
        return ENVIRONMENTS[config.environment].client_secret
    if config.environment == "sandbox":
        return SANDBOX_CLIENT
    raise KeyUnavailable("The custom environment's client secret is missing; run init again.")


def _remove_partial_install(home: Path, *, remove_dir: bool) -> None:
    from storage.keys import KEY_FILE, KEYSTORE_FILE, forget_key

    with contextlib.suppress(StorageError):
        forget_key(home)
    for name in (
        DATABASE_FILE,
        f"{DATABASE_FILE}-wal",
        f"{DATABASE_FILE}-shm",
        KEY_FILE,
        KEYSTORE_FILE,
    ):
        (home / name).unlink(missing_ok=True)
    if remove_dir:
        import shutil

        shutil.rmtree(home, ignore_errors=True)


class _TokenStore:
    """The gateway token lives in the encrypted settings table (one per installation)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def load_token(self) -> str | None:
        return self._store.get_setting(SECRET_TOKEN)

    def save_token(self, token: str) -> None:
        self._store.set_setting(SECRET_TOKEN, token, audit_detail="gateway token renewed")
