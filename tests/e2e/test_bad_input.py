"""Bad input and broken environments (issue 12): the right sentence, exit 2, nothing changed.

Each case here is one row of the table "Bad input and broken environments" in
docs/operations.md. Refusals call `edge_app.cli.main` in this process (`cli_in_process`); the
permission cases run the real command line as the unprivileged user `nobody` (root ignores file
modes), and skip when this machine cannot do that.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from leaks import snapshot
from support import AMEX, TEST_KEY, VISA

Runner = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[2]


def init(home: Path, cli: Runner, *extra: str) -> None:
    result = cli(
        home, "init", "--store-id", "store-1", "--environment", "sandbox", "--username", "u", *extra
    )
    assert result.returncode == 0, result.stderr


def refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one stderr line of an exit-2 refusal; it must hold every word given."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edge-app: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# -- the home: a file, below a file, a folder of the OS ------------------------------------------


def test_home_at_a_file_below_a_file_or_in_proc_is_refused(
    tmp_path: Path, cli_in_process: Runner
) -> None:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    refused(cli_in_process(a_file, "status"), "is a file, not a folder")
    refused(cli_in_process(a_file / "home", "status"), "lies below the file")
    refused(
        cli_in_process(a_file / "home", "init", "--store-id", "s", "--environment", "sandbox",
                       "--username", "u"),
        "lies below the file",
    )  # fmt: skip
    if Path("/proc/self").is_dir():
        refused(
            cli_in_process(Path("/proc/self"), "init", "--store-id", "s", "--environment",
                           "sandbox", "--username", "u"),
            "choose another folder",
        )  # fmt: skip
        refused(cli_in_process(Path("/proc/self"), "status"), "not set up")
    assert a_file.read_text() == "x"


# -- config.json --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("batch_size", 0, "batch_size"),
        ("concurrency", 0, "concurrency"),
        ("timeout_seconds", -1, "timeout_seconds"),
        ("query_interval", "abc", "query_interval"),
        ("pending_wait", 1e309, "pending_wait"),  # json writes Infinity
        ("store_id", "../x", "store_id"),
        ("batch_size", True, "batch_size"),
        ("limits", [], "limits"),
        ("limits", {"warn_after_hours": "x"}, "limits"),
        ("device_id", "a b\n", "device_id"),
        ("language", 7, "language"),
        ("base_url", "ftp://x", "base_url"),
    ],
)
def test_a_bad_setting_in_config_json_is_named_on_load(
    home: Path, cli_in_process: Runner, name: str, value: object, words: str
) -> None:
    init(home, cli_in_process)
    path = home / "config.json"
    doc = json.loads(path.read_text())
    doc[name] = value
    path.write_text(json.dumps(doc))
    line = refused(cli_in_process(home, "status"), f"config.json has a bad setting {words}")
    assert "restore" in line


def test_config_json_missing_a_setting_or_nested_too_deep(
    home: Path, cli_in_process: Runner
) -> None:
    init(home, cli_in_process)
    path = home / "config.json"
    doc = json.loads(path.read_text())
    del doc["username"]
    path.write_text(json.dumps(doc))
    refused(cli_in_process(home, "status"), "missing the setting username")
    path.write_text("[" * 100_000)
    refused(cli_in_process(home, "status"), "config.json is not valid JSON")
    path.write_bytes(b"\xff\xfe{")
    refused(cli_in_process(home, "status"), "config.json")


def test_an_import_line_of_100k_nested_brackets_is_a_bad_row(
    home: Path, tmp_path: Path, cli_in_process: Runner
) -> None:
    init(home, cli_in_process)
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n")
    refused(cli_in_process(home, "import", "transactions", str(path)), "line 1", "nested")


# -- permissions, as the unprivileged user `nobody` -----------------------------------------------


def _can_run_as_nobody() -> str | None:
    """None when this test process can run the command line as `nobody`, else the reason."""
    if os.name == "nt" or os.geteuid() != 0:
        return "needs root to switch to the user nobody"
    if shutil.which("setpriv") is None:
        return "needs setpriv (util-linux)"
    probe = subprocess.run(
        [*_AS_NOBODY, sys.executable, "-c", "import edge_app, sqlcipher3"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return "the user nobody cannot run this Python and its packages"
    return None


_AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared_home() -> Iterator[Path]:
    """A home in a folder every user may enter, set up by root and then given to nobody."""
    reason = _can_run_as_nobody()
    if reason:
        pytest.skip(reason)
    parent = Path(tempfile.mkdtemp(prefix="edge-app-perm-"))
    parent.chmod(0o755)
    home = parent / "home"
    env = {**os.environ, "EDGE_APP_DB_KEY": TEST_KEY, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "edge_app", "--home", str(home), "init", "--store-id", "s",
         "--environment", "sandbox", "--username", "u"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    for path in [home, *home.rglob("*")]:
        os.chown(path, 65534, 65534)
    yield home
    for path in [home, *home.rglob("*")]:
        path.chmod(0o700)
    shutil.rmtree(parent)


def as_nobody(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_AS_NOBODY, sys.executable, "-m", "edge_app", "--home", str(home), *args],
        env={**os.environ, "EDGE_APP_DB_KEY": TEST_KEY, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_permission_problems_are_named_not_called_damage(shared_home: Path) -> None:
    home = shared_home
    assert as_nobody(home, "status").returncode == 0  # nobody owns it: it works
    for name in ("queue.db-wal", "queue.db-shm"):
        (home / name).unlink(missing_ok=True)
    before = snapshot(home)
    home.chmod(0o500)
    line = refused(as_nobody(home, "status"), str(home), "permission denied")
    assert "damaged" not in line
    home.chmod(0o700)
    for name, words in (
        ("keystore.json", "keystore.json cannot be read"),
        ("config.json", "config.json cannot be read"),
        ("queue.db", "queue.db cannot be read"),
    ):
        (home / name).chmod(0o000)
        line = refused(as_nobody(home, "status"), words, "permission denied")
        assert "damaged" not in line and "internal error" not in line
        (home / name).chmod(0o600)
    assert snapshot(home) == before


def test_an_unreadable_key_file_is_a_permission_problem(tmp_path: Path) -> None:
    """The passphrase file's db.key, unreadable: not "damaged", not "missing" (in-process, as
    the OS error is the same for any user)."""
    from storage.errors import KeyUnavailable
    from storage.keys import create_key, load_key

    home = tmp_path / "h"
    home.mkdir()
    env = {"EDGE_APP_PASSPHRASE": "correct horse battery"}
    create_key(home, backend="file", env=env)
    original = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "db.key":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "read_bytes", denied)
        with pytest.raises(KeyUnavailable) as info:
            load_key(home, env=env)
    assert "db.key cannot be read by this user (permission denied)" in str(info.value)


# -- a closed stdout after a completed sync ------------------------------------------------------


def test_a_closed_stdout_after_a_sync_keeps_its_exit_code_and_says_it_was_stored(
    home: Path, cli_in_process: Runner
) -> None:
    from edge_app.sandbox.server import SandboxGateway

    with SandboxGateway() as gateway:
        init(home, cli_in_process, "--base-url", gateway.url)
        env = {**os.environ, "EDGE_APP_DB_KEY": TEST_KEY, "PYTHONPATH": str(ROOT)}
        base = [sys.executable, "-m", "edge_app", "--home", str(home)]
        subprocess.run([*base, "login", "--password-stdin"], input="sandbox\n", text=True,
                       env=env, check=True, capture_output=True)  # fmt: skip
        from edge_app.services import App

        app = App.open(home, env={"EDGE_APP_DB_KEY": TEST_KEY})
        app.capture_sale(amount="1.00", currency="HKD", card_number=VISA, expiry="2912")
        app.close()
        for buffered in ("1", ""):  # write-through stdout, and Python's buffered default
            read_end, write_end = os.pipe()
            os.close(read_end)  # nobody reads the report
            sync = subprocess.run(
                [*base, "sync", "--json", "--query-interval", "0.2"],
                env={**env, "PYTHONUNBUFFERED": buffered},
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
            os.close(write_end)
            assert sync.returncode == 0, sync.stderr
            assert "internal error" not in sync.stderr and "nothing more" not in sync.stderr
            assert "Traceback" not in sync.stderr and "Exception ignored" not in sync.stderr
            assert "what it did is done and stored" in sync.stderr
        app = App.open(home, env={"EDGE_APP_DB_KEY": TEST_KEY})
        try:
            assert app.status()["transactions"]["uploaded"] == 1
        finally:
            app.close()


# -- exports never destroy data ------------------------------------------------------------------


def test_an_export_never_replaces_a_file_of_the_home_nor_an_existing_file(
    home: Path, tmp_path: Path, cli_in_process: Runner
) -> None:
    init(home, cli_in_process)
    assert cli_in_process(home, "status").returncode == 0
    (home / "logs").mkdir(exist_ok=True)
    (home / "logs" / "edge-app.log").write_text("a log line\n")
    link = tmp_path / "queue-link.db"
    os.link(home / "queue.db", link)
    before = snapshot(home)
    for target in (
        home / "queue.db", home / "queue.db-wal", home / "queue.db-shm", home / "keystore.json",
        home / "config.json", home / "logs" / "edge-app.log", home / "sync.lock", home, link,
    ):  # fmt: skip
        for extra in ([], ["--force"]):
            line = refused(cli_in_process(home, "blocklist", "export", str(target), *extra))
            assert "file of the installation" in line, line
    assert snapshot(home) == before
    existing = tmp_path / "report.csv"
    existing.write_text("keep me")
    refused(cli_in_process(home, "blocklist", "export", str(existing)), "already exists", "--force")
    assert existing.read_text() == "keep me"
    assert cli_in_process(home, "blocklist", "export", str(existing), "--force").returncode == 0
    assert existing.read_text().startswith("masked_card_number")
    refused(cli_in_process(home, "blocklist", "export", "/dev/null", "--force"), "not a plain file")
    refused(
        cli_in_process(home, "blocklist", "export", str(tmp_path / "missing" / "x.csv")),
        "does not exist",
    )


# -- card data and secrets never through argv -----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["capture", "sale", "--amount", "1", "--currency", "HKD", "--expiry", "2912",
         "--card-number", VISA],
        ["capture", "sale", "--amount", "1", "--currency", "HKD", "--expiry", "2912",
         "--card-stdin", "--cvv", "737"],
        ["capture", "sale", "--amount", "1", "--currency", "HKD", "--reader-mode", "swipe",
         "--track2", f";{VISA}=29121010000087654?"],
        ["capture", "sale", "--amount", "1", "--currency", "HKD", "--reader-mode", "contact",
         "--icc", "9F2608AABBCCDD"],
        ["blocklist", "add", VISA],
        ["blocklist", "del", VISA],
    ],
)  # fmt: skip
def test_card_data_in_argv_is_refused_and_names_the_way_in(
    home: Path, cli_in_process: Runner, args: list[str]
) -> None:
    init(home, cli_in_process)
    line = refused(cli_in_process(home, *args), "--allow-argv-card-data")
    assert VISA not in line
    assert "--card-stdin" in line or "stdin" in line
    doc = json.loads(cli_in_process(home, "status", "--json").stdout)
    assert sum(doc["transactions"].values()) == 0 and doc["blocklist"]["cards"] == 0


def test_init_secrets_in_argv_are_refused_and_come_from_stdin_or_the_environment(
    tmp_path: Path, cli_in_process: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    custom = ["init", "--store-id", "s1", "--environment", "custom", "--username", "u",
              "--base-url", "https://gateway.example.com", "--client-id", "c"]  # fmt: skip
    refused(
        cli_in_process(tmp_path / "a", *custom, "--client-secret", "cs-1234"), "--secrets-stdin"
    )
    refused(
        cli_in_process(tmp_path / "a", "init", "--store-id", "s", "--environment", "sandbox",
                       "--username", "u", "--signing-secret", "sig-1234"),
        "EDGE_APP_SIGNING_SECRET",
    )  # fmt: skip
    assert not (tmp_path / "a").exists()
    monkeypatch.setattr("sys.stdin", io.StringIO("client_secret=cs-5678\nsigning_secret=sg-9\n"))
    assert cli_in_process(tmp_path / "b", *custom, "--secrets-stdin").returncode == 0
    env = {"EDGE_APP_CLIENT_SECRET": "cs-env-1"}
    assert cli_in_process(tmp_path / "c", *custom, env=env).returncode == 0
    from edge_app.services import SECRET_CLIENT, SECRET_SIGNING, App

    for name, client, signing in (("b", "cs-5678", "sg-9"), ("c", "cs-env-1", None)):
        app = App.open(tmp_path / name, env={"EDGE_APP_DB_KEY": TEST_KEY})
        try:
            assert app.store.get_setting(SECRET_CLIENT) == client
            assert app.store.get_setting(SECRET_SIGNING) == signing
        finally:
            app.close()


def test_card_data_on_stdin_is_captured(home: Path, cli_in_process: Runner,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import io

    init(home, cli_in_process)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"card_number={VISA}\ncvv=737\n"))
    sale = ["capture", "sale", "--amount", "1", "--currency", "HKD", "--expiry", "2912"]
    done = cli_in_process(home, *sale, "--card-stdin")
    assert done.returncode == 0, done.stderr
    refused(cli_in_process(home, *sale), "No card data was given", "--card-stdin")
    monkeypatch.setattr("sys.stdin", io.StringIO("pan=1\n"))
    refused(cli_in_process(home, *sale, "--card-stdin"), "stdin line 1", "card_number")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{VISA}\n\n5555555555554444\n"))
    assert cli_in_process(home, "blocklist", "add").returncode == 0
    doc = json.loads(cli_in_process(home, "status", "--json").stdout)
    assert doc["transactions"]["queued"] == 1 and doc["blocklist"]["cards"] == 2
    allowed = cli_in_process(home, *sale, "--card-number", AMEX, "--allow-argv-card-data")
    assert allowed.returncode == 0, allowed.stderr


def test_help_shows_the_ways_in_that_are_not_argv(cli_in_process: Runner, home: Path) -> None:
    sale = cli_in_process(home, "capture", "sale", "--help")
    assert "--card-stdin" in sale.stdout and "import transactions" in sale.stdout
    init_help = cli_in_process(home, "init", "--help")
    assert "--secrets-stdin" in init_help.stdout and "EDGE_APP_CLIENT_SECRET" in init_help.stdout
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "--card-stdin" in readme and "--card-number PAN" not in readme


def test_a_refusal_quoting_the_input_stays_one_line_and_masks_card_numbers(
    home: Path, tmp_path: Path, cli_in_process: Runner
) -> None:
    """Found by the fuzz test: a file name that is a card number, a column named '\\x1e'."""
    init(home, cli_in_process)
    line = refused(cli_in_process(home, "blocklist", "import", VISA))
    assert VISA not in line and "411111******1111" in line
    line = refused(cli_in_process(home, "capture", "sale", "--reader-mode", f"{VISA} {AMEX}"))
    assert VISA not in line and AMEX not in line
    path = tmp_path / "odd.jsonl"
    path.write_text('{"\\u001e\\u2028x": null}\n')
    refused(cli_in_process(home, "import", "transactions", str(path)), "unknown column")
