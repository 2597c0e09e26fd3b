"""kill -9 of the sync process at random points: nothing lost, nothing charged twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support import TEST_KEY, VISA

ROUNDS = 20
SALES = 600  # with 60 ms per request a full run takes seconds, so most kills land mid-run


def cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "edge_app", "--home", str(home), *args]


def test_kill_minus_nine_loop(online_app: Any, gateway: Any, home: Path) -> None:
    rng = random.Random(20261126)
    uuids = [
        online_app.capture_sale(
            amount=f"{i % 50 + 1}.00", currency="HKD", card_number=VISA, expiry="2912"
        ).uuid
        for i in range(SALES)
    ]
    online_app.update_config(batch_size=10, concurrency=2, query_interval=0.1, pending_wait=2.0)
    gateway.set_options(latency_ms=60, pending_rate=0.1, pending_seconds=0.2, drop_rate=0.05)
    env = {**os.environ, "EDGE_APP_DB_KEY": TEST_KEY}
    killed = 0
    for _ in range(ROUNDS):
        proc = subprocess.Popen(
            cli(home, "sync", "--unattended", "--json"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 1.2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed >= ROUNDS // 2, "the loop must really kill runs in the middle"
    gateway.set_options(drop_rate=0.0, pending_rate=0.0)
    final = subprocess.run(
        cli(home, "sync", "--unattended", "--json"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert final.returncode == 0, final.stdout + final.stderr
    received = gateway.received()["transactions"]
    assert sorted(received) == sorted(uuids)  # nothing lost, nothing invented
    assert all(received[u]["processed"] == 1 for u in uuids)  # nothing charged twice
    states = {online_app.store.get(u).state.value for u in uuids}
    assert states == {"uploaded"}
