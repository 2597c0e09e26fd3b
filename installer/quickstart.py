"""Try Edge Uploader on this computer against the embedded sandbox gateway (no account needed).

    python3 installer/quickstart.py

Creates .venv, installs the app, installs the system libraries the window needs (apt-get, when
root; otherwise prints the command), then runs `edge-app demo`: a sandbox gateway on loopback and a
demo store in `.demo-home/`, opened in the window (or, with no display, a command-line
walk-through).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bootstrap


def main(argv: list[str]) -> int:
    has_display = (
        bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.name == "nt"
    )
    packages = bootstrap.QT_OFFSCREEN_PACKAGES + (bootstrap.QT_XCB_PACKAGES if has_display else [])
    if not bootstrap.ensure_system_packages(packages):
        return 2
    bootstrap.ensure_venv()
    edge_app = bootstrap.venv_bin("edge-app.exe" if os.name == "nt" else "edge-app")
    home = bootstrap.ROOT / ".demo-home"
    return subprocess.run(
        [str(edge_app), "--home", str(home), "demo", *argv], check=False
    ).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
