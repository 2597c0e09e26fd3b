"""Fuzzing the command line (issue 12): random arguments, stdin and import files.

Whatever comes in, `edge-app` answers 0 or 2 (never 1, a bug), a refusal is exactly one line on
stderr without a traceback or a full card number, and a refusal leaves the queue as it was.
The commands run in this process (`edge_app.cli.main`) against one real installation; those
that need the network, a window or the OS scheduler are left out. `EDGE_APP_FUZZ_EXAMPLES`
(default 40 per test) raises the number of examples.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from leaks import text_leaks
from support import AMEX, TEST_KEY, VISA, init_app

from edge_app.cli import main
from edge_app.services import IMPORT_KEYS
from storage.db import open_reader

EXAMPLES = int(os.environ.get("EDGE_APP_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=False,
)
CARDS = (VISA, AMEX)
UUID = "3f2b8c1e-0000-4000-8000-000000000000"

# Text that is never an absolute path or a way out of the scratch folder (exports write there).
safe_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24
).filter(lambda t: not t.startswith(("/", "~", "\\")) and ".." not in t and "\x00" not in t)
VOCABULARY = [
    VISA, "4111111111111112", AMEX, "2912", "2001", "1.00", "-1", "0", "1e9", "HKD", "QQQ",
    "737", "1", f";{VISA}=29121010000087654?", UUID, "BRN-1", "2370549374607450112", "manual",
    "swipe", "contact", "", " ", "\t", "[" * 50, "out.csv", "rec.db", "queue.db", "nested/x.csv",
    "data.jsonl", "data.csv",
]  # fmt: skip
values = st.one_of(st.sampled_from(VOCABULARY), safe_text)
options = st.sampled_from(
    ["--amount", "--currency", "--card-number", "--expiry", "--cvv", "--tips", "--reader-mode",
     "--track2", "--card-sn", "--icc", "--auth-code", "--uuid", "--original", "--card-stdin",
     "--allow-argv-card-data", "--json", "--force", "--del", "--help", "--store-id",
     "--environment", "--username", "--client-secret", "--signing-secret", "--secrets-stdin"]
)  # fmt: skip
commands = st.sampled_from(
    [["capture", "sale"], ["capture", "void"], ["capture", "refund"], ["capture"],
     ["import", "transactions"], ["blocklist", "add"], ["blocklist", "del"],
     ["blocklist", "import"], ["blocklist", "export"], ["blocklist", "list"], ["status"],
     ["db", "check"], ["db", "export-recovered"], ["init"], ["db"], ["blocklist"]]
)  # fmt: skip
argv = st.tuples(commands, st.lists(st.one_of(options, values), max_size=10)).map(
    lambda pair: [*pair[0], *pair[1]]
)

cells = st.one_of(
    values, st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(),
    st.lists(st.integers(), max_size=3),
)  # fmt: skip
rows = st.dictionaries(
    st.one_of(st.sampled_from(IMPORT_KEYS), safe_text), cells, max_size=8
) | st.just({"kind": "sale", "amount": "1.00", "currency": "HKD", "card_number": VISA,
             "expiry": "2912"})  # fmt: skip
lines = st.one_of(rows.map(lambda r: json.dumps(r, allow_nan=True)), safe_text, st.just("[" * 5000))


@pytest.fixture
def fuzz_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One installation with a few records, and a scratch folder as the working directory."""
    monkeypatch.setenv("EDGE_APP_DB_KEY", TEST_KEY)
    home = tmp_path / "home"
    app = init_app(home)
    app.capture_sale(amount="3.00", currency="HKD", card_number=VISA, expiry="2912", cvv="737")
    app.blocklist_add([AMEX])
    app.close()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.chdir(scratch)
    return home


def queue_state(home: Path) -> str:
    """A digest of every record, card-list row and setting (read beside the commands)."""
    conn = open_reader(home / "queue.db", bytes.fromhex(TEST_KEY))
    try:
        digest = hashlib.sha256()
        for sql in (
            "SELECT uuid, state, kind, amount, card_data, origin_brn FROM transactions ORDER BY id",
            "SELECT card_number, desired, on_gateway FROM blocklist ORDER BY card_number",
            "SELECT name, value FROM settings ORDER BY name",
        ):
            digest.update(repr(conn.execute(sql).fetchall()).encode())
        return digest.hexdigest()
    finally:
        conn.close()


def run(home: Path, args: list[str], stdin: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr("sys.stdin", io.StringIO(stdin))
        umask = os.umask(0o077)
        try:
            code = main(["--home", str(home), *args])
        except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
            code = int(exc.code or 0)
        finally:
            os.umask(umask)
    return code, out.getvalue(), err.getvalue()


def check(home: Path, args: list[str], stdin: str, before: str) -> None:
    code, out, err = run(home, args, stdin)
    shown = f"argv={args!r} stdin={stdin[:80]!r}\nstdout={out[:300]}\nstderr={err[:600]}"
    assert code in (0, 2), shown
    assert "Traceback" not in err and "internal error" not in err, shown
    assert text_leaks(out + err, CARDS, ()) == [], shown
    if code == 2:
        assert len(err.splitlines()) == 1 and err.startswith("edge-app: "), shown
        assert queue_state(home) == before, shown


def test_random_arguments_and_stdin(fuzz_home: Path) -> None:
    @FUZZ
    @given(args=argv, stdin=st.one_of(st.just(""), lines.map(lambda line: line + "\n")))
    def fuzz(args: list[str], stdin: str) -> None:
        check(fuzz_home, args, stdin, queue_state(fuzz_home))

    fuzz()


def test_random_import_files(fuzz_home: Path) -> None:
    @FUZZ
    @given(content=st.lists(lines, max_size=12), suffix=st.sampled_from([".jsonl", ".csv"]))
    def fuzz(content: list[str], suffix: str) -> None:
        path = Path.cwd() / f"day{suffix}"
        if suffix == ".csv" and content:
            content = ["kind,amount,currency,card_number,expiry,original,captured_at", *content]
        path.write_text("\n".join(content) + "\n", "utf-8")
        before = queue_state(fuzz_home)
        for action in (["import", "transactions", str(path)], ["blocklist", "import", str(path)]):
            check(fuzz_home, action, "", before)
            before = queue_state(fuzz_home)

    fuzz()
