"""Card data (PCI DSS in mind): never in a file, log line, message or output beyond BIN + last 4.

Also: owner-only files, https-only gateways except on loopback, and the X-SIGNATURE check.
Real SQLCipher, the real sandbox gateway on loopback and the real command line; no mocks.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from leaks import (
    LEAK_CVV,
    LEAK_MASTERCARD,
    LEAK_VISA,
    file_leaks,
    loose_permissions,
    snapshot,
    text_leaks,
)
from support import TEST_KEY

from edge_app.domain.errors import FormErrors, ValidationError
from edge_app.gateway.client import GatewayClient, GatewayConfig
from edge_app.services import App, InitSettings
from edge_app.sync.engine import EXIT_DONE, EXIT_NEEDS_PERSON

FAST = {"query_interval": 0.1, "pending_wait": 2.0}
MASKED = re.compile(r"^\d{6}\*+\d{4}$")
LONG_DIGITS = re.compile(r"\d(?:[ -]?\d){10,}")  # 11+ digits: more than BIN + last four
# A uuid's hex groups can hold long runs of digits by chance ("…-8123-1234567…"): not card data.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SWIPED = "5105105105105100"  # read by a card reader: its track 2 must vanish too
TRACK2 = f";{SWIPED}=29121010000087654?"
SECRET = "merchant-signing-secret-7fq2"


def cli(
    home: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "EDGE_APP_DB_KEY": TEST_KEY,
        "EDGE_APP_LOG_LEVEL": "DEBUG",
        "PYTHONDONTWRITEBYTECODE": "1",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "edge_app", "--home", str(home), *args],
        env=full_env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter()
    return [
        r.getMessage() + (formatter.formatException(r.exc_info) if r.exc_info else "")
        for r in caplog.records
    ]


ALL_CARDS = (LEAK_VISA, LEAK_MASTERCARD, SWIPED)


def assert_clean(texts: list[str], what: str) -> None:
    for text in texts:
        assert text_leaks(text, ALL_CARDS) == [], f"{what}: {text[:300]}"


def test_capture_sync_and_refusals_leave_no_card_data_anywhere(
    online_app: Any, gateway: Any, home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway.set_options(decline_cards=frozenset({LEAK_MASTERCARD}))
    messages: list[str] = []
    visa = online_app.capture_sale(
        amount="12.50", currency="HKD", card_number=LEAK_VISA, expiry="2912", cvv=LEAK_CVV
    ).uuid
    declined = online_app.capture_sale(
        amount="20.00", currency="HKD", card_number=LEAK_MASTERCARD, expiry="2912", cvv=LEAK_CVV
    ).uuid
    swiped = online_app.capture_sale(
        amount="7.00", currency="HKD", reader_mode="swipe", track2=TRACK2, cvv=LEAK_CVV
    ).uuid
    # Refusals name the problem, never the card.
    refusals: list[dict[str, Any]] = [
        {"card_number": LEAK_VISA[:-1] + "0", "expiry": "2912", "cvv": LEAK_CVV},  # bad Luhn
        {"card_number": LEAK_VISA, "expiry": "1901", "cvv": LEAK_CVV},  # expired
        {"card_number": LEAK_VISA, "expiry": "2912", "cvv": LEAK_CVV + "12"},  # CVV too long
        {"reader_mode": "swipe", "track2": TRACK2.replace("=2912", "=2913"), "cvv": LEAK_CVV},
        {"card_number": LEAK_VISA, "reader_mode": "swipe", "track2": TRACK2},  # numbers differ
    ]
    for fields in refusals:
        with pytest.raises(ValidationError) as info:
            online_app.capture_sale(amount="1.00", currency="HKD", **fields)
        messages += [str(info.value), repr(info.value)]
        if isinstance(info.value, FormErrors):
            messages += list(info.value.errors.values())
    online_app.blocklist_add([LEAK_VISA])
    with pytest.raises(ValidationError) as info:
        online_app.capture_sale(amount="1.00", currency="HKD", card_number=LEAK_VISA, expiry="2912")
    messages.append(str(info.value))
    bad_import = tmp_path / "bad.jsonl"
    row = {"kind": "sale", "amount": "x", "currency": "HKD", "card_number": LEAK_VISA}
    bad_import.write_text(json.dumps({**row, "expiry": "2912", "cvv": LEAK_CVV}) + "\n")
    with pytest.raises(ValidationError) as info:
        online_app.import_transactions(bad_import)
    messages += [str(info.value), *getattr(info.value, "problems", [])]
    bad_import.unlink()
    # In-process sync: one decline (needs a person), the others go through.
    summary = online_app.sync(**FAST)
    assert summary.exit_code == EXIT_NEEDS_PERSON, summary.to_json()
    messages.append(json.dumps(summary.to_json()))
    received = gateway.received()["transactions"]
    assert received[visa]["masked_card"] == "492938******2289"  # the full card did go out
    assert online_app.store.get(declined).state.value == "failed"
    for uuid in (visa, declined, swiped):  # every final answer erased the card data
        assert not online_app.store.has_card_data(uuid)
    for record in online_app.store.list_transactions():
        assert record.masked_card is None or MASKED.match(record.masked_card)
        messages += [repr(record), record.error_desc or ""]
        messages += [str(row) for row in online_app.store.audit_trail(record.uuid)]
    messages.append(json.dumps(online_app.status()))
    # The command line: a capture typed in, an unattended sync with its run log, reports.
    spaced = LEAK_VISA.replace("4929", "4929 ", 1)
    captured = cli(
        home, "capture", "sale", "--amount", "3.00", "--currency", "HKD", "--expiry", "2912",
        "--card-stdin", stdin=f"card_number={spaced}\ncvv={LEAK_CVV}",
    )  # fmt: skip
    assert captured.returncode == 2  # on the block list: refused
    online_app.blocklist_del([LEAK_VISA])
    argv_refused = cli(
        home, "capture", "sale", "--amount", "3.00", "--currency", "HKD",
        "--card-number", LEAK_VISA, "--expiry", "2912", "--cvv", LEAK_CVV,
    )  # fmt: skip
    assert argv_refused.returncode == 2 and "--card-stdin" in argv_refused.stderr
    messages += [argv_refused.stdout, argv_refused.stderr]
    captured = cli(
        home, "capture", "sale", "--amount", "3.00", "--currency", "HKD", "--expiry", "2912",
        "--card-stdin", stdin=f"card_number={LEAK_VISA}\ncvv={LEAK_CVV}\n",
    )  # fmt: skip
    assert captured.returncode == 0, captured.stderr
    unattended = cli(home, "sync", "--unattended", "--json")
    assert unattended.returncode == EXIT_DONE, unattended.stdout + unattended.stderr
    run_log = (home / "logs" / "edge-app.log").read_text("utf-8")
    assert "sync finished" in run_log and "/payment/offline/sale" in run_log  # really logged
    status = cli(home, "status", "--json")
    listed = cli(home, "blocklist", "add", stdin=f"{LEAK_MASTERCARD}\n{SWIPED}\n")
    assert listed.returncode == 0, listed.stderr
    listing = cli(home, "blocklist", "list", "--json")
    text_listing = cli(home, "blocklist", "list")
    export = tmp_path / "list.csv"
    exported = cli(home, "blocklist", "export", str(export))
    assert exported.returncode == 0, exported.stderr
    entries = json.loads(listing.stdout)["entries"]
    assert {e["card"] for e in entries} == {"535172******0533", "510510******5100"}
    assert all(MASKED.match(e["card"]) for e in entries)
    for result in (captured, unattended, status, listed, listing, text_listing, exported):
        assert result.returncode == 0, result.stderr
        assert LONG_DIGITS.search(UUID.sub("<uuid>", result.stdout)) is None, result.stdout
        messages += [result.stdout, result.stderr]
    messages += [export.read_text("utf-8"), run_log]
    assert "DEBUG" in unattended.stderr  # the subprocess really logged at DEBUG
    # Nothing anywhere: files under the home (database, WAL, logs, config, lock), log records,
    # messages and outputs.
    online_app.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert file_leaks(home, ALL_CARDS) == []
    assert file_leaks(tmp_path, ALL_CARDS) == []
    assert_clean(log_lines(caplog), "log record")
    assert_clean(messages, "message")
    assert len(caplog.records) > 10


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """A typical desktop umask (022): files must still come out owner-only."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_every_file_under_the_home_is_owner_only(
    lax_umask: None, online_app: Any, gateway: Any, home: Path, tmp_path: Path
) -> None:
    online_app.capture_sale(amount="1.00", currency="HKD", card_number=LEAK_VISA, expiry="2912")
    online_app.sync(**FAST)
    online_app.blocklist_add([LEAK_MASTERCARD])
    online_app.update_config(shop_close="21:30")
    result = cli(home, "sync", "--unattended")
    assert result.returncode == EXIT_DONE, result.stderr
    names = {str(p.relative_to(home)) for p in home.rglob("*")}
    assert {"queue.db", "config.json", "keystore.json", "sync.lock", "logs/edge-app.log"} <= names
    assert loose_permissions(home) == []
    # The passphrase-file backend: the wrapped key file too.
    other = tmp_path / "file-backend"
    app = App.init(
        other,
        InitSettings(store_id="s2", environment="sandbox", username="u", key_store="file"),
        env={},
        passphrase_provider=lambda: "a long passphrase for tests",
    )
    app.capture_sale(amount="1.00", currency="HKD", card_number=LEAK_VISA, expiry="2912")
    app.close()
    assert (other / "db.key").exists()
    assert loose_permissions(other) == []
    assert file_leaks(home) == [] and file_leaks(other) == []


REFUSED_URLS = [
    "http://example.com",
    "http://gateway.example.com:8080/base",
    "HTTP://PAYMENT.EXAMPLE.COM",
    "http://127.0.0.1.example.com",
    "http://localhost.example.com",
    "http://10.0.0.5:8765",
    "http://user:pw@127.0.0.1:8765",
    "ftp://127.0.0.1",
    "127.0.0.1:8765",
]
ALLOWED_URLS = [
    "https://example.com",
    "https://gateway.example.com:8443/base",
    "http://127.0.0.1:8765",
    "http://localhost:8765",
    "http://LOCALHOST",
    "http://127.0.0.2:9000",
    "http://[::1]:8765",
]


def gateway_config(url: str, app: Any) -> GatewayConfig:
    return GatewayConfig(
        login_url=url,
        base_url=url,
        store_id="store-1",
        client_id="c",
        client_secret="s",
        device=app.device_info(),
    )


class _NoTokens:
    def load_token(self) -> str | None:
        return None

    def save_token(self, token: str) -> None:
        raise AssertionError("no login expected")


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_plain_http_is_refused_for_other_hosts(
    app: Any, home: Path, tmp_path: Path, url: str
) -> None:
    other = tmp_path / "other"
    settings = InitSettings(
        store_id="s1", environment="custom", username="u", base_url=url,
        client_id="c", client_secret="x",
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        App.init(other, settings)
    assert not other.exists()
    message = str(info.value)
    assert len(message.splitlines()) == 1 and message.endswith(".")
    if url.lower().startswith("http://") and "@" not in url:
        assert "Plain http is only allowed for this computer" in message, message
    before = snapshot(home)
    for field in ("base_url", "login_url"):
        with pytest.raises(ValidationError):
            app.update_config(**{field: url})
    assert snapshot(home) == before and app.config.base_url == "http://127.0.0.1:8765"
    with pytest.raises(ValidationError):
        GatewayClient(gateway_config(url, app), _NoTokens(), lambda: ("u", "p"))


@pytest.mark.parametrize("url", ALLOWED_URLS)
def test_https_and_loopback_http_are_accepted(app: Any, url: str) -> None:
    assert app.update_config(base_url=url, login_url=url).base_url == url.rstrip("/")
    client = GatewayClient(gateway_config(url, app), _NoTokens(), lambda: ("u", "p"))
    client.close()


def signed_app(home: Path, base_url: str, secret: str | None) -> Any:
    app = App.init(
        home,
        InitSettings(
            store_id="store-1",
            environment="sandbox",
            username="cashier",
            base_url=base_url,
            signing_secret=secret,
        ),
    )
    app.login("sandbox")
    return app


def test_signature_is_checked_and_a_wrong_one_keeps_records_queued(
    gateway: Any, db_key: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway.set_options(signing_secret=SECRET)
    home = tmp_path / "signed"
    app = signed_app(home, gateway.url, SECRET)
    try:
        ok = app.capture_sale(amount="5.00", currency="HKD", card_number=LEAK_VISA, expiry="2912")
        summary = app.sync(**FAST)
        assert summary.exit_code == EXIT_DONE, summary.to_json()
        assert gateway.received()["transactions"][ok.uuid]["processed"] == 1
        # The gateway's secret changes (or ours is wrong): every request is refused with 401.
        gateway.set_options(signing_secret="a-different-secret")
        refused = app.capture_sale(
            amount="6.00", currency="HKD", card_number=LEAK_VISA, expiry="2912", cvv=LEAK_CVV
        ).uuid
        summary = app.sync(**FAST)
        assert summary.exit_code == EXIT_NEEDS_PERSON, summary.to_json()
        message = " ".join(summary.needs_attention)
        assert "signing secret" in message, message
        assert app.store.get(refused).state.value == "queued"
        assert app.store.has_card_data(refused)  # kept for the next try
        assert refused not in gateway.received()["transactions"]
        # Back in step: the queued record goes, once.
        gateway.set_options(signing_secret=SECRET)
        assert app.sync(**FAST).exit_code == EXIT_DONE
        assert gateway.received()["transactions"][refused]["processed"] == 1
    finally:
        app.close()
    # An installation with no secret at all is refused the same way.
    unsigned = signed_app(tmp_path / "unsigned", gateway.url, None)
    try:
        missing = unsigned.capture_sale(
            amount="7.00", currency="HKD", card_number=LEAK_VISA, expiry="2912"
        ).uuid
        summary = unsigned.sync(**FAST)
        assert summary.exit_code == EXIT_NEEDS_PERSON, summary.to_json()
        assert unsigned.store.get(missing).state.value == "queued"
        assert missing not in gateway.received()["transactions"]
        texts = [*summary.needs_attention, json.dumps(summary.to_json())]
    finally:
        unsigned.close()
    # Neither the secret nor card data shows up anywhere.
    for text in [*log_lines(caplog), message, *texts]:
        assert SECRET not in text
        assert text_leaks(text) == []
    for root in (home, tmp_path / "unsigned"):
        assert file_leaks(root) == []
        assert not [p for p in root.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
