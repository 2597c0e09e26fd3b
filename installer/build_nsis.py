"""Step 5 of installer/build.py: the Windows installer dist/edge-app-<version>-setup.exe, made by
makensis from installer/windows/edge-app.nsi.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from build_common import APP_NAME, DIST_DIR, ROOT, BuildError, log

NSIS_SCRIPT = ROOT / "installer" / "windows" / "edge-app.nsi"
ICON_ICO = ROOT / "resources" / "icons" / "edge-app.ico"


def nsis_command(source_dir: Path, version: str, outfile: Path, verbosity: int = 2) -> list[str]:
    """makensis with the defines installer/windows/edge-app.nsi expects."""
    cmd = [
        "makensis",
        f"-V{verbosity}",
        f"-DSOURCE_DIR={source_dir}",
        f"-DVERSION={version}",
        f"-DOUTFILE={outfile}",
    ]
    if ICON_ICO.exists():
        cmd.append(f"-DICON={ICON_ICO}")
    return [*cmd, str(NSIS_SCRIPT)]


def build_nsis(bundle: Path, version: str) -> Path:
    if not shutil.which("makensis"):
        raise BuildError("makensis is not installed (choco install nsis / apt-get install nsis).")
    target = DIST_DIR / f"{APP_NAME}-{version}-setup.exe"
    cmd = nsis_command(bundle, version, target)
    log("+ " + " ".join(cmd))
    if subprocess.run(cmd, check=False).returncode != 0 or not target.exists():
        raise BuildError("makensis failed (see its output above).")
    return target
