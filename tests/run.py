"""Set up and run every check: ruff, mypy (strict on the core), and all pytest suites.

    python3 tests/run.py            # what CI runs
    python3 tests/run.py -k sync    # extra arguments go to pytest (-n 0: one process)

Creates .venv, installs the project with its dev extras, installs the system libraries Qt needs
(apt-get, when root), then runs the checks with Qt on the offscreen platform.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "installer"))
import bootstrap

CORE_TYPED = ["edge_app", "storage"]


def main(argv: list[str]) -> int:
    packages = (
        bootstrap.QT_OFFSCREEN_PACKAGES + bootstrap.QT_XCB_PACKAGES + bootstrap.TEST_TOOL_PACKAGES
    )
    if not bootstrap.ensure_system_packages(packages):
        return 2
    python = str(bootstrap.ensure_venv("dev"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    # Build, install (dpkg, as root) and remove the .deb; EDGE_APP_TEST_INSTALLER=0 skips it.
    env.setdefault("EDGE_APP_TEST_INSTALLER", "1")
    # Build, install, run and uninstall the Windows package under Wine (as root on Debian: it
    # installs wine, nsis, mingw with apt-get; several minutes); EDGE_APP_TEST_WINDOWS=0 skips it.
    env.setdefault("EDGE_APP_TEST_WINDOWS", "1")
    root = str(bootstrap.ROOT)
    steps = [
        ("ruff", [python, "-m", "ruff", "check", "."]),
        ("mypy", [python, "-m", "mypy", *CORE_TYPED]),
        # Two workers on this kind of machine (-n auto: one per core); `-n 0` runs serially.
        ("pytest", [python, "-m", "pytest", "-n", "auto", *argv]),
    ]
    failed = []
    for name, cmd in steps:
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        if subprocess.run(cmd, cwd=root, env=env, check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", flush=True)
        return 1
    print("\nAll checks passed.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
