"""The window on a real X server (Xvfb, the xcb platform), not only offscreen.

Qt 6.5+ needs X libraries a bare Debian lacks (libxcb-cursor0 and others); when one is missing
Qt prints "could not load the Qt platform plugin" and exits. This runs `edge-app gui` the way a
user does and expects it to stay up without a word on stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import init_app


def test_gui_command_opens_the_window_on_xvfb(
    xvfb: str, home: Path, db_key: str, tmp_path: Path
) -> None:
    init_app(home).close()
    env = {
        **os.environ,
        "DISPLAY": xvfb,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    err_path = tmp_path / "gui.stderr"
    with err_path.open("w") as err:
        gui = subprocess.Popen(
            [sys.executable, "-m", "edge_app", "--home", str(home), "gui"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                gui.wait(timeout=4)
            if shutil.which("xwininfo"):
                tree = subprocess.run(
                    ["xwininfo", "-root", "-tree", "-display", xvfb],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout
                assert "Edge Uploader" in tree
        finally:
            gui.terminate()
            gui.wait(timeout=10)
    assert err_path.read_text() == ""
