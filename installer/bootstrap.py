"""Set up a development environment on a fresh machine (standard library only).

Used by the README's two commands (`installer/quickstart.py` and `tests/run.py`) and by CI:
- a virtual environment in `.venv` with the project installed in editable mode;
- on Linux, the system libraries Qt needs (installed with apt-get when running as root,
  otherwise printed as one apt-get command to run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"

# What a bare Debian/Ubuntu lacks for Qt 6.5+: the offscreen platform (tests) needs the first
# group, a real X server (the window) also needs the xcb group, and Xvfb runs the window tests.
QT_OFFSCREEN_PACKAGES = [
    "libgl1",
    "libegl1",
    "libxkbcommon0",
    "libfontconfig1",
    "libfreetype6",
    "libglib2.0-0",
    "libdbus-1-3",
    "fonts-dejavu-core",
    # Traditional Chinese glyphs: without them zh_TW text is drawn, and measured, as boxes
    "fonts-wqy-microhei",
]
QT_XCB_PACKAGES = [
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxcb-sync1",
    "libxcb-shm0",
    "libx11-xcb1",
    "libxcb-util1",
]
# Xvfb + xwininfo: the window on a real X server; nsis: compiles the Windows installer script;
# poppler-utils: pdftotext reads the shop-close report's PDF back in the tests.
TEST_TOOL_PACKAGES = ["xvfb", "xauth", "x11-utils", "nsis", "poppler-utils"]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def run(cmd: list[str], **kwargs: object) -> None:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def _missing_debian_packages(packages: list[str]) -> list[str]:
    if not shutil.which("dpkg-query"):
        return []
    missing = []
    for name in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def ensure_system_packages(packages: list[str]) -> bool:
    """Install missing Debian packages when root; otherwise say exactly what to run.

    Returns False when something is missing and could not be installed.
    """
    if not sys.platform.startswith("linux"):
        return True
    missing = _missing_debian_packages(packages)
    if not missing:
        return True
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
        return True
    print(
        "Qt needs these system libraries; install them and run this again:\n"
        f"  sudo apt-get install -y {' '.join(missing)}",
        file=sys.stderr,
    )
    return False


def ensure_venv(extras: str = "") -> Path:
    """Create .venv if needed and install the project (editable) with the given extras."""
    if not venv_python().exists():
        print(f"Creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f"{ROOT}[{extras}]" if extras else str(ROOT)
    run(
        [
            str(venv_python()),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-e",
            spec,
        ]
    )
    return venv_python()
