"""The one facade the command line and the window call: setup, capture, import, block list, status.

Every capture runs its checks and its insert inside one SQLite write transaction, so the checks
(limits, block list, uniqueness) see exactly what the insert will be added to, and bad input stores
nothing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import platform
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from edge_app.domain.blocklist import ListMode, check_card_against_list, parse_list_mode
from edge_app.domain.card import normalize_card_number
from edge_app.domain.errors import FormErrors, ValidationError
from edge_app.domain.limits import (
    DEFAULT_LIMITS,
    OfflineLimits,
    age_level,
    check_capture_limits,
    limits_from_json,
    limits_to_json,
)
from edge_app.domain.money import format_amount, parse_amount
from edge_app.domain.transactions import (
    TxKind,
    TxState,
    check_refund,
    check_void,
    validate_sale,
    validate_uuid,
)
from storage.db import Connection, open_database
from storage.errors import KeyUnavailable, StorageError
from storage.files import ensure_private_dir
from storage.keys import KeySource, PassphraseProvider, create_key, load_key
from storage.repository import Store, TxRecord

Clock = Callable[[], datetime]
IMPORT_KEYS = (
    "kind",
    "uuid",
    "amount",
    "currency",
    "card_number",
    "expiry",
    "cvv",
    "tips",
    "reader_mode",
    "track2",
    "card_sn",
    "icc",
    "auth_code",
    "original",
    "captured_at",
)
MAX_IMPORT_PROBLEMS = 50
SECRET_PASSWORD = "gateway_password"  # noqa: S105 - a setting name, not a secret
SECRET_TOKEN = "gateway_token"  # noqa: S105
SECRET_CLIENT = "client_secret"  # noqa: S105
SECRET_SIGNING = "signing_secret"  # noqa: S105


def local_now() -> datetime:
    return datetime.now().astimezone()


class ImportRefused(ValidationError):
    """A file was refused as a whole; `problems` names each bad line."""

    def __init__(self, summary: str, problems: list[str]) -> None:
        super().__init__(summary)
        self.problems = problems


@dataclass(frozen=True)
class Capture:
    uuid: str
    state: TxState
    warnings: tuple[str, ...] = ()
    note: str | None = None


@dataclass
class _CaptureContext:
    """What the checks need, read once per write transaction and kept current while importing."""

    limits: OfflineLimits
    list_mode: ListMode
    now: datetime
    totals: dict[str, Decimal] = field(default_factory=dict)
    oldest_unsent: datetime | None = None


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


def _environment_urls(settings: InitSettings) -> tuple[str, str, str, str | None]:
    """(base_url, login_url, client_id, client_secret) for the chosen environment."""
    from edge_app.gateway.adapter import ENVIRONMENTS

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


class App:
    """An open installation: its config, its key source and its encrypted store."""

    def __init__(self, home: Path, config: AppConfig, store: Store, key_source: KeySource) -> None:
        self.home = home
        self.config = config
        self.store = store
        self.key_source = key_source
        self.clock: Clock = local_now
        self._limits: tuple[AppConfig, OfflineLimits] | None = None

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        home: Path,
        settings: InitSettings,
        *,
        env: Mapping[str, str] | None = None,
        passphrase_provider: PassphraseProvider | None = None,
    ) -> App:
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
        existed = home.exists()
        ensure_private_dir(home)
        try:
            key_source = create_key(
                home, backend=settings.key_store, env=env, passphrase_provider=passphrase_provider
            )
            conn = open_database(db_path, key_source.key, create=True, key_known_good=True)
            store = Store(conn)
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
    ) -> App:
        config = load_config(home)
        key_source = load_key(home, env=env, passphrase_provider=passphrase_provider)
        conn = open_database(home / DATABASE_FILE, key_source.key, key_known_good=True)
        store = Store(conn)
        try:
            store.fix_legacy_sn(config.device_id)
        except BaseException:
            store.close()
            raise
        return cls(home, config, store, key_source)

    def close(self) -> None:
        self.store.close()

    def update_config(self, **changes: Any) -> AppConfig:
        """Change settings (validated first; config.json is replaced atomically)."""
        new = self.config.with_changes(**changes)
        save_config(self.home, new)
        self.config = new
        return new

    @property
    def limits(self) -> OfflineLimits:
        # Parsed once per config (AppConfig is frozen): every capture reads the limits.
        config = self.config
        if self._limits is None or self._limits[0] is not config:
            parsed = limits_from_json(config.limits) if config.limits else DEFAULT_LIMITS
            self._limits = (config, parsed)
        return self._limits[1]

    @property
    def list_mode(self) -> ListMode:
        return parse_list_mode(self.config.list_mode)

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

    # -- gateway and sync ----------------------------------------------------------------------

    def device_info(self) -> Any:
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

    def gateway_client(self, transport: Any = None) -> Any:
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

    def sync_options(self, **overrides: Any) -> Any:
        from edge_app.sync.engine import SyncOptions

        values: dict[str, Any] = {
            "batch_size": self.config.batch_size,
            "concurrency": self.config.concurrency,
            "query_interval": float(self.config.query_interval),
            "pending_wait": float(self.config.pending_wait),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return SyncOptions(**values)

    def sync(
        self,
        *,
        trigger: str = "manual",
        progress: Callable[[Any], None] | None = None,
        cancel: Any = None,
        transport: Any = None,
        **overrides: Any,
    ) -> Any:
        """One sync run under the installation's inter-process lock, recorded in the history."""
        from edge_app.sync.engine import SyncEngine
        from edge_app.sync.lock import SyncLock

        with SyncLock(self.home, trigger):
            run_id = self.store.start_sync_run(trigger)
            client = self.gateway_client(transport)
            summary = None
            try:
                engine = SyncEngine(
                    self.store,
                    client,
                    self.sync_options(**overrides),
                    progress=progress,
                    cancel=cancel,
                )
                summary = engine.run()
            finally:
                client.close()
                if summary is None:
                    self.store.finish_sync_run(run_id, "error", {"outcome": "error"})
            self.store.finish_sync_run(run_id, summary.outcome, summary.to_json())
            return summary

    # -- capture ------------------------------------------------------------------------------

    def _context(self, now: datetime) -> _CaptureContext:
        oldest_ts = self.store.oldest_unsent_ts()
        return _CaptureContext(
            limits=self.limits,
            list_mode=self.list_mode,
            now=now,
            totals=self.store.unsent_totals(),
            oldest_unsent=datetime.fromtimestamp(oldest_ts).astimezone() if oldest_ts else None,
        )

    def capture_sale(self, **fields: Any) -> Capture:
        """Validate and queue one sale. Fields as `validate_sale` takes them, less `today`."""
        now = self.clock()
        with self.store.transaction() as conn:
            ctx = self._context(now)
            return self._capture_sale(conn, ctx, fields)

    def _capture_sale(
        self, conn: Connection, ctx: _CaptureContext, fields: Mapping[str, Any]
    ) -> Capture:
        fields = dict(fields)
        captured_at = fields.pop("captured_at", None) or ctx.now
        sale = validate_sale(**fields, today=ctx.now.date())
        if self.store.get(sale.uuid) is not None:
            raise ValidationError(f"A transaction with uuid {sale.uuid} is already stored.", "uuid")
        check_card_against_list(
            ctx.list_mode, self.store.blocklist_is_listed(sale.card.card_number)
        )
        exposure = sale.amount + (sale.tips or Decimal(0))
        warnings = check_capture_limits(
            ctx.limits,
            currency=sale.currency,
            amount=exposure,
            stored_total=ctx.totals.get(sale.currency, Decimal(0)),
            oldest_unsent=ctx.oldest_unsent,
            now=ctx.now,
        )
        self.store.insert_sale(
            conn,
            uuid=sale.uuid,
            amount=sale.amount,
            currency=sale.currency,
            tips=sale.tips,
            card=sale.card,
            auth_code=sale.auth_code,
            captured_at=captured_at,
            sn=self.config.device_id,
        )
        ctx.totals[sale.currency] = ctx.totals.get(sale.currency, Decimal(0)) + exposure
        if ctx.oldest_unsent is None:
            ctx.oldest_unsent = captured_at
        return Capture(sale.uuid, TxState.QUEUED, tuple(warnings))

    def _original(self, ident: str) -> TxRecord | None:
        text = ident.strip()
        if not text:
            raise ValidationError("Give the uuid or BRN of the original sale.", "original")
        record = self.store.find(text)
        if record is not None and record.kind is not TxKind.SALE:
            raise ValidationError(
                f"{text} is a {record.kind.value}, not a sale; give the original sale.", "original"
            )
        return record

    def capture_void(self, original: str, *, uuid: str | None = None) -> Capture:
        now = self.clock()
        with self.store.transaction() as conn:
            return self._capture_void(conn, now, original, uuid)

    def _capture_void(
        self, conn: Connection, now: datetime, original: str, uuid: str | None
    ) -> Capture:
        from edge_app.domain.transactions import new_uuid

        new_id = validate_uuid(uuid) if uuid else new_uuid()
        if self.store.get(new_id) is not None:
            raise ValidationError(f"A transaction with uuid {new_id} is already stored.", "uuid")
        sale = self._original(original)
        if sale is None:
            brn = original.strip()
            if _looks_like_uuid(brn):
                raise ValidationError(f"No sale with uuid {brn} is stored on this PC.", "original")
            # A sale taken online earlier: only the gateway knows it; the void goes by its BRN.
            self.store.insert_follow_up(
                conn,
                uuid=new_id,
                kind=TxKind.VOID,
                origin=None,
                origin_brn=brn,
                amount=None,
                currency=None,
                captured_at=now,
            )
            return Capture(new_id, TxState.QUEUED)
        check_void(self.store.sale_status(sale))
        if sale.state is TxState.QUEUED and not sale.ever_sent:
            # Never put on the wire: cancel both locally, nothing goes to the gateway for either.
            # A sale that was sent, even without an answer, may be charged: its void waits for
            # the sale's BRN and is uploaded.
            self.store.insert_follow_up(
                conn,
                uuid=new_id,
                kind=TxKind.VOID,
                origin=sale,
                origin_brn=None,
                amount=sale.amount,
                currency=sale.currency,
                captured_at=now,
                state=TxState.CANCELLED,
            )
            self.store.set_state(
                conn, sale, TxState.CANCELLED, detail=f"voided by {new_id} before upload"
            )
            return Capture(
                new_id,
                TxState.CANCELLED,
                note="The sale was not sent yet, so it and this void were cancelled locally.",
            )
        self.store.insert_follow_up(
            conn,
            uuid=new_id,
            kind=TxKind.VOID,
            origin=sale,
            origin_brn=sale.brn,
            amount=sale.amount,
            currency=sale.currency,
            captured_at=now,
        )
        return Capture(new_id, TxState.QUEUED)

    def capture_refund(self, original: str, amount: str, *, uuid: str | None = None) -> Capture:
        now = self.clock()
        with self.store.transaction() as conn:
            return self._capture_refund(conn, now, original, amount, uuid)

    def _capture_refund(
        self, conn: Connection, now: datetime, original: str, amount: str, uuid: str | None
    ) -> Capture:
        from edge_app.domain.transactions import new_uuid

        new_id = validate_uuid(uuid) if uuid else new_uuid()
        if self.store.get(new_id) is not None:
            raise ValidationError(f"A transaction with uuid {new_id} is already stored.", "uuid")
        sale = self._original(original)
        if sale is None:
            raise ValidationError(
                f"No sale {original.strip()} is stored on this PC; a refund needs its amount "
                "and currency, so refund it where it was taken.",
                "original",
            )
        assert sale.currency is not None
        value = parse_amount(amount, sale.currency)
        check_refund(self.store.sale_status(sale), value)
        self.store.insert_follow_up(
            conn,
            uuid=new_id,
            kind=TxKind.REFUND,
            origin=sale,
            origin_brn=sale.brn,
            amount=value,
            currency=sale.currency,
            captured_at=now,
        )
        return Capture(new_id, TxState.QUEUED)

    def retry_failed(self, uuid: str) -> None:
        """A manager sends a held or failed record again (same uuid: the gateway's idempotency
        holds)."""
        record = self.store.get(uuid)
        if record is None:
            raise ValidationError(f"No transaction with uuid {uuid} is stored.")
        if record.state not in (TxState.FAILED, TxState.HELD):
            raise ValidationError("Only held or failed transactions can be retried.")
        if record.kind is TxKind.SALE and self.store.load_card(uuid) is None:
            raise ValidationError(
                "This sale's card data was erased after its final answer; take a new sale instead."
            )
        with self.store.transaction() as conn:
            self.store.set_state(conn, record, TxState.QUEUED, detail="retry requested")
            conn.execute(
                "UPDATE transactions SET attempts = 0, next_attempt_ts = 0, error_code = NULL, "
                "error_desc = NULL WHERE uuid = ?",
                (uuid,),
            )

    def give_up_held(self, uuid: str) -> None:
        """A manager decides a held record will never be sent: it fails and its card data is
        erased now (instead of after the held time)."""
        record = self.store.get(uuid)
        if record is None:
            raise ValidationError(f"No transaction with uuid {uuid} is stored.")
        if record.state is not TxState.HELD:
            raise ValidationError("Only transactions held for a manager can be given up.")
        with self.store.transaction() as conn:
            self.store.set_state(conn, record, TxState.FAILED, detail="given up by a manager")

    # -- import -------------------------------------------------------------------------------

    def import_transactions(self, path: Path) -> list[Capture]:
        """Store every row of a .jsonl or .csv file, or none of them."""
        rows = list(_read_rows(path))
        problems: list[str] = []
        captures: list[Capture] = []
        now = self.clock()
        try:
            with self.store.transaction() as conn:
                ctx = self._context(now)
                for line, row in rows:
                    if isinstance(row, str):
                        problems.append(f"line {line}: {row}")
                    else:
                        try:
                            captures.append(self._import_row(conn, ctx, row))
                        except FormErrors as exc:
                            problems.append(f"line {line}: " + " ".join(exc.errors.values()))
                        except ValidationError as exc:
                            problems.append(f"line {line}: {exc}")
                    if len(problems) >= MAX_IMPORT_PROBLEMS:
                        break
                if problems:
                    raise ImportRefused(
                        f"{path.name} was not imported: {len(problems)} bad row(s); "
                        "nothing was stored.",
                        problems,
                    )
        except ImportRefused:
            raise
        if not captures:
            raise ValidationError(f"{path.name} has no transactions to import.")
        return captures

    def _import_row(self, conn: Connection, ctx: _CaptureContext, row: dict[str, str]) -> Capture:
        unknown = sorted(set(row) - set(IMPORT_KEYS))
        if unknown:
            raise ValidationError(f"unknown column(s) {', '.join(unknown)}.")
        kind = (row.get("kind") or "").strip().lower()
        uuid = (row.get("uuid") or "").strip() or None
        if kind == "sale":
            fields: dict[str, Any] = {
                "amount": row.get("amount") or "",
                "currency": row.get("currency") or "",
                "tips": row.get("tips") or None,
                "reader_mode": (row.get("reader_mode") or "manual").strip().lower(),
                "card_number": row.get("card_number") or None,
                "expiry": row.get("expiry") or None,
                "cvv": row.get("cvv") or None,
                "track2": row.get("track2") or None,
                "card_sn": row.get("card_sn") or None,
                "icc": row.get("icc") or None,
                "auth_code": row.get("auth_code") or None,
                "uuid": uuid,
            }
            if row.get("captured_at"):
                fields["captured_at"] = _parse_captured_at(row["captured_at"], ctx.now)
            return self._capture_sale(conn, ctx, fields)
        if kind == "void":
            return self._capture_void(conn, ctx.now, row.get("original") or "", uuid)
        if kind == "refund":
            return self._capture_refund(
                conn, ctx.now, row.get("original") or "", row.get("amount") or "", uuid
            )
        raise ValidationError("kind must be sale, void or refund.")

    # -- card block list ----------------------------------------------------------------------

    def blocklist_add(self, numbers: Sequence[str]) -> int:
        valid = _validate_numbers(numbers, "argument")
        with self.store.transaction() as conn:
            return self.store.blocklist_change(conn, valid, desired=True)

    def blocklist_del(self, numbers: Sequence[str]) -> int:
        valid = _validate_numbers(numbers, "argument")
        with self.store.transaction() as conn:
            return self.store.blocklist_change(conn, valid, desired=False)

    def blocklist_import(self, path: Path, *, delete: bool = False) -> int:
        numbers = _read_card_numbers(path)
        with self.store.transaction() as conn:
            return self.store.blocklist_change(conn, numbers, desired=not delete)

    def blocklist_export(self, path: Path) -> int:
        """Write the list as a CSV of masked numbers (full numbers never leave the database)."""
        from storage.files import atomic_write

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["masked_card_number", "on_gateway", "pending", "failed_reason"])
        count = 0
        offset = 0
        while True:
            entries = self.store.blocklist_entries(offset=offset, limit=5000)
            if not entries:
                break
            for entry in entries:
                writer.writerow(
                    [
                        entry.masked,
                        "yes" if entry.on_gateway else "no",
                        entry.pending or "",
                        entry.failed_reason or "",
                    ]
                )
                count += 1
            offset += len(entries)
        atomic_write(path, out.getvalue().encode())
        return count

    # -- status -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self.clock()
        oldest_ts = self.store.oldest_unsent_ts()
        oldest = datetime.fromtimestamp(oldest_ts).astimezone() if oldest_ts else None
        runs = self.store.sync_runs(limit=1)
        return {
            "version": __version__,
            "home": str(self.home),
            "store_id": self.config.store_id,
            "environment": self.config.environment,
            "base_url": self.config.base_url,
            "key_store": self.key_source.backend,
            "list_mode": self.config.list_mode,
            "transactions": self.store.counts_by_state(),
            "unsent_totals": {
                cur: format_amount(total, cur)
                for cur, total in sorted(self.store.unsent_totals().items())
            },
            "oldest_unsent": oldest.isoformat() if oldest else None,
            # never negative: after the clock was moved back the oldest record looks "future"
            "oldest_unsent_age_hours": round(max((now - oldest).total_seconds(), 0) / 3600, 2)
            if oldest
            else None,
            "age_level": age_level(oldest, now, self.limits).value,
            "blocklist": self.store.blocklist_counts(),
            "last_sync": runs[0] if runs else None,
        }


def _looks_like_uuid(text: str) -> bool:
    try:
        validate_uuid(text)
    except ValidationError:
        return False
    return True


def _parse_captured_at(text: str, now: datetime) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            "captured_at must be an RFC 3339 time such as 2026-11-26T14:05:00+08:00."
        ) from None
    if value.tzinfo is None:
        raise ValidationError("captured_at must include a UTC offset, such as +08:00.")
    if value > now:
        raise ValidationError("captured_at is in the future.")
    return value


def _validate_numbers(numbers: Sequence[str], what: str) -> list[str]:
    if not numbers:
        raise ValidationError("Give at least one card number.")
    valid: list[str] = []
    for index, number in enumerate(numbers, start=1):
        try:
            valid.append(normalize_card_number(number))
        except ValidationError as exc:
            raise ValidationError(f"{what.capitalize()} {index}: {exc}") from None
    return valid


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f"File {path} does not exist.") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name} is not a UTF-8 text file.") from None
    except OSError as exc:
        raise ValidationError(f"{path.name} cannot be read ({exc.strerror}).") from None


def _read_card_numbers(path: Path) -> list[str]:
    """One card number per line, or a CSV whose first column is the number; a header is skipped."""
    text = _read_text(path)
    numbers: list[str] = []
    problems: list[str] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip():
            continue
        cell = row[0].strip()
        if line_no == 1 and any(ch.isalpha() for ch in cell):
            continue  # a header such as "card_number"
        try:
            numbers.append(normalize_card_number(cell))
        except ValidationError as exc:
            problems.append(f"line {line_no}: {exc}")
    if problems:
        raise ImportRefused(
            f"{path.name} was not imported: {len(problems)} invalid card number(s); "
            "nothing was changed.",
            problems[:MAX_IMPORT_PROBLEMS],
        )
    if not numbers:
        raise ValidationError(f"{path.name} has no card numbers.")
    return numbers


def _read_rows(path: Path) -> Iterable[tuple[int, dict[str, str] | str]]:
    """(line number, row) pairs; a row that cannot be parsed comes as its problem sentence."""
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                yield line_no, "not valid JSON."
                continue
            if not isinstance(doc, dict):
                yield line_no, "must be a JSON object."
                continue
            yield line_no, {str(k): "" if v is None else str(v) for k, v in doc.items()}
    elif suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "kind" not in reader.fieldnames:
            raise ValidationError(f"{path.name} needs a header row with at least a 'kind' column.")
        unknown = sorted(set(reader.fieldnames) - set(IMPORT_KEYS))
        if unknown:
            raise ValidationError(f"{path.name} has unknown column(s): {', '.join(unknown)}.")
        for row in reader:
            if None in row:
                yield reader.line_num, "has more cells than the header."
                continue
            yield reader.line_num, {k: (v or "") for k, v in row.items()}
    else:
        raise ValidationError(f"{path.name}: use a .jsonl or .csv file.")


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
        shutil.rmtree(home, ignore_errors=True)


class _TokenStore:
    """The gateway token lives in the encrypted settings table (one per installation)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def load_token(self) -> str | None:
        return self._store.get_setting(SECRET_TOKEN)

    def save_token(self, token: str) -> None:
        self._store.set_setting(SECRET_TOKEN, token, audit_detail="gateway token renewed")


def _environment_secret(config: AppConfig) -> str:
    from edge_app.gateway.adapter import ENVIRONMENTS

    if config.environment in ENVIRONMENTS:
        return ENVIRONMENTS[config.environment].client_secret
    if config.environment == "sandbox":
        return SANDBOX_CLIENT
    raise KeyUnavailable("The custom environment's client secret is missing; run init again.")


def local_time_zone() -> str:
    """The IANA name of the local zone (X-USER-TIME-ZONE), or UTC when it cannot be told."""
    import os as _os

    tz = _os.environ.get("TZ", "")
    if "/" in tz:
        return tz.lstrip(":")
    try:
        link = Path("/etc/localtime").resolve()
        parts = link.parts
        if "zoneinfo" in parts:
            return "/".join(parts[parts.index("zoneinfo") + 1 :])
    except OSError:
        pass
    try:
        tzname = Path("/etc/timezone").read_text().strip()
        if tzname:
            return tzname
    except OSError:
        pass
    return "UTC"


def system_description() -> str:
    return f"{platform.system()} {platform.release()}".strip()


def today() -> date:
    return local_now().date()
