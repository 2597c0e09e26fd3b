"""The Windows package, built, installed, run and uninstalled under Wine on this Linux machine:
installer/windows/test_windows_package.py (see its docstring for every step).

It installs Debian packages (wine, nsis, mingw, Xvfb), so it runs only as root on Debian/Ubuntu,
as the .deb test does; EDGE_APP_TEST_WINDOWS=0 skips it. On 2 cores about 6 minutes the first
time (the Wine prefix, the Windows Python and its build environment are made under
~/.cache/edge-app-wine), about 5 after.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "installer" / "windows" / "test_windows_package.py"
OUT = ROOT / "build" / "windows-test"


def _why_not() -> str | None:
    if os.environ.get("EDGE_APP_TEST_WINDOWS") == "0":
        return "EDGE_APP_TEST_WINDOWS=0"
    if not sys.platform.startswith("linux") or not shutil.which("dpkg"):
        return "builds the Windows package under Wine on Debian/Ubuntu only"
    if os.geteuid() != 0:
        return "needs root (it installs wine, nsis, mingw and Xvfb with apt-get)"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_why_not() is not None, reason=f"Windows package under Wine: {_why_not()}")
def test_windows_installer_builds_installs_runs_and_uninstalls_under_wine() -> None:
    shot = OUT / "installed-window.png"
    shot.unlink(missing_ok=True)
    (OUT / "checks.json").unlink(missing_ok=True)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--screenshot", str(shot)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "Windows package passed under Wine" in result.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    checks = json.loads((OUT / "checks.json").read_text("utf-8"))
    assert "failed" not in checks
    assert checks["headers"]["X-USER-TIME-ZONE"] == "Asia/Tokyo"  # the prefix's Windows zone
    assert checks["headers"]["X-USER-SYSTEM-VERSION"].startswith("Windows ")
    assert checks["home"].lower().endswith("\\appdata\\local\\edge-app")
    done = set(checks["checks"])
    for name in (
        "capture sale --card-stdin",
        "import transactions (40 sales)",
        "sync --json",
        "key in Windows Credential Manager (keyring), queue.db encrypted",
        "second sync while one runs: exit 4 (sync lock)",
        "taskkill /F mid-sync",
        "sync after the kill",
        "no keyring: --key-store keyring refused in one line",
    ):
        assert name in done, name
    assert checks["schedule_show"]["exit"] in (0, 5)
    print(f"Windows package under Wine: {time.monotonic() - started:.0f} s")
