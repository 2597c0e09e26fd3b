"""Nothing is cut at 1024×700 nor at 150 % scaling (a 1920×1080 screen seen as 1280×720): each size
needs its own Qt process, because the screen is fixed when Qt starts, so layout_screens.py runs in
a pytest subprocess per size."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHOTS = HERE.parents[1] / "test-output" / "layout"
SCREENS = {
    "1024x700": {"width": 1024, "height": 700, "scale": "1"},
    "150pct": {"width": 1920, "height": 1080, "scale": "1.5"},
}


@pytest.mark.parametrize("size", sorted(SCREENS))
def test_every_screen_fits_the_screen(size: str, tmp_path: Path) -> None:
    screen = SCREENS[size]
    shutil.rmtree(SHOTS / size, ignore_errors=True)
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "Screen",
                        "x": 0,
                        "y": 0,
                        "width": screen["width"],
                        "height": screen["height"],
                        "logicalDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QT_", "PYTEST_XDIST", "EDGE_APP_"))
    }
    env.update(
        QT_QPA_PLATFORM=f"offscreen:configfile={config}",
        QT_SCALE_FACTOR=str(screen["scale"]),
        EDGE_APP_LAYOUT_SHOTS=str(SHOTS / size),
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-o",
            "addopts=",
            str(HERE / "layout_screens.py"),
        ],
        cwd=HERE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # 9 window screens and 3 wizard pages, in 2 languages
    assert len(list((SHOTS / size).glob("*.png"))) == 2 * (9 + 3)
