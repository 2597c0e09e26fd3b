"""The benchmark command runs end to end in its quick mode and reports every figure.

Only that the figures exist and are sane is checked here: speed goals are reported by the
benchmark (PASS / MISS) and never asserted, so a slow CI machine cannot fail the suite.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent / "bench.py"
EXPECTED = {
    "capture_p50_ms",
    "capture_p99_ms",
    "capture_sqlcipher_p50_ms",
    "capture_schema_p50_ms",
    "capture_backlog_p50_ms",
    "capture_backlog_p99_ms",
    "capture_flat_p50_ms",
    "status_backlog_ms",
    "import_rows_per_s",
    "import_checks_rows_per_s",
    "big_import_rows_per_s",
    "big_import_peak_rss_mb",
    "big_import_capture_wait_ms",
    "big_import_sync_exit",
    "sync_c2_s",
    "sync_c1_s",
    "sync_strict_s",
    "sync_local_ms_per_1000",
    "sync_database_ms_per_1000",
    "sync_database_floor_cipher_ms_per_1000",
    "sync_database_trail_ms_per_1000",
    "blocklist_import_s",
    "blocklist_sync_s",
    "blocklist_peak_rss_mb",
    "startup_status_s",
    "gui_first_paint_s",
    "gui_scroll_end_s",
    "gui_search_last4_s",
    "gui_jump_s",
    "gui_status_s",
}
# An exit code: no baseline, and 0 is a valid value.
EXIT_CODES = {"big_import_sync_exit"}
WITH_GOAL = {
    "capture_p50_ms",
    "capture_p99_ms",
    "capture_backlog_p50_ms",
    "capture_backlog_p99_ms",
    "capture_flat_p50_ms",
    "import_rows_per_s",
    "big_import_rows_per_s",
    "big_import_peak_rss_mb",
    "big_import_capture_wait_ms",
    "big_import_sync_exit",
    "sync_c2_s",
    "sync_c1_s",
    "sync_strict_s",
    "sync_local_ms_per_1000",
    "blocklist_peak_rss_mb",
    "startup_status_s",
    "gui_first_paint_s",
    "gui_scroll_end_s",
    "gui_search_last4_s",
}


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


@pytest.mark.perf
def test_quick_benchmark_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results" / "bench.json"
    # The interpreter running the tests runs the benchmark (no switch to .venv's Python).
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EDGE_BENCH_NO_REEXEC": "1"}
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--quick",
            "--json",
            str(out),
            "--tmp-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert out.is_file()
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["mode"] == "quick"
    assert doc["errors"] == {}
    assert doc["machine"]["nproc"] >= 1
    figures = {f["key"]: f for f in doc["figures"]}
    assert set(figures) == EXPECTED
    for key, figure in figures.items():
        assert (figure["status"] != "INFO") == (key in WITH_GOAL), key
        if key in EXIT_CODES:
            assert figure["measured"] in (0, 1, 2, 3, 4), key
            assert figure["status"] == ("PASS" if figure["measured"] in (0, 4) else "MISS"), key
            continue
        assert _positive_number(figure["measured"]), key
        assert figure["status"] in ("PASS", "MISS", "INFO"), key
        # Every figure has a baseline measured in the same run, hence a ratio.
        assert _positive_number(figure["baseline"]), key
        assert _positive_number(figure["ratio"]), key
    # The table went to stdout; the scratch homes were removed; no card number was printed.
    assert "capture commit p50" in result.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("edge-bench-")]
    assert not re.search(r"\d{13,}", result.stdout + result.stderr)
