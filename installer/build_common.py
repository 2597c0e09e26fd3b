"""What every step of installer/build.py shares: the paths, the program's name, BuildError, log.

Standard library only, like the rest of the build.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "edge-app.spec"
# EDGE_APP_BUILD_DIR / EDGE_APP_DIST_DIR move the work and output folders (the Windows build under
# Wine keeps its own, so it never rebuilds the Linux build/venv or bundle).
BUILD_DIR = Path(os.environ.get("EDGE_APP_BUILD_DIR") or ROOT / "build")
DIST_DIR = Path(os.environ.get("EDGE_APP_DIST_DIR") or ROOT / "dist")
APP_NAME = "edge-app"
IS_WINDOWS = os.name == "nt"
EXE_NAME = "edge-app.exe" if IS_WINDOWS else "edge-app"


class BuildError(Exception):
    """A build or smoke-test step failed: one plain sentence (details printed before)."""


def log(message: str) -> None:
    print(message, flush=True)


def read_version() -> str:
    text = (ROOT / "edge_app" / "__init__.py").read_text("utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise BuildError("edge_app/__init__.py has no __version__.")
    return match.group(1)


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def mib(size: int) -> str:
    return f"{size / 1048576:.1f} MiB"
