"""The httpx client for the gateway contract.

One `httpx.Client` per `GatewayClient`, shared by the sync engine's threads. The client sends each
request once and maps every answer to a result or a typed error; the only thing it repeats on its
own is a single re-login after a 401 (retries belong to the sync engine, see `retry.py`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from edge_app.domain.transactions import Outgoing, TxKind
from edge_app.gateway.adapter import (
    LOGIN_PATH,
    DeviceInfo,
    QueryResult,
    UploadResult,
    card_block_body,
    card_block_path,
    check_results_against_items,
    common_headers,
    encode_body,
    login_body,
    offline_upload_path,
    parse_card_block_response,
    parse_error_body,
    parse_login_response,
    parse_query_response,
    parse_upload_response,
    query_path,
    sign_body,
    upload_body_bytes,
)
from edge_app.gateway.errors import (
    AccountDisabled,
    AuthError,
    GatewayError,
    InvalidCardNumbers,
    OutcomeUnknown,
    PermanentError,
    ProtocolError,
    RateLimited,
    StoreConfigurationError,
    TransientError,
    describe_code,
    hide_secrets,
    is_known_transient,
    scrub_text,
)
from edge_app.gateway.retry import parse_retry_after
from edge_app.gateway.urls import check_url_allowed

log = logging.getLogger("edge_app.gateway")

MAX_CONNECTIONS = 8
ResultT = TypeVar("ResultT", UploadResult, QueryResult)


@dataclass(frozen=True)
class GatewayConfig:
    login_url: str
    base_url: str
    store_id: str
    client_id: str
    client_secret: str
    device: DeviceInfo
    signing_secret: str | None = None
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_response_bytes: int = 8 * 1024 * 1024

    def __repr__(self) -> str:
        return (
            f"GatewayConfig(base_url={self.base_url!r}, login_url={self.login_url!r}, "
            f"store_id={self.store_id!r}, signing={'on' if self.signing_secret else 'off'})"
        )


class TokenStore(Protocol):
    def load_token(self) -> str | None: ...

    def save_token(self, token: str) -> None: ...


Credentials = Callable[[], tuple[str, str]]  # (username, password), read when needed


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


class GatewayClient:
    def __init__(
        self,
        config: GatewayConfig,
        token_store: TokenStore,
        credentials: Credentials,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._config = config
        self._base_url = check_url_allowed(config.base_url, "base_url")
        self._login_url = check_url_allowed(config.login_url, "login_url")
        self._token_store = token_store
        self._credentials = credentials
        self._now = now
        self._http = httpx.Client(
            transport=transport,
            verify=True,
            http1=True,
            http2=False,
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
            ),
            follow_redirects=False,
        )
        # `_login_lock` serialises logins; `_token_lock` guards the token for quick reads.
        self._login_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._token: str | None = token_store.load_token() or None
        self._password: str | None = None  # known once read: hidden in the gateway's text

    def __repr__(self) -> str:
        return f"GatewayClient(base_url={self._base_url!r}, store_id={self._config.store_id!r})"

    # -- public API ----------------------------------------------------------------------------

    def login(self, username: str | None = None, password: str | None = None) -> str:
        """Log in (with the stored credentials unless given) and keep the token via the store."""
        with self._login_lock:
            return self._login_locked(username, password)

    def upload(self, kind: TxKind, items: Sequence[Outgoing]) -> list[UploadResult]:
        """Send one batch of offline transactions of `kind`; one result per item, same order."""
        if not items:
            return []
        if any(item.kind != kind for item in items):
            raise ValueError(f"every item of a {kind.value} upload must be a {kind.value}")
        body = upload_body_bytes(items)
        payload = self._call(
            "POST", offline_upload_path(self._config.store_id, kind), body, len(items)
        )
        results = parse_upload_response(payload, [item.uuid for item in items])
        return [self._hidden(r) for r in check_results_against_items(results, items)]

    def query(self, ident: str) -> QueryResult:
        """The gateway's current record of one transaction, by uuid or BRN."""
        payload = self._call("GET", query_path(self._config.store_id, ident), None, 1)
        return self._hidden(parse_query_response(payload, ident))

    def card_block(self, op: Literal["add", "del"], numbers: Sequence[str]) -> int:
        """Add card numbers to, or delete them from, the store's list; the gateway's count."""
        if not numbers:
            return 0
        body = card_block_body(numbers)
        payload = self._call(
            "POST", card_block_path(self._config.store_id, op), encode_body(body), len(numbers)
        )
        return parse_card_block_response(payload)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- token handling ------------------------------------------------------------------------

    def _current_token(self) -> str | None:
        with self._token_lock:
            return self._token

    def _login_locked(self, username: str | None, password: str | None) -> str:
        if username is None or password is None:
            stored_user, stored_password = self._read_credentials()
            username = stored_user if username is None else username
            password = stored_password if password is None else password
        body = encode_body(
            login_body(username, password, self._config.client_id, self._config.client_secret)
        )
        answer = self._send("POST", self._login_url + LOGIN_PATH, LOGIN_PATH, body, None, None)
        self._password = password
        if answer.status != 200:
            raise self._login_error(answer, password)
        token = parse_login_response(self._json(answer))
        with self._token_lock:
            self._token = token
        self._token_store.save_token(token)
        return token

    def _read_credentials(self) -> tuple[str, str]:
        try:
            return self._credentials()
        except GatewayError:
            raise
        except Exception as exc:
            raise AuthError(
                f"Could not read the stored gateway login: {scrub_text(str(exc))}"
            ) from None

    def _fresh_token(self, stale: str | None) -> str:
        """A token newer than `stale`: another thread's if it already logged in, else a new login.

        Logging in again invalidates the previous token, so threads that all got a 401 for the
        same token must share one login instead of each logging in (and logging the others out).
        """
        with self._login_lock:
            current = self._current_token()
            if current is not None and current != stale:
                return current
            return self._login_locked(None, None)

    def _login_error(self, answer: _Answer, password: str) -> GatewayError:
        if answer.status == 429 or answer.status >= 500:
            return self._status_error(answer)
        code, desc, _ = self._error_details(answer, password)
        if code == "100003":
            return AccountDisabled(describe_code(code, desc), error_code=code, status=answer.status)
        return AuthError(
            f"The gateway refused the login (HTTP {answer.status}); check the user name and "
            "password.",
            error_code=code,
            status=answer.status,
        )

    # -- one request ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, content: bytes | None, count: int) -> object:
        """Send a request with the token; after a 401 log in once and resend the same bytes."""
        url = self._base_url + path
        token = self._current_token()
        if token is None:
            token = self._fresh_token(None)
        answer = self._send(method, url, path, content, token, count)
        if answer.status == 401:
            self._raise_if_account_disabled(answer)
            token = self._fresh_token(token)
            answer = self._send(method, url, path, content, token, count)
            if answer.status == 401:
                self._raise_if_account_disabled(answer)
                raise AuthError(
                    "The gateway still refused the access after logging in again; check the "
                    "user name, password and signing secret.",
                    status=401,
                )
        if 200 <= answer.status < 300:
            return self._json(answer)
        raise self._status_error(answer)

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        content: bytes | None,
        token: str | None,
        count: int | None,
    ) -> _Answer:
        headers = common_headers(self._config.device, token, self._now())
        if self._config.signing_secret:
            headers["X-SIGNATURE"] = sign_body(content or b"", self._config.signing_secret)
        host = urlsplit(url).hostname or "?"
        start = time.monotonic()
        try:
            request = self._http.build_request(method, url, content=content, headers=headers)
            response = self._http.send(request, stream=True)
            try:
                body = self._read_bounded(response)
            finally:
                response.close()
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ProxyError,
        ) as exc:
            self._log(method, path, None, start, count, type(exc).__name__)
            raise TransientError(
                f"Could not connect to the gateway at {host}: {self._reason(exc)}"
            ) from None
        except httpx.TransportError as exc:
            # Timeouts, resets and broken answers after the request left: it may have been applied.
            self._log(method, path, None, start, count, type(exc).__name__)
            raise OutcomeUnknown(
                f"The connection to the gateway at {host} failed before the answer arrived "
                f"({self._reason(exc)}); the same request must be sent again."
            ) from None
        self._log(method, path, response.status_code, start, count, None)
        return _Answer(response.status_code, response.headers, body)

    def _read_bounded(self, response: httpx.Response) -> bytes:
        limit = self._config.max_response_bytes
        too_large = ProtocolError(
            f"The gateway's answer is larger than {limit} bytes and was not read.",
            status=response.status_code,
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        # The read timeout applies to each read, so a body that trickles in forever would never
        # trip it: the whole body must also arrive within the request timeout.
        deadline = time.monotonic() + self._config.timeout
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                raise too_large
            if time.monotonic() > deadline:
                raise OutcomeUnknown(
                    f"The gateway's answer did not finish within {self._config.timeout:g} "
                    "seconds; the same request must be sent again.",
                    status=response.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _reason(exc: Exception) -> str:
        text = scrub_text(str(exc), 120).rstrip(".")
        return text or type(exc).__name__

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        start: float,
        count: int | None,
        failure: str | None,
    ) -> None:
        elapsed_ms = int((time.monotonic() - start) * 1000)
        log.info(
            "%s %s -> %s in %d ms (%s items)",
            method,
            scrub_text(path, 300),
            status if status is not None else failure,
            elapsed_ms,
            count if count is not None else "-",
        )

    # -- answers -------------------------------------------------------------------------------

    @staticmethod
    def _json(answer: _Answer) -> object:
        """The parsed JSON body of an answer, or ProtocolError for HTML or broken JSON."""
        body = answer.body
        if not body.strip():
            raise ProtocolError(
                f"The gateway answered HTTP {answer.status} with an empty body.",
                status=answer.status,
            )
        if body.lstrip()[:1] == b"<":
            raise ProtocolError(
                f"The gateway answered HTTP {answer.status} with a web page instead of data; the "
                "address may point at the wrong server.",
                status=answer.status,
            )
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ProtocolError(
                f"The gateway answered HTTP {answer.status} with data that is not valid JSON.",
                status=answer.status,
            ) from None

    @classmethod
    def _json_or_none(cls, answer: _Answer) -> object:
        try:
            return cls._json(answer)
        except ProtocolError:
            return None

    def _error_details(
        self, answer: _Answer, *secrets: str | None
    ) -> tuple[str | None, str | None, list[str]]:
        """The error body's fields, with any secret this client holds cut out of the text."""
        code, desc, numbers = parse_error_body(self._json_or_none(answer))
        known = (*self._secrets(), *secrets)
        if desc:
            desc = hide_secrets(desc, known)
        if code:
            code = hide_secrets(code, known)
        return code, desc, numbers

    def _secrets(self) -> list[str | None]:
        """What this client knows to be secret: the token, the client and signing secrets and
        the password (read once from the store, when gateway text first needs checking)."""
        if self._password is None:
            try:
                self._password = self._credentials()[1]
            except Exception:  # no password stored yet (a first login): nothing to hide
                self._password = ""
        return [
            self._current_token(),
            self._config.client_secret,
            self._config.signing_secret,
            self._password,
        ]

    def _hidden(self, result: ResultT) -> ResultT:
        """An item's result with the known secrets cut out of the gateway's text."""
        if not result.error_desc and not result.error_code:
            return result
        known = self._secrets()
        return replace(
            result,
            error_desc=hide_secrets(result.error_desc, known) if result.error_desc else None,
            error_code=hide_secrets(result.error_code, known) if result.error_code else None,
        )

    def _raise_if_account_disabled(self, answer: _Answer) -> None:
        code, desc, _ = self._error_details(answer)
        if code == "100003":
            raise AccountDisabled(describe_code(code, desc), error_code=code, status=answer.status)

    def _status_error(self, answer: _Answer) -> GatewayError:
        """The typed error for a non-2xx answer other than a first 401."""
        status = answer.status
        if status == 429:
            retry_after = parse_retry_after(answer.headers.get("Retry-After"), self._now())
            return RateLimited(
                "The gateway asked to slow down (HTTP 429); the request will be sent again later.",
                status=status,
                retry_after=retry_after,
            )
        if status >= 500:
            return TransientError(
                f"The gateway had a server error (HTTP {status}); the request can be sent again "
                "later.",
                status=status,
            )
        if status == 413:
            return PermanentError(
                "The gateway refused the request as too large (HTTP 413); send fewer items "
                "at once.",
                status=status,
            )
        if 300 <= status < 400:
            return ProtocolError(
                f"The gateway redirected the request (HTTP {status}); check the gateway address "
                "in the settings.",
                status=status,
            )
        code, desc, invalid_numbers = self._error_details(answer)
        if code == "100005":
            return StoreConfigurationError(
                describe_code(code, desc), error_code=code, status=status
            )
        if code == "100003":
            return AccountDisabled(describe_code(code, desc), error_code=code, status=status)
        if invalid_numbers:
            return InvalidCardNumbers(invalid_numbers, error_code=code, status=status)
        if status == 403:
            return AuthError(
                "The gateway refused access for this user (HTTP 403); check the user's rights for "
                "this store.",
                error_code=code,
                status=status,
            )
        if status == 408 or is_known_transient(code):
            return TransientError(
                f"The gateway could not take the request now (HTTP {status}): "
                f"{describe_code(code, desc)}",
                error_code=code,
                status=status,
            )
        if code is None and desc is None:
            return PermanentError(
                f"The gateway refused the request (HTTP {status}).", status=status
            )
        return PermanentError(describe_code(code, desc), error_code=code, status=status)
