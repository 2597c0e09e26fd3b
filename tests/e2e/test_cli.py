"""The command line as scripts and installers use it: exact names, exit codes, one-line errors.

Successful runs and a few refusals start `python -m edge_app` for real; the other refusals call
`edge_app.cli.main` in this process (`cli_in_process`), which gives the same exit code and
messages much faster.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import TEST_CVV, TEST_KEY, VISA, files_containing

Runner = Callable[..., subprocess.CompletedProcess[str]]


def run(
    home: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "EDGE_APP_DB_KEY": TEST_KEY, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "edge_app", "--home", str(home), *args],
        env=full_env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


def init(home: Path, *extra: str, cli: Runner = run) -> None:
    result = cli(
        home,
        "init",
        "--store-id",
        "store-1",
        "--environment",
        "sandbox",
        "--username",
        "cashier",
        *extra,
    )
    assert result.returncode == 0, result.stderr


def assert_refused(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1 and lines[0].startswith("edge-app: ")
    assert "Traceback" not in result.stderr
    assert VISA not in result.stderr and VISA not in result.stdout


def status(home: Path, cli: Runner = run) -> dict:
    result = cli(home, "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "edge_app", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().startswith("edge-app 0.")


def test_capture_prints_uuid_last_and_status_counts(home: Path) -> None:
    init(home)
    result = run(
        home,
        "capture",
        "sale",
        "--amount",
        "12.50",
        "--currency",
        "HKD",
        "--expiry",
        "2912",
        "--card-stdin",
        stdin=f"card_number={VISA}\ncvv={TEST_CVV}\n",
    )
    assert result.returncode == 0, result.stderr
    uuid = result.stdout.split()[-1]
    assert len(uuid) == 36
    refund = run(home, "capture", "refund", "--original", uuid, "--amount", "2.50")
    assert refund.returncode == 0, refund.stderr
    doc = status(home)
    assert doc["transactions"] == {
        "queued": 2,
        "uploading": 0,
        "pending": 0,
        "held": 0,
        "uploaded": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert doc["blocklist"] == {"cards": 0, "pending": 0, "failed": 0}
    void = run(home, "capture", "void", "--original", uuid)
    assert_refused(void)  # a refunded sale cannot be voided
    assert files_containing(home, [VISA]) == []


@pytest.mark.parametrize(
    "args",
    [
        [
            "capture",
            "sale",
            "--allow-argv-card-data",
            "--amount",
            "abc",
            "--currency",
            "HKD",
            "--card-number",
            VISA,
            "--expiry",
            "2912",
        ],
        [
            "capture",
            "sale",
            "--allow-argv-card-data",
            "--amount",
            "1",
            "--currency",
            "HKD",
            "--card-number",
            "4111111111111112",
            "--expiry",
            "2912",
        ],
        [
            "capture",
            "sale",
            "--allow-argv-card-data",
            "--amount",
            "1",
            "--currency",
            "HKD",
            "--card-number",
            VISA,
            "--expiry",
            "2001",
        ],
        [
            "capture",
            "sale",
            "--allow-argv-card-data",
            "--amount",
            "1",
            "--currency",
            "HKD",
            "--card-number",
            VISA,
            "--expiry",
            "2912",
            "--cvv",
            "1",
        ],
        [
            "capture",
            "sale",
            "--allow-argv-card-data",
            "--amount",
            "1",
            "--currency",
            "QQQ",
            "--card-number",
            VISA,
            "--expiry",
            "2912",
        ],
        ["capture", "sale", "--amount", "1", "--currency", "HKD", "--reader-mode", "swipe"],
        ["capture", "void", "--original", "3f2b8c1e-0000-4000-8000-000000000000"],
        ["capture", "refund", "--original", "BRN404", "--amount", "1"],
        ["blocklist", "add", "--allow-argv-card-data", "1234"],
        ["import", "transactions", "/nonexistent/file.jsonl"],
        ["capture", "sale", "--amount", "1"],
        ["blocklist", "export", "/nonexistent-folder/cards.csv"],
    ],
)
def test_bad_input_exits_2_with_one_line_and_stores_nothing(
    home: Path, args: list[str], cli_in_process: Runner
) -> None:
    init(home, cli=cli_in_process)
    assert_refused(cli_in_process(home, *args))
    doc = status(home, cli=cli_in_process)
    assert sum(doc["transactions"].values()) == 0
    assert doc["blocklist"]["cards"] == 0


def test_not_initialised_and_wrong_key(home: Path, cli_in_process: Runner) -> None:
    cli = cli_in_process
    assert_refused(cli(home, "status"))
    init(home, cli=cli)
    assert_refused(cli(home, "status", env={"EDGE_APP_DB_KEY": "00" * 32}))
    assert_refused(cli(home, "status", env={"EDGE_APP_DB_KEY": "xyz"}))


def test_init_refuses_second_setup_and_bad_settings(
    home: Path, tmp_path: Path, cli_in_process: Runner
) -> None:
    cli = cli_in_process
    init(home, cli=cli)
    assert_refused(
        cli(home, "init", "--store-id", "s", "--environment", "sandbox", "--username", "u")
    )
    other = tmp_path / "other"
    assert_refused(
        cli(other, "init", "--store-id", "bad id!", "--environment", "sandbox", "--username", "u")
    )
    assert not other.exists()
    assert_refused(
        cli(
            other,
            "init",
            "--store-id",
            "s1",
            "--environment",
            "custom",
            "--username",
            "u",
            "--base-url",
            "http://gateway.example.com",
            "--client-id",
            "c",
            "--client-secret",
            "x",
            "--allow-argv-card-data",
        )
    )
    assert not other.exists()


def test_import_reports_bad_lines(home: Path, tmp_path: Path) -> None:
    init(home)
    path = tmp_path / "day.jsonl"
    good = {
        "kind": "sale",
        "amount": "5.00",
        "currency": "HKD",
        "card_number": VISA,
        "expiry": "2912",
    }
    path.write_text("\n".join(json.dumps(r) for r in [good, {**good, "amount": "-1"}, good]) + "\n")
    result = run(home, "import", "transactions", str(path))
    assert_refused(result)
    assert "line 2" in result.stderr
    path.write_text("\n".join(json.dumps(good) for _ in range(3)) + "\n")
    result = run(home, "import", "transactions", str(path))
    assert result.returncode == 0, result.stderr
    assert status(home)["transactions"]["queued"] == 3


def test_blocklist_commands(home: Path, tmp_path: Path) -> None:
    init(home)
    added = run(home, "blocklist", "add", stdin=f"{VISA}\n5555 5555 5555 4444\n")
    assert added.returncode == 0, added.stderr
    listed = json.loads(run(home, "blocklist", "list", "--json").stdout)
    assert listed["cards"] == 2 and listed["pending"] == 2
    assert {e["card"] for e in listed["entries"]} == {"411111******1111", "555555******4444"}
    assert run(home, "blocklist", "del", stdin=VISA).returncode == 0
    out = tmp_path / "list.csv"
    assert run(home, "blocklist", "export", str(out)).returncode == 0
    assert VISA not in out.read_text()
    text = run(home, "blocklist", "list")
    assert "555555******4444" in text.stdout and VISA not in text.stdout


def test_login_and_sync_against_sandbox_process(home: Path) -> None:
    from edge_app.sandbox.server import SandboxGateway

    with SandboxGateway() as gateway:
        init(home, "--base-url", gateway.url)
        assert_refused(run(home, "login", "--password-stdin", stdin="wrong\n"))
        login = run(home, "login", "--password-stdin", stdin="sandbox\n")
        assert login.returncode == 0, login.stderr
        run(
            home,
            "capture",
            "sale",
            "--amount",
            "3",
            "--currency",
            "HKD",
            "--expiry",
            "2912",
            "--card-stdin",
            stdin=f"card_number={VISA}\n",
        )
        result = run(home, "sync", "--json", "--query-interval", "0.2")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["uploaded"] == 1 and summary["outcome"] == "done"
        assert status(home)["last_sync"]["outcome"] == "done"


def test_core_imports_without_qt() -> None:
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import edge_app.cli, edge_app.services, edge_app.sync.engine, edge_app.gateway.client, "
        "edge_app.sandbox.server, edge_app.cli.syncing, edge_app.cli.launch, edge_app.schedule, "
        "edge_app.demo, storage.repository, storage.outbox\n"
        "from edge_app.cli import build_parser; build_parser()\n"
        "assert not any(m.startswith('PySide6.') for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_schedule_is_a_cli_command_and_refuses_a_bad_time(home: Path) -> None:
    init(home)
    assert_refused(run(home, "schedule", "install", "--at", "25:00", "--system", "cron"))


def test_schedule_show_through_the_cli_with_cron(home: Path) -> None:
    if shutil.which("crontab") is None:
        pytest.skip("needs the crontab tool (apt-get install cron) to read the user's crontab")
    init(home)
    shown = run(home, "schedule", "show", "--system", "cron")
    assert shown.returncode == 0, shown.stderr
    assert "No shop-close sync is registered" in shown.stdout


def test_status_starts_without_the_gateway_sandbox_scheduler_or_qt(
    home: Path, cli_in_process: Runner
) -> None:
    """The parser declares every command, yet `status` imports nothing heavy at start-up."""
    init(home, cli=cli_in_process)
    code = (
        "import sys\n"
        "from edge_app.cli import main\n"
        f"assert main(['--home', {str(home)!r}, 'status', '--json']) == 0\n"
        "heavy = ('httpx', 'edge_app.sandbox', 'edge_app.schedule', 'edge_app.sync', 'PySide6')\n"
        "loaded = [m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy)]\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "EDGE_APP_DB_KEY": TEST_KEY}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)


def test_the_first_start_of_a_new_version_says_it_updates_the_queue(
    home: Path, cli_in_process: Runner
) -> None:
    """A queue left by the version before (schema 11) is upgraded by the first command, which
    says so on stderr (it can take a minute), while its output stays what a script reads."""
    from sqlcipher3 import dbapi2 as sqlcipher

    from storage.schema import SCHEMA_VERSION

    init(home, cli=cli_in_process)
    conn = sqlcipher.connect(str(home / "queue.db"), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{TEST_KEY}'\"")
    for statement in (  # schema 12 undone: the trail indexed by uuid, no record ids
        "DROP INDEX audit_tx_id",
        "ALTER TABLE audit DROP COLUMN tx_id",
        "CREATE INDEX audit_tx ON audit(tx_uuid)",
        "PRAGMA user_version = 11",
    ):
        conn.execute(statement)
    conn.close()
    first = run(home, "status", "--json")
    assert first.returncode == 0, first.stderr
    assert first.stderr.strip() == (
        f"Updating the queue for this version (schema 11 to {SCHEMA_VERSION}); the first start "
        "of a new version does this once, and it can take a minute for a store with a long "
        "history."
    )
    assert json.loads(first.stdout)["transactions"]["queued"] == 0
    again = run(home, "status", "--json")
    assert again.returncode == 0 and again.stderr == ""


def test_sandbox_and_schedule_options_are_declared_when_asked_for(
    home: Path, cli_in_process: Runner
) -> None:
    """Their options come from their own packages, loaded when the command is parsed."""
    sandbox = cli_in_process(home, "sandbox", "--help")
    assert sandbox.returncode == 0, sandbox.stderr
    assert "--port" in sandbox.stdout and "--fail-rate" in sandbox.stdout
    schedule = cli_in_process(home, "schedule", "install", "--help")
    assert schedule.returncode == 0 and "--window-minutes" in schedule.stdout
    assert "--system" in schedule.stdout
    assert_refused(cli_in_process(home, "sandbox", "--port", "x"))
    assert_refused(cli_in_process(home, "schedule", "install", "--at", "25:00", "--system", "cron"))


def test_a_bug_in_a_statement_exits_1_not_2(
    home: Path, cli_in_process: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement SQLite refuses as wrong is a bug of this program: exit 1, one line."""
    from edge_app.services import App
    from storage.errors import StorageBug

    init(home, cli=cli_in_process)

    def broken(self: object) -> None:
        raise StorageBug("The database refused a statement of this program (SQLITE_ERROR).")

    monkeypatch.setattr(App, "status", broken)
    result = cli_in_process(home, "status")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "internal error (StorageBug)" in result.stderr
