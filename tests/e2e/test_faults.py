"""Faults on the store PC and on the wire, with the real SQLCipher queue and real loopback servers.

Every test asserts what the operator sees (one plain sentence, the exit code), that nothing was
lost or half-written, and that no card data reached a file, a log line or a message on the way.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from leaks import LEAK_CVV, LEAK_MASTERCARD, LEAK_VISA, file_leaks, snapshot, text_leaks
from support import TEST_KEY, init_app

from edge_app.services import App, local_now
from edge_app.sync.engine import EXIT_DONE, EXIT_RETRY_LATER
from edge_app.sync.lock import SyncLocked, read_holder
from storage.errors import DatabaseDamagedError, DiskFullError, KeyUnavailable, StorageError

FAST = {"query_interval": 0.1, "pending_wait": 2.0}
# Give up on a failing gateway quickly: two tries of a batch, almost no backoff.
GIVE_UP_FAST = {**FAST, "batch_attempts": 2, "retry_cap": 0.05, "retry_base": 0.01}
DAMAGED = "edge-app: The database file is damaged; see 'Damaged database' in docs/operations.md."


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


# -- helpers ----------------------------------------------------------------------------------


def capture(app: Any, card: str = LEAK_VISA, amount: str = "10.00") -> str:
    return str(
        app.capture_sale(
            amount=amount, currency="HKD", card_number=card, expiry="2912", cvv=LEAK_CVV
        ).uuid
    )


def cli(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    max_file_bytes: int | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "EDGE_APP_DB_KEY": TEST_KEY,
        "EDGE_APP_LOG_LEVEL": "DEBUG",
        "PYTHONDONTWRITEBYTECODE": "1",
        **(env or {}),
    }
    return subprocess.run(
        [*_python(max_file_bytes), "--home", str(home), *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# Runs the command line with a file size limit (RLIMIT_FSIZE): a write past it fails as on a
# full disk. Set inside the child, so no preexec_fn in this multi-threaded test process.
_LIMITED = (
    "import resource, runpy, sys; n = int(sys.argv.pop(1)); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); "
    "runpy.run_module('edge_app', run_name='__main__', alter_sys=True)"
)


def _python(max_file_bytes: int | None) -> list[str]:
    if max_file_bytes is None:
        return [sys.executable, "-m", "edge_app"]
    return [sys.executable, "-c", _LIMITED, str(max_file_bytes)]


def sale_args(card: str = LEAK_VISA) -> list[str]:
    return [
        "capture", "sale", "--allow-argv-card-data", "--amount", "5.00", "--currency", "HKD",
        "--card-number", card, "--expiry", "2912", "--cvv", LEAK_CVV,
    ]  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The single stderr line of a refused command (debug log lines from the run aside)."""
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("edge-app: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def assert_no_card_data(
    home: Path, caplog: pytest.LogCaptureFixture, *texts: str, cards: tuple[str, ...] = ()
) -> None:
    """No file under the home, captured log record or given text shows card data."""
    cards = cards or (LEAK_VISA, LEAK_MASTERCARD)
    assert file_leaks(home, cards) == []
    for record in caplog.records:
        line = record.getMessage() + (
            logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        )
        assert text_leaks(line, cards) == [], f"{record.name}: {line[:200]}"
    for text in texts:
        assert text_leaks(text, cards) == [], text[:300]


def counts(app: Any) -> tuple[int, int, dict[str, int]]:
    """(transactions, audit rows, block-list counts): what a refused write must leave unchanged."""
    tx = app.store.count_transactions()
    audit = int(app.store.query("SELECT count(*) FROM audit")[0][0])
    return tx, audit, app.store.blocklist_counts()


def run_with_deadline(func: Callable[[], Any], seconds: float) -> Any:
    """Run `func` in a thread; fail (rather than hang the suite) if it takes longer."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: the client did not give up"
    box["seconds"] = time.monotonic() - started
    if "error" in box:
        raise box["error"]
    return box["value"], box["seconds"]


# -- disk full --------------------------------------------------------------------------------


def refused_when_full(app: Any, write: Callable[[int], Any]) -> StorageError:
    """Repeat `write` until the full database refuses it; that refusal must leave nothing."""
    for i in range(300):  # the free room left in the last pages fills within a few writes
        before = counts(app)
        try:
            write(i)
        except StorageError as exc:
            assert counts(app) == before  # neither the record nor its audit row
            return exc
    raise AssertionError("the size limit never refused a write")


def test_disk_full_during_capture_stores_nothing_and_recovers(
    app: Any, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from edge_app.domain.card import luhn_check_digit

    sale = capture(app, amount="100.00")
    conn = app.store.conn
    # The database may not grow past its current size: the next page it needs is "no space".
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}").fetchone()
    refused = refused_when_full(app, lambda i: capture(app))
    assert isinstance(refused, DiskFullError), refused
    message = str(refused)
    assert message == "The disk is full; nothing was stored. Free some space and try again."
    # Every other kind of write is refused the same way and leaves nothing half-written.
    import_file = home.parent / "day.jsonl"
    row = {"kind": "sale", "amount": "2.00", "currency": "HKD", "card_number": LEAK_MASTERCARD,
           "expiry": "2912", "cvv": LEAK_CVV}  # fmt: skip
    import_file.write_text("\n".join(json.dumps(row) for _ in range(20)) + "\n")
    cards = [p + luhn_check_digit(p) for p in (f"400000{i:09d}" for i in range(300))]
    writes: list[Callable[[int], Any]] = [
        lambda i: app.import_transactions(import_file),
        lambda i: app.capture_refund(sale, "0.01"),
        lambda i: app.blocklist_add([cards[i]]),
        lambda i: capture(app, LEAK_MASTERCARD),
    ]
    for write in writes:
        exc = refused_when_full(app, write)
        assert isinstance(exc, DiskFullError) and str(exc) == message
    import_file.unlink()
    before = counts(app)
    # Space is back: captures work again and the file is intact.
    conn.execute("PRAGMA max_page_count = 1073741823").fetchone()
    after_full = capture(app, LEAK_MASTERCARD)
    assert app.store.get(after_full) is not None
    assert counts(app)[0] == before[0] + 1
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []
    app.close()
    reopened = App.open(home)
    try:
        assert reopened.store.count_transactions() == before[0] + 1
        assert reopened.store.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        reopened.close()
    assert_no_card_data(home, caplog, message)


@pytest.mark.skipif(os.name == "nt", reason="RLIMIT_FSIZE is POSIX")
def test_cli_import_when_the_disk_refuses_writes_exits_2_and_stores_nothing(
    home: Path, db_key: str, tmp_path: Path
) -> None:
    init_app(home).close()
    rows = [
        {"kind": "sale", "amount": "1.00", "currency": "HKD", "card_number": LEAK_VISA,
         "expiry": "2912", "cvv": LEAK_CVV}
        for _ in range(300)
    ]  # fmt: skip
    import_file = tmp_path / "day.jsonl"
    import_file.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    # No file of the process may grow past 64 KiB: the import needs more.
    result = cli(home, "import", "transactions", str(import_file), max_file_bytes=64 * 1024)
    line = one_line(result, 2)
    assert "disk" in line and "nothing was stored" in line, line
    assert text_leaks(result.stdout + result.stderr) == []
    status = json.loads(cli(home, "status", "--json").stdout)
    assert sum(status["transactions"].values()) == 0
    # Without the limit the same file goes in whole, and the database is intact.
    again = cli(home, "import", "transactions", str(import_file))
    assert again.returncode == 0, again.stderr
    import_file.unlink()
    app = App.open(home)
    try:
        assert app.store.count_transactions() == 300
        assert app.store.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        app.close()
    assert file_leaks(home) == []


# -- damaged database and wrong key -----------------------------------------------------------


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "middle":
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(64)
    elif how == "first_page":
        data[1000:1100] = b"\xff" * 100
    elif how == "truncated_half":
        del data[len(data) // 2 :]
    elif how == "truncated_mid_page":
        del data[len(data) // 2 + 100 :]
    # Write in place (same inode), as a disk fault would.
    with path.open("r+b") as handle:
        handle.write(bytes(data))
        handle.truncate()


@pytest.mark.parametrize("how", ["middle", "first_page", "truncated_half", "truncated_mid_page"])
def test_damaged_database_is_refused_and_left_as_it_was(
    home: Path, db_key: str, how: str, caplog: pytest.LogCaptureFixture, cli_in_process: Any
) -> None:
    app = init_app(home)
    for i in range(40):
        capture(app, LEAK_VISA if i % 2 else LEAK_MASTERCARD)
    app.close()
    db = home / "queue.db"
    _damage(db, how)
    before = snapshot(home)
    inode = db.stat().st_ino
    with pytest.raises(DatabaseDamagedError) as info:
        App.open(home)
    assert str(info.value) == DAMAGED.removeprefix("edge-app: ")
    outputs = [str(info.value)]
    commands = [["status"], sale_args(), ["sync", "--json"]]
    if how == "middle":
        commands.append(["blocklist", "list", "--json"])
    for args in commands:
        result = cli_in_process(home, *args)
        assert one_line(result, 2) == DAMAGED
        outputs += [result.stdout, result.stderr]
    # Nothing wrote to, replaced or "repaired" the damaged file, and no new queue appeared.
    assert snapshot(home) == before
    assert db.stat().st_ino == inode
    assert_no_card_data(home, caplog, *outputs)
    docs = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
    section = docs.read_text("utf-8").split("## Damaged database", 1)[1].split("\n## ", 1)[0]
    assert "backup" in section and "sync" in section  # what to do with the unsent payments


def test_wrong_key_is_refused_and_changes_nothing(
    app: Any, home: Path, caplog: pytest.LogCaptureFixture, cli_in_process: Any
) -> None:
    uuids = [capture(app), capture(app, LEAK_MASTERCARD)]
    app.close()
    before = snapshot(home)
    other = "cd" * 32
    with pytest.raises(KeyUnavailable) as info:
        App.open(home, env={"EDGE_APP_DB_KEY": other})
    assert str(info.value) == "The database key is wrong for this installation."
    texts = [str(info.value)]
    for args in (
        ["status", "--json"],
        sale_args(),
        ["sync", "--json"],
        ["blocklist", "add", "--allow-argv-card-data", LEAK_MASTERCARD],
    ):
        result = cli_in_process(home, *args, env={"EDGE_APP_DB_KEY": other})
        line = one_line(result, 2)
        assert line == "edge-app: The database key is wrong for this installation.", line
        assert other not in result.stderr + result.stdout
        assert TEST_KEY not in result.stderr + result.stdout
        texts += [result.stdout, result.stderr]
    malformed = cli_in_process(home, "status", env={"EDGE_APP_DB_KEY": "not-a-key"})
    assert "64 hexadecimal" in one_line(malformed, 2)
    assert snapshot(home) == before  # not a byte changed, no file added
    # The right key still opens everything as it was.
    status = json.loads(cli(home, "status", "--json").stdout)
    assert status["transactions"]["queued"] == len(uuids)
    assert_no_card_data(home, caplog, *texts)


# -- clock moved back -------------------------------------------------------------------------


def test_clock_moved_back_still_sends_and_captures(
    online_app: Any, gateway: Any, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stuck, backed_off = capture(online_app), capture(online_app)
    now = time.time()
    with online_app.store.transaction() as conn:
        # `stuck` was scheduled for a retry while the clock read three days later than it does
        # now; `backed_off` has an ordinary short backoff and must wait for it.
        conn.execute(
            "UPDATE transactions SET next_attempt_ts = ? WHERE uuid = ?", (now + 3 * 86400, stuck)
        )
        conn.execute(
            "UPDATE transactions SET next_attempt_ts = ? WHERE uuid = ?", (now + 600, backed_off)
        )
    online_app.clock = lambda: local_now() - timedelta(days=3)
    # Every unsent record now looks captured "in the future": the age is zero, not negative.
    status = online_app.status()
    assert status["oldest_unsent_age_hours"] == 0
    assert status["age_level"] == "ok"
    later = capture(online_app, LEAK_MASTERCARD)  # captures still work
    summary = online_app.sync(**FAST)
    received = gateway.received()["transactions"]
    assert online_app.store.get(stuck).state.value == "uploaded"
    assert online_app.store.get(later).state.value == "uploaded"
    assert received[stuck]["processed"] == 1 and received[later]["processed"] == 1
    assert online_app.store.get(backed_off).state.value == "queued"
    assert backed_off not in received
    assert summary.exit_code == EXIT_RETRY_LATER and summary.left_queued == 1
    assert online_app.status()["oldest_unsent_age_hours"] >= 0
    assert_no_card_data(home, caplog, json.dumps(summary.to_json()))


# -- a gateway that answers badly -------------------------------------------------------------


class _BadGateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "html"
    requests: list[str]
    sent: list[int]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.requests.append(f"{self.command} {self.path}")
        if self.mode == "html":
            self._whole("text/html", b"<!DOCTYPE html><html><body>Maintenance</body></html>")
        elif self.mode == "broken_json":
            self._whole("application/json", b'{"transactions": [{"uuid": "')
        else:
            self._endless()

    def _whole(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _endless(self) -> None:
        """A body with no end: fast, trickling, or declared absurdly long."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.mode == "huge_length":
            self.send_header("Content-Length", str(50 * 1024**3))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b'{"transactions": [' + b'{"uuid": "x"}, ' * 4000
        piece, pause = (chunk, 0.0) if self.mode != "trickle" else (chunk[:512], 0.02)
        sent, stop_at = 0, time.monotonic() + 30  # the server's own safety stop
        try:
            while time.monotonic() < stop_at and sent < 256 * 1024**2:
                self.wfile.write(piece)
                sent += len(piece)
                if pause:
                    time.sleep(pause)
        except OSError:
            pass  # the client hung up: what we want
        self.sent.append(sent)

    do_GET = _answer
    do_POST = _answer


@pytest.fixture
def bad_gateway(request: pytest.FixtureRequest) -> Iterator[Any]:
    handler = type("Handler", (_BadGateway,), {"mode": request.param, "requests": [], "sent": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    server.handler = handler  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


EXPECTED_MESSAGE = {
    "html": "web page instead of data",
    "broken_json": "not valid JSON",
    "endless": "larger than",
    "huge_length": "larger than",
    "trickle": "did not finish within 1 seconds",
}


@pytest.mark.parametrize("bad_gateway", list(EXPECTED_MESSAGE), indirect=True)
def test_bad_answers_leave_everything_queued_without_hanging(
    online_app: Any, gateway: Any, bad_gateway: Any, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mode = bad_gateway.handler.mode
    uuids = [capture(online_app), capture(online_app, LEAK_MASTERCARD)]
    # Logged in at the sandbox; the payment address now answers badly.
    online_app.update_config(base_url=bad_gateway.url, timeout_seconds=1)
    summary, seconds = run_with_deadline(lambda: online_app.sync(**GIVE_UP_FAST), 30)
    assert seconds < 15
    assert summary.exit_code == EXIT_RETRY_LATER, summary.to_json()
    assert summary.uploaded == 0 and summary.failed == 0
    message = " ".join(summary.retry_later)
    assert EXPECTED_MESSAGE[mode] in message and "stay queued" in message, message
    assert len(bad_gateway.handler.requests) == 2  # the batch was tried twice, then left
    for uuid in uuids:  # nothing lost: still queued, card data kept for the resend
        assert online_app.store.get(uuid).state.value == "queued"
        assert online_app.store.has_card_data(uuid)
    if mode in ("endless", "huge_length"):
        # The client stopped reading at its bound (8 MiB; socket buffers add a little).
        assert all(sent < 24 * 1024**2 for sent in bad_gateway.handler.sent)
    # The real gateway is back: everything goes, exactly once.
    online_app.update_config(base_url=gateway.url)
    again = online_app.sync(**FAST)
    assert again.exit_code == EXIT_DONE, again.to_json()
    received = gateway.received()["transactions"]
    assert all(received[u]["processed"] == 1 for u in uuids)
    assert_no_card_data(home, caplog, message, json.dumps(again.to_json()))


def test_slow_gateway_times_out_and_says_try_again_later(
    online_app: Any, gateway: Any, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    uuids = [capture(online_app) for _ in range(3)]
    online_app.update_config(timeout_seconds=1)
    gateway.set_options(latency_ms=2500)
    summary, seconds = run_with_deadline(lambda: online_app.sync(**GIVE_UP_FAST), 30)
    assert seconds < 6, seconds  # two 1 s timeouts, not two 2.5 s answers
    assert summary.exit_code == EXIT_RETRY_LATER == 4, summary.to_json()
    message = " ".join(summary.retry_later)
    assert "not answering reliably" in message and "stay queued" in message, message
    assert [online_app.store.get(u).state.value for u in uuids] == ["queued"] * 3
    assert online_app.status()["last_sync"]["outcome"] == "retry_later"
    # The gateway may still have applied the late request: the resend is a duplicate, not a
    # second charge.
    gateway.set_options(latency_ms=0)
    again = online_app.sync(**FAST)
    assert again.exit_code == EXIT_DONE, again.to_json()
    received = gateway.received()["transactions"]
    assert all(received[u]["processed"] == 1 for u in uuids)
    assert_no_card_data(home, caplog, message)


# -- two syncs at once ------------------------------------------------------------------------


def test_two_sync_processes_one_runs_the_other_is_told(
    online_app: Any, gateway: Any, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    uuids = [capture(online_app, LEAK_VISA if i % 2 else LEAK_MASTERCARD) for i in range(30)]
    online_app.update_config(batch_size=5, concurrency=1, query_interval=0.1, pending_wait=2.0)
    gateway.set_options(latency_ms=400)  # the first run holds the lock for over two seconds
    env = {
        **os.environ, "EDGE_APP_DB_KEY": TEST_KEY, "EDGE_APP_LOG_LEVEL": "DEBUG",
        "PYTHONDONTWRITEBYTECODE": "1",
    }  # fmt: skip
    command = [sys.executable, "-m", "edge_app", "--home", str(home), "sync", "--json"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while read_holder(home) is None:  # (a probe that locks could itself win the race)
        assert first.poll() is None and time.monotonic() < deadline, "first sync never started"
        time.sleep(0.02)
    second = subprocess.run(command, env=env, capture_output=True, timeout=60, check=False)
    out1, err1 = first.communicate(timeout=60)
    texts = [b.decode() for b in (out1, err1, second.stdout, second.stderr)]
    assert second.returncode == EXIT_RETRY_LATER, texts[2] + texts[3]
    told = json.loads(texts[2])
    assert told["outcome"] == "locked" and "already running" in told["message"]
    assert "command line" in told["message"]  # who holds it
    assert first.returncode == EXIT_DONE, texts[1]
    assert json.loads(texts[0])["uploaded"] == 30
    received = gateway.received()["transactions"]
    assert all(received[u]["processed"] == 1 and received[u]["count"] == 1 for u in uuids)
    assert_no_card_data(home, caplog, *texts)


def test_two_windows_syncing_at_once_in_threads(
    online_app: Any, gateway: Any, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    uuids = [capture(online_app) for _ in range(10)]
    gateway.set_options(latency_ms=200)
    other = App.open(home)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def sync(name: str, app: Any) -> None:
        barrier.wait()
        try:
            results[name] = app.sync(batch_size=2, concurrency=1, **FAST)
        except SyncLocked as exc:
            results[name] = exc

    threads = [
        threading.Thread(target=sync, args=(n, a)) for n, a in (("a", online_app), ("b", other))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    other.close()
    locked = [r for r in results.values() if isinstance(r, SyncLocked)]
    ran = [r for r in results.values() if not isinstance(r, SyncLocked)]
    assert len(locked) == 1 and len(ran) == 1, results
    assert "already running" in str(locked[0])
    assert ran[0].exit_code == EXIT_DONE and ran[0].uploaded == 10
    received = gateway.received()["transactions"]
    assert all(received[u]["processed"] == 1 and received[u]["count"] == 1 for u in uuids)
    assert_no_card_data(home, caplog, str(locked[0]))


def test_unattended_run_that_cannot_open_says_why_in_its_log(home: Path, db_key: str) -> None:
    init_app(home).close()
    env = {**os.environ, "EDGE_APP_DB_KEY": "cd" * 32}
    night = subprocess.run(
        [sys.executable, "-m", "edge_app", "--home", str(home), "sync", "--unattended"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert night.returncode == 2, night.stderr
    log_text = (home / "logs" / "edge-app.log").read_text()
    assert "sync could not start: The database key is wrong" in log_text
    assert "cd" * 32 not in log_text
