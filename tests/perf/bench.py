#!/usr/bin/env python3
"""Edge Uploader benchmarks: one command that prints a table and writes a JSON file.

    python3 tests/perf/bench.py                  # full size (about 40 s on 2 cores)
    python3 tests/perf/bench.py --only tuning    # the sync batch-size / concurrency sweep
    python3 tests/perf/bench.py --quick          # CI size (about 5 s)
    python3 tests/perf/bench.py --only capture,startup --json out.json

Started by a Python outside the project's .venv (e.g. plain `python3` after `python3 tests/run.py`
created .venv), it re-runs itself with .venv's Python. Every figure is compared with a baseline
measured in the same run, on the same disk (a temporary directory; `--tmp-dir` picks another):

- capture:   commit latency of `App.capture_sale` vs a plain stdlib sqlite3 INSERT + COMMIT
             (WAL, synchronous=FULL, a row of similar width), p50 and p99;
- import:    `App.import_transactions` of a .jsonl file, rows/s (baseline: json + sqlite3 insert);
- sync:      `App.sync` of queued sales to the sandbox gateway (20 ms latency, a separate process)
             vs a bare httpx loop posting the same batches (adapter bodies) one after another;
- blocklist: `App.blocklist_import` + the card_block sync of the list, in a child process whose
             peak RSS is measured (baseline: the same child doing nothing but open and log in);
- startup:   `python -m edge_app --home H status --json` vs `python -c "import sqlcipher3, httpx"`;
- gui:       first paint and scroll-to-end (to the oldest record) of the transactions view with
             many records (child process, Qt offscreen), baseline the same view on an empty
             queue; jumps to random rows, baseline jumps inside the page already held.

Goals are reported (PASS / MISS), never enforced: the exit code is 0 unless a figure fails to run.
The database key comes from EDGE_APP_DB_KEY (a fixed test key unless set); no card number is
printed or written to the results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = "ab" * 32
RESULTS_DIR = ROOT / "perf-results"
GROUPS = ("capture", "import", "bigimport", "sync", "blocklist", "startup", "gui")
# Generous offline limits for the large data sets (the capture figure keeps the defaults).
BIG_LIMITS = {"total_per_currency": {"HKD": "1000000000.00"}, "per_transaction": {"HKD": "5000.00"}}
SANDBOX_LATENCY_MS = 20


def _venv_python() -> Path | None:
    for candidate in (ROOT / ".venv" / "bin" / "python", ROOT / ".venv" / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    return None


def _reexec_in_venv() -> None:
    """Run again with the project's .venv Python when started by another interpreter.

    Without a .venv (or with EDGE_BENCH_NO_REEXEC set) the current interpreter is used, which
    then needs the project and its dependencies installed.
    """
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() == venv.resolve() or os.environ.get("EDGE_BENCH_NO_REEXEC"):
        return
    python = _venv_python()
    if python is None:
        return
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606


def _prepare_environment() -> None:
    os.environ.setdefault("EDGE_APP_DB_KEY", TEST_KEY)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    for path in (str(ROOT), str(ROOT / "tests")):
        if path not in sys.path:
            sys.path.insert(0, path)


# -- sizes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    captures: int
    capture_backlog: int
    import_rows: int
    sync_sales: int
    sync_batch: int
    sync_repeats: int
    blocklist: int
    startup_runs: int
    gui_rows: int
    big_import: int  # the large import (rows/s, peak RSS, capture wait, sync during it)
    audit_trail: int  # entries already in the trail for the sync's database work at scale


FULL = Sizes(
    captures=500,
    capture_backlog=100_000,
    import_rows=10_000,
    sync_sales=10_000,
    sync_batch=500,
    sync_repeats=3,
    blocklist=100_000,
    startup_runs=10,
    gui_rows=1_000_000,
    big_import=200_000,
    audit_trail=1_000_000,
)
QUICK = Sizes(
    captures=50,
    capture_backlog=1_000,
    import_rows=1_000,
    sync_sales=500,
    sync_batch=100,
    sync_repeats=1,
    blocklist=5_000,
    startup_runs=3,
    gui_rows=5_000,
    big_import=3_000,
    audit_trail=20_000,
)


# -- results ----------------------------------------------------------------------------------


@dataclass
class Figure:
    key: str
    label: str
    measured: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    goal: str = ""  # e.g. "ratio <= 1.3"; empty: informational
    status: str = "INFO"  # PASS, MISS or INFO
    note: str = ""

    @classmethod
    def make(
        cls,
        key: str,
        label: str,
        measured: float,
        unit: str,
        *,
        baseline: float | None = None,
        goal: tuple[str, str, float] | None = None,
        note: str = "",
    ) -> Figure:
        """`goal` is (on, op, value): on 'ratio' or 'measured', op '<=', '<', '>=' or 'not'
        (the measured value must not be `value`: an exit code)."""
        ratio = measured / baseline if baseline else None
        figure = cls(key, label, measured, unit, baseline, ratio, note=note)
        if goal is not None:
            on, op, value = goal
            figure.goal = f"{on} {op} {value:g}"
            subject = ratio if on == "ratio" else measured
            if subject is not None:
                ok = {
                    "<=": subject <= value,
                    "<": subject < value,
                    ">=": subject >= value,
                    "not": subject != value,
                }[op]
                figure.status = "PASS" if ok else "MISS"
        return figure


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def render_table(figures: Sequence[Figure]) -> str:
    header = ("figure", "measured", "baseline", "ratio", "goal", "result")
    rows = [
        (
            f.label,
            _fmt(f.measured, f.unit),
            _fmt(f.baseline, f.unit),
            f"{f.ratio:.2f}" if f.ratio is not None else "-",
            f.goal or "-",
            f.status,
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def render_markdown(figures: Sequence[Figure]) -> str:
    lines = [
        "| figure | measured | baseline | ratio | goal | result |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else "-"
        lines.append(
            f"| {f.label} | {_fmt(f.measured, f.unit)} | {_fmt(f.baseline, f.unit)} | {ratio} | "
            f"{f.goal or '-'} | {f.status} |"
        )
    return "\n".join(lines)


# -- shared helpers ---------------------------------------------------------------------------


def luhn_complete(prefix: str) -> str:
    """`prefix` plus the check digit that makes it pass the Luhn test."""
    total = 0
    for index, char in enumerate(reversed(prefix)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return prefix + str((10 - total % 10) % 10)


def card_numbers(count: int, seed: int) -> list[str]:
    """`count` distinct 16-digit Visa-range numbers that pass the Luhn check (never printed)."""
    rng = random.Random(seed)
    numbers: set[str] = set()
    while len(numbers) < count:
        numbers.add(luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14))))
    return sorted(numbers)


def median_seconds(call: Callable[[], object], runs: int = 20) -> float:
    """The median time of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def new_app(home: Path, base_url: str = "http://127.0.0.1:8765") -> Any:
    from support import init_app

    return init_app(home, base_url=base_url)


def write_sales_jsonl(path: Path, count: int, *, seed: int, with_ids: bool = False) -> list[str]:
    """A .jsonl import file of `count` HKD 1.00 sales; returns the uuids it gives (if any)."""
    cards = card_numbers(16, seed)
    rng = random.Random(seed)
    captured = (datetime.now().astimezone() - timedelta(minutes=5)).replace(microsecond=0)
    uuids: list[str] = []
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            row: dict[str, str] = {
                "kind": "sale",
                "amount": "1.00",
                "currency": "HKD",
                "card_number": cards[index % len(cards)],
                "expiry": "3012",
                "cvv": "737",
            }
            if with_ids:
                ident = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
                uuids.append(ident)
                row["uuid"] = ident
                row["captured_at"] = captured.isoformat()
            handle.write(json.dumps(row) + "\n")
    return uuids


@contextlib.contextmanager
def sandbox_process(latency_ms: int = SANDBOX_LATENCY_MS, *, strict: bool = False) -> Iterator[str]:
    """A fresh sandbox gateway in its own process (as a remote gateway would be); yields its URL.

    `strict`: one request at a time per store, with processing time per item (`--strict`)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge_app",
            "sandbox",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            *(["--strict"] if strict else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://\S+", line)
        if match is None:
            raise RuntimeError("the sandbox gateway did not start")
        yield match.group(0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def run_child(args: Sequence[str], timeout: float = 900) -> dict[str, Any]:
    """Run this script as a child (`--child ...`); its last stdout line is a JSON object."""
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"child {args[:2]} failed (exit {result.returncode}): {tail}")
    doc: dict[str, Any] = json.loads(lines[-1])
    return doc


# -- 1. capture -------------------------------------------------------------------------------

BASELINE_SCHEMA = """
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    amount TEXT,
    currency TEXT,
    exposure_minor INTEGER NOT NULL DEFAULT 0,
    masked_card TEXT,
    card_data TEXT,
    captured_at TEXT NOT NULL,
    captured_ts REAL NOT NULL,
    updated_ts REAL NOT NULL
)
"""


def _baseline_db(path: Path, *, encrypted: bool) -> Any:
    """A connection like the app's (WAL, synchronous=FULL) to a one-table database."""
    if encrypted:
        from sqlcipher3 import dbapi2 as driver
    else:
        import sqlite3 as driver
    conn = driver.connect(str(path), isolation_level=None)
    if encrypted:
        conn.execute(f"PRAGMA key = \"x'{TEST_KEY}'\"")
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(BASELINE_SCHEMA)
    return conn


def bench_capture(sizes: Sizes, work: Path) -> list[Figure]:
    from edge_app.services import App

    # Two queues measured side by side: one empty, one with the backlog, so that the flatness
    # figure compares captures made in the same minutes (this machine's speed drifts).
    backlog = work / "capture-backlog.jsonl"
    write_sales_jsonl(backlog, sizes.capture_backlog, seed=12)
    loaded_home = work / "capture-backlog-home"
    setup = new_app(loaded_home)
    setup.update_config(limits=BIG_LIMITS)
    setup.import_transactions(backlog)
    # Opened again, as the next day's session would be: the import's own after-effects (its
    # freed staging pages, a large WAL) are not what this figure is about.
    setup.close()
    loaded_app = App.open(loaded_home)
    app = new_app(work / "capture-home")
    app.update_config(limits=BIG_LIMITS)  # the same limits: the same checks
    card = card_numbers(1, seed=11)[0]
    plain = _baseline_db(work / "capture-plain.db", encrypted=False)
    cipher = _baseline_db(work / "capture-cipher.db", encrypted=True)
    # A row about as wide as the app's: masked card, card JSON, times, amounts.
    card_json = json.dumps(
        {"reader_mode": "manual", "card_number": "4" * 16, "expiry": "3012", "cvv": "737"}
    )

    def insert(conn: Any, *, audit: bool = False) -> None:
        now = time.time()
        ident = str(uuidlib.uuid4())
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO transactions (uuid, kind, state, amount, currency, exposure_minor, "
            "masked_card, card_data, captured_at, captured_ts, updated_ts) "
            "VALUES (?, 'sale', 'queued', '1.00', 'HKD', 100, ?, ?, ?, ?, ?)",
            (
                ident,
                "411111******1111",
                card_json,
                datetime.now().astimezone().isoformat(),
                now,
                now,
            ),
        )
        if audit:
            conn.execute(
                "INSERT INTO audit (at_ts, tx_uuid, event, from_state, to_state, detail) "
                "VALUES (?, ?, 'captured', NULL, 'queued', 'sale 411111******1111')",
                (now, ident),
            )
        conn.execute("COMMIT")

    from storage.db import open_database

    # The app's own schema (indexes, triggers) and pragmas, the sale row plus its audit row, no
    # app code: what durability + encryption + the audit trail cost before any Python runs.
    schema = open_database(work / "capture-schema.db", bytes.fromhex(TEST_KEY), create=True)

    def capture(into: Any) -> None:
        into.capture_sale(amount="1.00", currency="HKD", card_number=card, expiry="3012", cvv="737")

    steps: dict[str, Callable[[], None]] = {
        "app": lambda: capture(app),
        "loaded": lambda: capture(loaded_app),
        "plain": lambda: insert(plain),
        "cipher": lambda: insert(cipher),
        "schema": lambda: insert(schema, audit=True),
    }
    for _ in range(10):  # warm up (page cache, statement caches)
        for step in steps.values():
            step()

    def measure(count: int) -> dict[str, list[float]]:
        times: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(count):  # interleaved: all see the same disk and machine noise
            for name, step in steps.items():
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
        return times

    times = measure(sizes.captures)

    # What the status bar and `status` read.
    status_empty = median_seconds(app.status) * 1000
    status_loaded = median_seconds(loaded_app.status) * 1000
    app.close()
    loaded_app.close()
    plain.close()
    cipher.close()
    schema.close()
    note = (
        f"{sizes.captures} captures into an empty queue, interleaved with the baseline's "
        "stdlib sqlite3 INSERT + COMMIT (WAL, synchronous=FULL)"
    )
    figures = []
    for share, name in ((0.5, "p50"), (0.99, "p99")):
        figures.append(
            Figure.make(
                f"capture_{name}_ms",
                f"capture commit {name}",
                percentile(times["app"], share) * 1000,
                "ms",
                baseline=percentile(times["plain"], share) * 1000,
                goal=("ratio", "<=", 1.3),
                note=note,
            )
        )
    floors = (
        (
            "capture_sqlcipher_p50_ms",
            "  (same INSERT in SQLCipher, p50)",
            "cipher",
            "the baseline's statement on an encrypted database: the share of encryption",
        ),
        (
            "capture_schema_p50_ms",
            "  (app schema + audit row in SQLCipher, p50)",
            "schema",
            "the app's tables, indexes and pragmas, sale + audit row, no app code: the floor",
        ),
    )
    for key, label, step, note in floors:
        figures.append(
            Figure.make(
                key,
                label,
                percentile(times[step], 0.5) * 1000,
                "ms",
                baseline=percentile(times["plain"], 0.5) * 1000,
                note=note,
            )
        )
    backlog_note = (
        f"into a second queue holding {sizes.capture_backlog:,} unsent sales (imported, then "
        "opened again), in turn with the empty queue; baseline: the plain sqlite3 commit"
    )
    for share, name in ((0.5, "p50"), (0.99, "p99")):
        figures.append(
            Figure.make(
                f"capture_backlog_{name}_ms",
                f"capture commit {name}, {sizes.capture_backlog:,} unsent",
                percentile(times["loaded"], share) * 1000,
                "ms",
                baseline=percentile(times["plain"], share) * 1000,
                goal=("ratio", "<=", 1.3),
                note=backlog_note,
            )
        )
    figures.append(
        Figure.make(
            "capture_flat_p50_ms",
            f"capture p50 with {sizes.capture_backlog:,} unsent vs none",
            percentile(times["loaded"], 0.5) * 1000,
            "ms",
            baseline=percentile(times["app"], 0.5) * 1000,
            goal=("ratio", "<=", 1.1),
            note="flat with the backlog: the offline-limit totals and the oldest unsent record "
            "cost the same however many records wait",
        )
    )
    figures.append(
        Figure.make(
            "status_backlog_ms",
            f"status with {sizes.capture_backlog:,} waiting",
            status_loaded,
            "ms",
            baseline=status_empty,
            note="App.status() (the status bar, the tray, `status --json`), median of 20; "
            "baseline: the same on the queue of a few hundred records",
        )
    )
    return figures


# -- 2. bulk import ---------------------------------------------------------------------------


def bench_import(sizes: Sizes, work: Path) -> list[Figure]:
    import sqlite3

    rows = sizes.import_rows
    path = work / "import.jsonl"
    write_sales_jsonl(path, rows, seed=21)
    app = new_app(work / "import-home")
    app.update_config(limits=BIG_LIMITS)
    start = time.perf_counter()
    captures = app.import_transactions(path)
    app_seconds = time.perf_counter() - start
    checks_seconds = _import_checks_seconds(app, path)
    app.close()
    if len(captures) != rows:
        raise RuntimeError(f"imported {len(captures)} of {rows} rows")

    # Baseline: the same file parsed with json and inserted by stdlib sqlite3 in one transaction.
    conn = sqlite3.connect(str(work / "import-baseline.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(BASELINE_SCHEMA)
    start = time.perf_counter()
    now = time.time()
    stamp = datetime.now().astimezone().isoformat()
    values = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            values.append(
                (str(uuidlib.uuid4()), doc["amount"], doc["currency"], line, stamp, now, now)
            )
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO transactions (uuid, kind, state, amount, currency, card_data, captured_at, "
        "captured_ts, updated_ts) VALUES (?, 'sale', 'queued', ?, ?, ?, ?, ?, ?)",
        values,
    )
    conn.execute("COMMIT")
    base_seconds = time.perf_counter() - start
    conn.close()
    return [
        Figure.make(
            "import_rows_per_s",
            f"import {rows:,} rows",
            rows / app_seconds,
            "rows/s",
            baseline=rows / base_seconds,
            goal=("measured", ">=", 5000),
            note="baseline: json.loads + stdlib sqlite3 executemany in one transaction",
        ),
        Figure.make(
            "import_checks_rows_per_s",
            "  (the import's reading, checks and ITEM alone, no database)",
            rows / checks_seconds,
            "rows/s",
            baseline=rows / base_seconds,
            note="the same file read and each row checked and encoded as the import does it, "
            "nothing written: what one core can do before any database work",
        ),
    ]


def _import_checks_seconds(app: Any, path: Path) -> float:
    """The import's per-row work without its database: read the file, check each sale (card,
    card list in memory, limits) and encode its ITEM, as `Importing._stage_row` does."""
    from edge_app.services.importing import LISTED_IN_MEMORY, read_rows

    ctx = app.capture_context(app.clock())
    ctx.listed = app.store.blocklist_listed_set(LISTED_IN_MEMORY)
    given: set[str] = set()
    start = time.perf_counter()
    for _, row in read_rows(path):
        if isinstance(row, str):
            raise RuntimeError(f"the bench's import file has a bad row: {row}")
        app._stage_row(ctx, row, given)
    return time.perf_counter() - start


def child_import(args: argparse.Namespace) -> dict[str, Any]:
    """In a child process: open the home, say so, import the file; rows/s and peak RSS."""
    from edge_app.services import App

    app = App.open(Path(args.dir))
    idle_rss = _peak_rss_mb()
    print("ready", flush=True)
    start = time.perf_counter()
    captures = app.import_transactions(Path(args.file))
    seconds = time.perf_counter() - start
    count = captures if isinstance(captures, int) else len(captures)
    app.close()
    peak = _peak_rss_mb()
    return {"rows": count, "seconds": seconds, "idle_rss_mb": idle_rss, "peak_rss_mb": peak}


def _plain_import_rate(path: Path, db: Path) -> float:
    """Rows/s of json.loads + stdlib sqlite3 executemany (one transaction) for the same file."""
    import sqlite3

    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(BASELINE_SCHEMA)
    start = time.perf_counter()
    now = time.time()
    stamp = datetime.now().astimezone().isoformat()
    count = 0
    conn.execute("BEGIN IMMEDIATE")
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            conn.execute(
                "INSERT INTO transactions (uuid, kind, state, amount, currency, card_data, "
                "captured_at, captured_ts, updated_ts) "
                "VALUES (?, 'sale', 'queued', ?, ?, ?, ?, ?, ?)",
                (str(uuidlib.uuid4()), doc["amount"], doc["currency"], line, stamp, now, now),
            )
            count += 1
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    conn.close()
    return count / seconds


def bench_big_import(sizes: Sizes, work: Path) -> list[Figure]:
    """A large import in a child process while this one captures and a `sync` command runs."""
    from edge_app.services import App

    rows = sizes.big_import
    path = work / "big-import.jsonl"
    write_sales_jsonl(path, rows, seed=71)
    home = work / "big-import-home"
    card = card_numbers(1, seed=72)[0]
    figures: list[Figure] = []
    with sandbox_process(0) as url:
        setup = new_app(home, base_url=url)
        setup.update_config(limits=BIG_LIMITS)
        for _ in range(3):
            setup.capture_sale(
                amount="1.00", currency="HKD", card_number=card, expiry="3012", cvv="737"
            )
        setup.login("sandbox")
        setup.close()
        cashier = App.open(home)
        idle: list[float] = []
        for _ in range(10):
            started = time.perf_counter()
            cashier.capture_sale(
                amount="1.00", currency="HKD", card_number=card, expiry="3012", cvv="737"
            )
            idle.append(time.perf_counter() - started)
        child = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                "import",
                "--dir",
                str(home),
                "--file",
                str(path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("the import child did not start")
        time.sleep(0.2)
        sync_cmd = [sys.executable, "-m", "edge_app", "--home", str(home), "sync"]
        sync = subprocess.Popen(sync_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        waits: list[float] = []
        failed = 0
        while child.poll() is None:
            started = time.perf_counter()
            try:
                cashier.capture_sale(
                    amount="1.00", currency="HKD", card_number=card, expiry="3012", cvv="737"
                )
            except Exception:  # a capture refused during the import: the goal is missed
                failed += 1
            waits.append(time.perf_counter() - started)
            time.sleep(0.05)
        sync_code = sync.wait(timeout=300)
        out, err = child.communicate()
        cashier.close()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if child.returncode != 0 or not lines:
            tail = "\n".join(err.strip().splitlines()[-6:])
            raise RuntimeError(f"import child failed (exit {child.returncode}): {tail}")
        result = json.loads(lines[-1])
    if result["rows"] != rows:
        raise RuntimeError(f"imported {result['rows']} of {rows} rows")
    figures.append(
        Figure.make(
            "big_import_rows_per_s",
            f"import {rows:,} rows",
            rows / result["seconds"],
            "rows/s",
            baseline=_plain_import_rate(path, work / "big-import-plain.db"),
            goal=("measured", ">=", 15_000),
            note="App.import_transactions in a child process, while captures and a sync run; "
            "baseline: json.loads + stdlib sqlite3 INSERT in one transaction",
        )
    )
    figures.append(
        Figure.make(
            "big_import_peak_rss_mb",
            f"import {rows:,} rows: peak RSS",
            result["peak_rss_mb"],
            "MB",
            baseline=result["idle_rss_mb"],
            goal=("measured", "<=", 150),
            note="VmHWM of the importing child; baseline: the same child after opening the app",
        )
    )
    wait = Figure.make(
        "big_import_capture_wait_ms",
        "capture during the import: longest wait",
        max(waits) * 1000 if waits else 0.001,
        "ms",
        baseline=statistics.median(idle) * 1000,
        goal=("measured", "<=", 200),
        note=f"{len(waits)} captures from another process every 50 ms during the import, "
        f"{failed} refused; p50 {percentile(waits, 0.5) * 1000 if waits else 0:.1f} ms, p90 "
        f"{percentile(waits, 0.9) * 1000 if waits else 0:.1f} ms, p99 "
        f"{percentile(waits, 0.99) * 1000 if waits else 0:.1f} ms, "
        f"{sum(w > 0.2 for w in waits)} over 200 ms; "
        "baseline: capture p50 before the import",
    )
    if failed:
        wait.status = "MISS"
    figures.append(wait)
    figures.append(
        Figure(
            "big_import_sync_exit",
            "sync during the import: exit code",
            float(sync_code),
            "",
            goal="exit 0 (waited) or 4 (later), never 2",
            status="PASS" if sync_code in (0, 4) else "MISS",
            note="`edge-app sync` started 0.2 s into the import, against a sandbox",
        )
    )
    return figures


# -- 3. sync ----------------------------------------------------------------------------------


def _seed_sync_home(home: Path, url: str, data: Path) -> Any:
    app = new_app(home, base_url=url)
    app.update_config(limits=BIG_LIMITS)
    app.import_transactions(data)
    app.login("sandbox")
    return app


@dataclass(frozen=True)
class Gw:
    """Which sandbox a sync figure runs against."""

    latency_ms: int = SANDBOX_LATENCY_MS
    strict: bool = False


def _app_sync(
    home: Path, data: Path, sizes: Sizes, concurrency: int, gw: Gw = Gw()
) -> tuple[float, Any, str]:
    """Seconds `App.sync` takes for the seeded sales (a fresh sandbox); its device and sn."""
    with sandbox_process(gw.latency_ms, strict=gw.strict) as url:
        app = _seed_sync_home(home, url, data)
        # The engine's modules are loaded before the clock starts: the window and the installed
        # command load them from byte-code in milliseconds, while this process (under the test
        # runner's PYTHONDONTWRITEBYTECODE) would compile them from source, about 0.1 s.
        import edge_app.sync.engine  # noqa: F401

        try:
            start = time.perf_counter()
            summary = app.sync(
                batch_size=sizes.sync_batch,
                concurrency=concurrency,
                query_interval=0.1,
                pending_wait=0.0,
            )
            seconds = time.perf_counter() - start
            if summary.uploaded != sizes.sync_sales or summary.outcome != "done":
                raise RuntimeError(f"sync did not upload everything: {summary.to_json()}")
            return seconds, app.device_info(), app.config.device_id
        finally:
            app.close()


def _bare_sync(
    uuids: Sequence[str],
    captured: datetime,
    cards: Sequence[str],
    sizes: Sizes,
    device: Any,
    sn: str,
    gw: Gw = Gw(),
) -> float:
    """Seconds a bare httpx loop takes to post the same sales, batch after batch, no database."""
    import httpx

    from edge_app.domain.card import CardData
    from edge_app.domain.transactions import TxKind, UploadItem
    from edge_app.gateway import adapter

    items = [
        UploadItem(
            uuid=ident,
            kind=TxKind.SALE,
            captured_at=captured,
            amount=Decimal("1.00"),
            currency="HKD",
            tips=None,
            card=CardData("manual", cards[index % len(cards)], "3012", "737"),
            auth_code=None,
            origin_brn=None,
            sn=sn,
        )
        for index, ident in enumerate(uuids)
    ]
    with sandbox_process(gw.latency_ms, strict=gw.strict) as url:
        login = adapter.encode_body(adapter.login_body("bench", "sandbox", "sandbox", "sandbox"))
        with httpx.Client() as client:
            answer = client.post(url + adapter.LOGIN_PATH, content=login)
            token = adapter.parse_login_response(answer.json())
        path = url + adapter.offline_upload_path("store-1", TxKind.SALE)
        start = time.perf_counter()
        with httpx.Client() as client:
            for first in range(0, len(items), sizes.sync_batch):
                batch = items[first : first + sizes.sync_batch]
                body = adapter.encode_body(adapter.upload_body(batch))
                headers = adapter.common_headers(device, token, datetime.now().astimezone())
                answer = client.post(path, content=body, headers=headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"bare upload answered HTTP {answer.status_code}")
                answer.json()
        return time.perf_counter() - start


def _sync_database_ms_per_1000(app: Any, sizes: Sizes) -> float:
    """The sync's own database work, no HTTP: claim every batch, then write an "uploaded"
    answer with a BRN for each record, as the engine does (one transaction each)."""
    from edge_app.domain.transactions import TxKind, TxState
    from storage import outbox

    after, answered, brn = 0, 0, 0
    start = time.perf_counter()
    while True:
        items, after, _ = outbox.claim_batch(
            app.store, TxKind.SALE, sizes.sync_batch, app.store.now(), after
        )
        if not items:
            break
        outcomes = []
        for item in items:
            brn += 1
            outcomes.append(outbox.Outcome(item.uuid, TxState.UPLOADED, brn=f"9{brn:018d}"))
        outbox.apply_outcomes(app.store, outcomes)
        answered += len(items)
    seconds = time.perf_counter() - start
    if answered != sizes.sync_sales:
        raise RuntimeError(f"answered {answered} of {sizes.sync_sales} records")
    return seconds / answered * 1_000_000


def _fill_audit_trail(app: Any, entries: int) -> None:
    """A trail as a year of a store leaves it, written by SQL: `entries` entries about records
    older than any the bench adds (two each: captured, answered; their MACs are filler, only
    the last entry's is read by the next append), and record ids continuing after them."""
    with app.store.transaction() as conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) "
            "INSERT INTO audit (at_ts, tx_uuid, tx_id, event, from_state, to_state, detail, "
            "actor, mac) SELECT 1e9 + i, lower(hex(randomblob(16))), (i + 1) / 2, 'state', "
            "'uploading', 'uploaded', 'brn 9' || printf('%018d', i), 'sync', "
            "lower(hex(randomblob(32))) FROM n",
            (entries,),
        )
        conn.execute("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'transactions'", (entries,))
        conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'transactions', ?1 "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'transactions')",
            (entries,),
        )


def child_sync_database(args: argparse.Namespace) -> dict[str, Any]:
    """In a child process (a fresh interpreter, as the sync runs): the sync's database work
    on the imported file, then the floor's same writes in sqlite3 and in SQLCipher."""
    sales, batch, trail = (int(n) for n in str(args.rows).split(","))
    sizes = replace(FULL, sync_sales=sales, sync_batch=batch)
    work = Path(args.dir)
    app = new_app(work / "home")
    try:
        app.update_config(limits=BIG_LIMITS)
        app.import_transactions(Path(args.file))
        # The floor's rows are as wide as the app's stored ITEM (its text is never printed).
        width = int(app.store.query("SELECT max(length(upload_item)) FROM transactions")[0][0])
        measured = _sync_database_ms_per_1000(app, sizes)
    finally:
        app.close()
    app = new_app(work / "trail-home")
    try:
        app.update_config(limits=BIG_LIMITS)
        _fill_audit_trail(app, trail)
        app.import_transactions(Path(args.file))
        at_scale = _sync_database_ms_per_1000(app, sizes)
    finally:
        app.close()
    filler = "x" * width
    return {
        "app": measured,
        "trail": at_scale,
        "plain": _plain_sync_writes_ms_per_1000(work / "floor.db", sizes, filler),
        "cipher": _plain_sync_writes_ms_per_1000(
            work / "floor-cipher.db", sizes, filler, encrypted=True
        ),
    }


def _plain_sync_writes_ms_per_1000(
    db: Path, sizes: Sizes, item_json: str, *, encrypted: bool = False
) -> float:
    """The floor under it: the same writes in stdlib sqlite3 (WAL, synchronous=FULL, no checks,
    no encryption unless `encrypted`: then SQLCipher): per batch one UPDATE ... RETURNING that
    claims the batch's rows (of the app's width), then one UPDATE per record (state, BRN, card
    data erased) and one audit row per record indexed by the record's id, in two transactions."""
    if encrypted:
        from sqlcipher3 import dbapi2 as driver
    else:
        import sqlite3 as driver
    conn = driver.connect(str(db), isolation_level=None)
    if encrypted:
        conn.execute(f"PRAGMA key = \"x'{TEST_KEY}'\"")
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    conn.executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, state TEXT, brn TEXT, "
        "item TEXT, updated_ts REAL); CREATE INDEX t_state ON t(state, id); "
        "CREATE INDEX t_brn ON t(brn) WHERE brn IS NOT NULL; "
        "CREATE TABLE a (id INTEGER PRIMARY KEY, at_ts REAL, tx_uuid TEXT, tx_id INTEGER, "
        "detail TEXT, mac TEXT); CREATE INDEX a_tx ON a(tx_id);"
    )
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO t (uuid, state, item, updated_ts) VALUES (?, 'queued', ?, 0)",
        [(str(uuidlib.uuid4()), item_json) for _ in range(sizes.sync_sales)],
    )
    conn.execute("COMMIT")
    mac = "0" * 64
    brn = 0
    start = time.perf_counter()
    while True:
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(
            "UPDATE t SET state = 'uploading', updated_ts = ? WHERE id IN (SELECT id FROM t "
            "WHERE state = 'queued' ORDER BY id LIMIT ?) RETURNING id, uuid, item",
            (time.time(), sizes.sync_batch),
        ).fetchall()
        conn.execute("COMMIT")
        if not rows:
            break
        now = time.time()
        answers = []
        for ident, _, _ in rows:
            brn += 1
            answers.append((f"9{brn:018d}", now, ident))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "UPDATE t SET state = 'uploaded', brn = ?, item = NULL, updated_ts = ? WHERE id = ?",
            answers,
        )
        conn.executemany(
            "INSERT INTO a (at_ts, tx_uuid, tx_id, detail, mac) VALUES (?, ?, ?, ?, ?)",
            [
                (now, uuid, ident, f"brn {b}", mac)
                for (b, _, _), (ident, uuid, _) in zip(answers, rows, strict=True)
            ],
        )
        conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    conn.close()
    return seconds / sizes.sync_sales * 1_000_000


def bench_sync(sizes: Sizes, work: Path) -> list[Figure]:
    data = work / "sync.jsonl"
    uuids = write_sales_jsonl(data, sizes.sync_sales, seed=31, with_ids=True)
    first = json.loads(data.read_text(encoding="utf-8").splitlines()[0])
    captured = datetime.fromisoformat(first["captured_at"])
    cards = card_numbers(16, 31)
    runs: dict[str, list[float]] = {
        name: [] for name in ("c2", "c1", "bare", "strict", "bare_strict", "zero", "bare_zero")
    }
    strict, zero = Gw(strict=True), Gw(latency_ms=0)
    for repeat in range(sizes.sync_repeats):
        seconds, device, sn = _app_sync(work / f"sync-c2-{repeat}", data, sizes, 2)
        runs["c2"].append(seconds)
        runs["bare"].append(_bare_sync(uuids, captured, cards, sizes, device, sn))
        runs["c1"].append(_app_sync(work / f"sync-c1-{repeat}", data, sizes, 1)[0])
        runs["strict"].append(_app_sync(work / f"sync-st-{repeat}", data, sizes, 2, strict)[0])
        runs["bare_strict"].append(_bare_sync(uuids, captured, cards, sizes, device, sn, strict))
        runs["zero"].append(_app_sync(work / f"sync-z-{repeat}", data, sizes, 2, zero)[0])
        runs["bare_zero"].append(_bare_sync(uuids, captured, cards, sizes, device, sn, zero))
    med = {name: statistics.median(values) for name, values in runs.items()}
    database = run_child(
        [
            "--child",
            "syncdb",
            "--dir",
            str(work / "sync-db"),
            "--file",
            str(data),
            "--rows",
            f"{sizes.sync_sales},{sizes.sync_batch},{sizes.audit_trail}",
        ]
    )
    db_ms, floor_ms, cipher_floor_ms = database["app"], database["plain"], database["cipher"]
    note = (
        f"{sizes.sync_sales:,} sales, batches of {sizes.sync_batch}, sandbox latency "
        f"{SANDBOX_LATENCY_MS} ms in its own process; median of {sizes.sync_repeats}; baseline: "
        "bare httpx loop, sequential, adapter bodies, no database"
    )
    per_k = sizes.sync_sales / 1000
    return [
        Figure.make(
            "sync_c2_s",
            f"sync {sizes.sync_sales:,} sales, concurrency 2",
            med["c2"],
            "s",
            baseline=med["bare"],
            goal=("ratio", "<=", 1.2),
            note=note,
        ),
        Figure.make(
            "sync_c1_s",
            f"sync {sizes.sync_sales:,} sales, concurrency 1",
            med["c1"],
            "s",
            baseline=med["bare"],
            goal=("ratio", "<=", 1.2),
            note=note,
        ),
        Figure.make(
            "sync_strict_s",
            f"sync {sizes.sync_sales:,} sales, strict sandbox, concurrency 2",
            med["strict"],
            "s",
            baseline=med["bare_strict"],
            goal=("ratio", "<=", 1.2),
            note=note + "; the sandbox processes one request at a time per store, 20 us per item",
        ),
        Figure.make(
            "sync_local_ms_per_1000",
            "sync local cost per 1,000 records (zero latency)",
            max(0.001, (med["zero"] - med["bare_zero"]) / per_k * 1000),
            "ms",
            baseline=med["bare_zero"] / per_k * 1000,
            goal=("measured", "<=", 20),
            note="(App.sync - bare loop) against a sandbox without added latency, per 1,000 "
            "records; baseline: the bare loop's own time per 1,000",
        ),
        Figure.make(
            "sync_database_ms_per_1000",
            "  (the sync's database work alone, per 1,000 records)",
            db_ms,
            "ms",
            baseline=floor_ms,
            note="claims and 'uploaded' answers through storage.outbox, no HTTP; baseline: the "
            "same writes in stdlib sqlite3 (rows of the same width, audit rows indexed by the "
            "record's id, "
            "two transactions per batch), no encryption, no checks, no audit MACs",
        ),
        Figure.make(
            "sync_database_floor_cipher_ms_per_1000",
            "  (the same writes in SQLCipher, per 1,000 records)",
            cipher_floor_ms,
            "ms",
            baseline=floor_ms,
            note="the baseline's writes on an encrypted database: what encryption adds",
        ),
        Figure.make(
            "sync_database_trail_ms_per_1000",
            f"  (the sync's database work beside {sizes.audit_trail:,} older audit entries)",
            database["trail"],
            "ms",
            baseline=db_ms,
            note="the same claims and answers in a store whose audit trail already holds that "
            "many entries (a year of a busy store); baseline: the same with a new trail",
        ),
    ]


# -- 4. block list ----------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource  # not on Windows; /proc is not either, so this is macOS or a BSD

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child_blocklist(args: argparse.Namespace) -> dict[str, Any]:
    """In a child process: init + login, then (unless --idle) import the file and sync it."""
    app = new_app(Path(args.dir) / "home", base_url=args.url)
    app.login("sandbox")
    result: dict[str, Any] = {}
    if not args.idle:
        start = time.perf_counter()
        changed = app.blocklist_import(Path(args.file))
        result["import_s"] = time.perf_counter() - start
        start = time.perf_counter()
        summary = app.sync(concurrency=2, query_interval=0.1, pending_wait=0.0)
        result["sync_s"] = time.perf_counter() - start
        result["changed"] = changed
        result["sent"] = summary.blocklist_sent
    app.close()
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def _bare_card_block(numbers: Sequence[str]) -> float:
    import httpx

    from edge_app.gateway import adapter
    from edge_app.sync.engine import CARD_BLOCK_CHUNK

    with sandbox_process() as url:
        login = adapter.encode_body(adapter.login_body("bench", "sandbox", "sandbox", "sandbox"))
        start = time.perf_counter()
        with httpx.Client() as client:
            answer = client.post(url + adapter.LOGIN_PATH, content=login)
            headers = {
                "Content-Type": "application/json",
                "X-USER-ACCESS-TOKEN": adapter.parse_login_response(answer.json()),
            }
            path = url + adapter.card_block_path("store-1", "add")
            for first in range(0, len(numbers), CARD_BLOCK_CHUNK):
                body = adapter.encode_body(
                    adapter.card_block_body(numbers[first : first + CARD_BLOCK_CHUNK])
                )
                answer = client.post(path, content=body, headers=headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"bare card_block answered HTTP {answer.status_code}")
        return time.perf_counter() - start


def _plain_blocklist_import(path: Path, db: Path) -> float:
    """Seconds stdlib sqlite3 takes to store the same file's numbers (masked copy included)."""
    import csv
    import sqlite3

    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE blocklist (card_number TEXT PRIMARY KEY, masked TEXT NOT NULL, "
        "desired INTEGER NOT NULL, on_gateway INTEGER NOT NULL, updated_ts REAL NOT NULL) "
        "WITHOUT ROWID"
    )
    start = time.perf_counter()
    now = time.time()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            (row[0], row[0][:6] + "*" * (len(row[0]) - 10) + row[0][-4:], now)
            for row in csv.reader(handle)
            if row and row[0].isdigit()
        ]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT OR IGNORE INTO blocklist (card_number, masked, desired, on_gateway, updated_ts) "
        "VALUES (?, ?, 1, 0, ?)",
        rows,
    )
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def bench_blocklist(sizes: Sizes, work: Path) -> list[Figure]:
    count = sizes.blocklist
    numbers = card_numbers(count, seed=41)
    path = work / "blocklist.csv"
    path.write_text("card_number\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    with sandbox_process() as url:
        idle_dir = work / "blocklist-idle"
        idle = run_child(["--child", "blocklist", "--idle", "--url", url, "--dir", str(idle_dir)])
    with sandbox_process() as url:
        busy_dir = work / "blocklist-busy"
        busy = run_child(
            ["--child", "blocklist", "--url", url, "--dir", str(busy_dir), "--file", str(path)]
        )
    if busy["changed"] != count or busy["sent"] != count:
        raise RuntimeError(f"block list: {busy['changed']} stored, {busy['sent']} sent of {count}")
    bare_s = _bare_card_block(numbers)
    return [
        Figure.make(
            "blocklist_import_s",
            f"block list import {count:,}",
            busy["import_s"],
            "s",
            baseline=_plain_blocklist_import(path, work / "blocklist-plain.db"),
            note="App.blocklist_import of a one-column CSV, in the measured child; baseline: "
            "csv + stdlib sqlite3 executemany in one transaction",
        ),
        Figure.make(
            "blocklist_sync_s",
            f"block list sync {count:,}",
            busy["sync_s"],
            "s",
            baseline=bare_s,
            note="card_block add, 1000 per request; baseline: bare httpx loop (incl. login)",
        ),
        Figure.make(
            "blocklist_peak_rss_mb",
            "block list peak RSS (import + sync)",
            busy["peak_rss_mb"],
            "MB",
            baseline=idle["peak_rss_mb"],
            goal=("measured", "<=", 150),
            note="VmHWM of the child; baseline: same child that only opens the app and logs in",
        ),
    ]


# -- 5. start-up ------------------------------------------------------------------------------


def bench_startup(sizes: Sizes, work: Path) -> list[Figure]:
    home = work / "startup-home"
    app = new_app(home)
    app.capture_sale(
        amount="1.00", currency="HKD", card_number=card_numbers(1, 51)[0], expiry="3012", cvv="737"
    )
    app.close()
    status = [sys.executable, "-m", "edge_app", "--home", str(home), "status", "--json"]
    bare = [sys.executable, "-c", "import sqlcipher3, httpx"]

    # Both from byte-code, as the installed app (PyInstaller ships .pyc) and the baseline's
    # packages run: caches written by the warm-up run into the scratch folder, not the tree (the
    # test runner sets PYTHONDONTWRITEBYTECODE, which would compile the app's sources each run).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "startup-pycache")

    def timed(cmd: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        return time.perf_counter() - start

    timed(status)  # warm the page cache and byte-code caches for both
    timed(bare)
    app_times: list[float] = []
    base_times: list[float] = []
    for _ in range(sizes.startup_runs):
        app_times.append(timed(status))
        base_times.append(timed(bare))
    return [
        Figure.make(
            "startup_status_s",
            "start-up: edge_app status --json",
            statistics.median(app_times),
            "s",
            baseline=statistics.median(base_times),
            goal=("ratio", "<=", 1.3),
            note=f"median of {sizes.startup_runs}, both from byte-code; baseline: python -c "
            "'import sqlcipher3, httpx'",
        )
    ]


# -- 6. transactions view ---------------------------------------------------------------------


def _fill_history(app: Any, rows: int) -> None:
    """`rows` uploaded sales (a store's history: no card data), written by SQL in one go.

    Last four digits cycle through 0000-9999, so a search by last four matches rows / 10,000.
    """
    now = time.time()
    with app.store.transaction() as conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) "
            "INSERT INTO transactions (uuid, kind, state, amount, currency, exposure_minor, "
            "masked_card, captured_at, captured_ts, updated_ts, brn, sn) "
            "SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
            "substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || "
            "hex(randomblob(6))), 'sale', 'uploaded', '1.00', 'HKD', 100, "
            "'411111******' || printf('%04d', i % 10000), "
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', ?2 - (?1 - i), 'unixepoch'), ?2 - (?1 - i), "
            "?2, '9' || printf('%018d', i), 'bench' FROM n",
            (rows, now),
        )


def child_gui(args: argparse.Namespace) -> dict[str, Any]:
    """In a child process (Qt offscreen): time the transactions page, empty and with N records."""
    work = Path(args.dir)
    rows = int(args.rows)
    empty = new_app(work / "gui-empty")
    full = new_app(work / "gui-full")
    full.update_config(limits=BIG_LIMITS)
    _fill_history(full, rows)

    from PySide6.QtWidgets import QAbstractItemView, QApplication

    from edge_app.ui.page import PageReader
    from edge_app.ui.transactions_page import PAGE_SIZE, TransactionsModel, TransactionsPage
    from edge_app.ui.widgets import ManagerGate, Prompts
    from edge_app.ui.workers import TaskRunner
    from storage.repository import TxFilter

    qt = QApplication.instance() or QApplication([])
    runner = TaskRunner()
    prompts = Prompts()

    def first_paint(app: Any) -> tuple[Any, float]:
        start = time.perf_counter()
        gate = ManagerGate(app.secure_settings(), prompts)
        page = TransactionsPage(app, runner, gate, prompts)
        page.resize(1100, 700)
        page.show()
        qt.processEvents()
        page.grab()
        return page, time.perf_counter() - start

    def scroll_end(page: Any) -> float:
        start = time.perf_counter()
        page.table.scrollToBottom()
        qt.processEvents()
        page.grab()
        return time.perf_counter() - start

    def last_visible(page: Any) -> int:
        table = page.table
        row = table.rowAt(table.viewport().height() - 1)
        return row if row >= 0 else page.model.rowCount() - 1  # fewer rows than the screen

    def jump(page: Any, row: int) -> float:
        start = time.perf_counter()
        page.table.scrollTo(page.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        qt.processEvents()
        page.grab()
        return time.perf_counter() - start

    def close(page: Any) -> None:
        runner.wait()
        page.close()
        page.deleteLater()
        qt.processEvents()

    warm, _ = first_paint(empty)  # Qt's one-time costs (fonts, style) go to neither side
    close(warm)
    result: dict[str, Any] = {"rows": rows}
    page, result["empty_paint_s"] = first_paint(empty)
    result["empty_scroll_s"] = scroll_end(page)
    close(page)
    page, result["paint_s"] = first_paint(full)
    reads = page.model.page_reads
    result["scroll_s"] = scroll_end(page)
    result["scroll_page_reads"] = page.model.page_reads - reads
    # "The end" is the oldest record: the last row on screen must be it.
    oldest = full.store.list_transactions(TxFilter(), limit=1, oldest_first=True)[0]
    last = last_visible(page)
    shown = page.model.record(last)
    result["row_count"] = page.model.rowCount()
    result["last_row"] = last
    result["last_is_oldest"] = last == rows - 1 and shown is not None and shown.uuid == oldest.uuid
    if not result["last_is_oldest"]:
        raise RuntimeError(f"after scrolling to the end the last row shown is {last} of {rows}")
    # Jumps (a drag of the scroll bar) to random rows; baseline: jumps inside the first page,
    # which the model already holds (the view's own work, no database read).
    rng = random.Random(62)
    inside = [jump(page, rng.randrange(max(1, min(rows, PAGE_SIZE) - 40))) for _ in range(20)]
    anywhere = [jump(page, rng.randrange(rows)) for _ in range(20)]
    result["jump_cached_s"] = statistics.median(inside)
    result["jump_s"] = statistics.median(anywhere)
    result["jump_max_s"] = max(anywhere)
    result["pages_held"] = page.model.cached_pages
    close(page)

    # One page read from the store with nothing held (no key to start from): at the end of the
    # list and in its middle, the farthest a page can be from either end.
    def page_read(row: int) -> float:
        times = []
        for _ in range(5):
            model = TransactionsModel(PageReader(full))
            model.reload()
            start = time.perf_counter()
            model.record(row)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    def search(app: Any, text: str) -> tuple[float, int]:
        gate = ManagerGate(app.secure_settings(), prompts)
        page = TransactionsPage(app, runner, gate, prompts)
        page.resize(1100, 700)
        page.show()
        qt.processEvents()
        start = time.perf_counter()
        page.search.setText(text)
        page.apply_filter()
        qt.processEvents()
        page.grab()
        seconds = time.perf_counter() - start
        found = page.model.rowCount()
        close(page)
        return seconds, found

    result["search_empty_s"], _ = search(empty, "4321")
    result["search_s"], result["search_found"] = search(full, "4321")

    result["read_last_ms"] = page_read(rows - 1) * 1000
    result["read_middle_ms"] = page_read(rows // 2) * 1000
    start = time.perf_counter()  # for comparison: the deepest page by OFFSET from the newest
    full.store.list_transactions(TxFilter(), offset=max(0, rows - PAGE_SIZE), limit=PAGE_SIZE)
    result["read_offset_ms"] = (time.perf_counter() - start) * 1000

    # The window's status read (every 5 s, the store's connection busy meanwhile).
    result["status_empty_s"] = median_seconds(lambda: empty.status(history=False))
    result["status_s"] = median_seconds(lambda: full.status(history=False))
    runner.shutdown()
    empty.close()
    full.close()
    return result


def bench_gui(sizes: Sizes, work: Path) -> list[Figure]:
    result = run_child(
        ["--child", "gui", "--dir", str(work / "gui"), "--rows", str(sizes.gui_rows)]
    )
    rows = int(result["rows"])
    if not result["last_is_oldest"] or result["row_count"] != rows:
        raise RuntimeError(f"the view did not reach the oldest of {rows:,} records")
    return [
        Figure.make(
            "gui_first_paint_s",
            f"transactions view first paint ({rows:,} records)",
            result["paint_s"],
            "s",
            baseline=result["empty_paint_s"],
            goal=("measured", "<", 1.0),
            note="construct, show, process events, grab(); baseline: the same on an empty queue",
        ),
        Figure.make(
            "gui_scroll_end_s",
            f"transactions view scroll to end ({rows:,} records)",
            result["scroll_s"],
            "s",
            baseline=result["empty_scroll_s"],
            goal=("measured", "<", 1.0),
            note=f"scrollToBottom + processEvents + grab(); the last row shown is row "
            f"{result['last_row'] + 1:,} of {result['row_count']:,}, the oldest record (checked); "
            f"{result['scroll_page_reads']} page(s) read for it",
        ),
        Figure.make(
            "gui_search_last4_s",
            f"transactions view: search by last four digits ({rows:,} records)",
            result["search_s"],
            "s",
            baseline=result["search_empty_s"],
            goal=("measured", "<", 0.2),
            note=f"type 4 digits, apply the filter, paint; {result['search_found']:,} found; "
            "baseline: the same on an empty queue",
        ),
        Figure.make(
            "gui_jump_s",
            f"transactions view: jump to a random row of {rows:,} (median of 20)",
            result["jump_s"],
            "s",
            baseline=result["jump_cached_s"],
            note=f"scrollTo(row, PositionAtTop) + processEvents + grab(); slowest "
            f"{result['jump_max_s'] * 1000:.1f} ms; {result['pages_held']} pages held after; "
            f"one page read with nothing held: last {result['read_last_ms']:.1f} ms, middle "
            f"{result['read_middle_ms']:.1f} ms (LIMIT/OFFSET from the newest to the last page: "
            f"{result['read_offset_ms']:.1f} ms); baseline: jumps inside the first page (held)",
        ),
        Figure.make(
            "gui_status_s",
            f"window status read ({rows:,} records, median of 20)",
            result["status_s"],
            "s",
            baseline=result["status_empty_s"],
            note="App.status(history=False), what the status bar and tray read every 5 s; "
            "baseline: the same on an empty queue",
        ),
    ]


# -- machine and main -------------------------------------------------------------------------


def cpu_reference_s() -> float:
    """Seconds of a fixed pure-Python loop (best of 3): how fast this machine is at the time,
    for reading absolute goals (a shared VM's speed changes from day to day)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        total = 0
        for number in range(3_000_000):
            total += number
        best = min(best, time.process_time() - start)
    return round(best, 3)


def machine_info(work: Path) -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_reference_s": cpu_reference_s(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()
        info["memory_gb"] = round(int(mem[1]) / 1024 / 1024, 1)
    with contextlib.suppress(OSError, ValueError):
        # The filesystem holding the benchmark's temporary directory, and whether it spins.
        best = ("", "", "")
        target = str(work.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, fstype = line.split()[:3]
            if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(
                mount
            ) >= len(best[1]):
                best = (device, mount, fstype)
        info["disk"] = f"{best[0]} ({best[2]}) mounted on {best[1]}"
        name = Path(best[0]).name
        rotational = Path(f"/sys/block/{name}/queue/rotational")
        if rotational.exists():
            info["disk_rotational"] = rotational.read_text().strip() == "1"
    with contextlib.suppress(Exception):
        import sqlite3

        from sqlcipher3 import dbapi2

        info["sqlite"] = sqlite3.sqlite_version
        info["sqlcipher_sqlite"] = dbapi2.sqlite_version
    return info


def bench_tuning(sizes: Sizes, work: Path) -> list[Figure]:
    """How batch size and concurrency change sync time: the measurement behind the defaults.

    Every run syncs the same sales against a fresh sandbox (20 ms latency, its own process);
    the baseline is the default setting (batches of 500, concurrency 2) measured in this run.
    """
    data = work / "tuning.jsonl"
    write_sales_jsonl(data, sizes.sync_sales, seed=41, with_ids=True)
    batches = (100, 250, 500, 1000) if sizes is FULL else (50, 100)
    workers = (1, 2, 4) if sizes is FULL else (1, 2)
    default = (500, 2) if sizes is FULL else (100, 2)
    seconds: dict[tuple[int, int], float] = {}
    for batch in batches:
        for concurrency in workers:
            tuned = replace(sizes, sync_batch=batch)
            home = work / f"tuning-{batch}-{concurrency}"
            seconds[(batch, concurrency)] = _app_sync(home, data, tuned, concurrency)[0]
    base = seconds[default]
    return [
        Figure.make(
            f"tuning_b{batch}_c{concurrency}_s",
            f"sync {sizes.sync_sales:,}: batch {batch}, concurrency {concurrency}",
            value,
            "s",
            baseline=base,
            note=f"baseline: batch {default[0]}, concurrency {default[1]} (the defaults)",
        )
        for (batch, concurrency), value in seconds.items()
    ]


BENCHES: dict[str, Callable[[Sizes, Path], list[Figure]]] = {
    "capture": bench_capture,
    "import": bench_import,
    "bigimport": bench_big_import,
    "sync": bench_sync,
    "blocklist": bench_blocklist,
    "startup": bench_startup,
    "gui": bench_gui,
    "tuning": bench_tuning,  # only with --only tuning: the sweep behind the sync defaults
}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Edge Uploader benchmarks (docs/performance.md)")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--json", metavar="PATH", help="results file (default perf-results/...)")
    parser.add_argument(
        "--only",
        metavar="GROUPS",
        help=f"comma-separated subset of: {', '.join(GROUPS)}; also 'tuning' (the sweep of "
        "batch size and concurrency behind the sync defaults)",
    )
    parser.add_argument("--tmp-dir", metavar="DIR", help="where the scratch homes go")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    # Internal: the measured child processes.
    parser.add_argument(
        "--child", choices=["blocklist", "gui", "import", "syncdb"], help=argparse.SUPPRESS
    )
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--idle", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rows", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.child:
        child = {
            "blocklist": child_blocklist,
            "gui": child_gui,
            "import": child_import,
            "syncdb": child_sync_database,
        }[args.child]
        print(json.dumps(child(args)), flush=True)
        return 0
    groups = [g.strip() for g in args.only.split(",")] if args.only else list(GROUPS)
    unknown = sorted(set(groups) - set(BENCHES))
    if unknown:
        print(f"bench: unknown group(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.json) if args.json else RESULTS_DIR / f"bench-{stamp}.json"
    work = Path(tempfile.mkdtemp(prefix="edge-bench-", dir=args.tmp_dir))
    os.environ["EDGE_APP_HOME"] = str(work / "default-home")
    started = time.perf_counter()
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    print(f"Edge Uploader benchmarks, {mode} mode, scratch in {work}", flush=True)
    try:
        for group in groups:
            group_start = time.perf_counter()
            try:
                new = BENCHES[group](sizes, work)
            except Exception as exc:  # report it and go on with the other figures
                errors[group] = f"{type(exc).__name__}: {exc}"
                print(f"  {group}: FAILED ({errors[group]})", flush=True)
                continue
            figures.extend(new)
            print(f"  {group}: {time.perf_counter() - group_start:.1f} s", flush=True)
        machine = machine_info(work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    doc = {
        "schema": 1,
        "mode": mode,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 1),
        "command": "python3 tests/perf/bench.py" + (" --quick" if args.quick else ""),
        "machine": machine,
        "sizes": asdict(sizes),
        "figures": [asdict(f) for f in figures],
        "errors": errors,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print()
    print(render_table(figures))
    if args.markdown:
        print()
        print(render_markdown(figures))
    missed = [f.label for f in figures if f.status == "MISS"]
    print()
    print(
        f"machine: {machine.get('nproc')} CPUs, {machine.get('cpu', '?')}; CPU reference "
        f"(3,000,000 Python additions) {machine.get('cpu_reference_s')} s"
    )
    print(f"{len(figures)} figures, {len(missed)} goal(s) missed; results in {out}")
    return 1 if errors else 0


if __name__ == "__main__":
    _reexec_in_venv()
    _prepare_environment()
    raise SystemExit(main(sys.argv[1:]))
