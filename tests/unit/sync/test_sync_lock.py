"""The inter-process sync lock and the window's probe of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edge_app.sync.lock import LOCK_FILE, SyncLock, SyncLocked, is_locked

HOLD = (
    "import sys, time; from pathlib import Path; from edge_app.sync.lock import SyncLock\n"
    "with SyncLock(Path(sys.argv[1]), 'unattended'):\n"
    "    print('held', flush=True); sys.stdin.readline()\n"
)


def test_probe_names_the_holder_of_another_process(tmp_path: Path) -> None:
    assert is_locked(tmp_path) is None  # no lock file yet
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        holder = is_locked(tmp_path)
        assert holder is not None and holder.pid == proc.pid and holder.trigger == "unattended"
    finally:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=10)
    assert is_locked(tmp_path) is None


def test_probe_never_takes_the_lock_nor_rewrites_the_holder(tmp_path: Path) -> None:
    """A run that starts while the window probes is never refused because of the probe."""
    (tmp_path / LOCK_FILE).write_text(" ")
    before = (tmp_path / LOCK_FILE).read_bytes()
    stop = threading.Event()
    probes = 0

    def probe() -> None:
        nonlocal probes
        while not stop.is_set():
            is_locked(tmp_path)
            probes += 1

    thread = threading.Thread(target=probe)
    thread.start()
    refused = 0
    try:
        deadline = time.monotonic() + 1.0
        runs = 0
        while time.monotonic() < deadline:
            try:
                with SyncLock(tmp_path, "unattended"):
                    runs += 1
            except SyncLocked:
                refused += 1
    finally:
        stop.set()
        thread.join()
    assert probes > 100 and runs > 100
    assert refused == 0
    assert (tmp_path / LOCK_FILE).read_bytes() == before  # released: only the locked byte


def test_a_holder_that_died_without_releasing_does_not_count(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(proc.stdout)
    (tmp_path / LOCK_FILE).write_text(
        " " + json.dumps({"pid": dead_pid, "trigger": "unattended", "since": time.time()})
    )
    assert is_locked(tmp_path) is None
    # The lock itself is free: the OS released it with the dead process.
    with SyncLock(tmp_path, "window"):
        holder = is_locked(tmp_path)
        assert holder is not None and holder.pid == os.getpid() and holder.trigger == "window"


@pytest.mark.skipif(os.name == "nt", reason="POSIX process ids")
def test_a_holder_of_another_user_counts(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text(
        " " + json.dumps({"pid": 1, "trigger": "unattended", "since": time.time()})
    )
    holder = is_locked(tmp_path)
    assert holder is not None and holder.pid == 1
