"""Nothing is cut at 1024×700 nor at 150 % scaling (a 1920×1080 screen seen as 1280×720): each size
needs its own Qt process, because the screen is fixed when Qt starts, so layout_screens.py runs in
a pytest subprocess per size.

`python tests/gui/test_layout_sizes.py` refreshes the screenshots docs/screens.md shows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHOTS = ROOT / "test-output" / "layout"
DOC_SHOTS = ROOT / "docs" / "screens"
SCREENS = {
    "1024x700": {"width": 1024, "height": 700, "scale": "1"},
    "150pct": {"width": 1920, "height": 1080, "scale": "1.5"},
}
SCREENS_PER_LANGUAGE = 10 + 3  # window screens and wizard pages (layout_screens.py)


def run_layout_screens(size: str, shots: Path, work: Path) -> subprocess.CompletedProcess[str]:
    """layout_screens.py on an offscreen screen of that size, its PNGs into `shots`."""
    screen = SCREENS[size]
    shutil.rmtree(shots, ignore_errors=True)
    config = work / "screen.json"
    geometry = {"name": "Screen", "x": 0, "y": 0, "width": screen["width"]}
    geometry.update(height=screen["height"], logicalDpi=96, dpr=1)
    config.write_text(json.dumps({"screens": [geometry]}), encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QT_", "PYTEST_XDIST", "EDGE_APP_"))
    }
    env.update(
        QT_QPA_PLATFORM=f"offscreen:configfile={config}",
        QT_SCALE_FACTOR=str(screen["scale"]),
        EDGE_APP_LAYOUT_SHOTS=str(shots),
    )
    pytest_args = ["-q", "-p", "no:cacheprovider", "-o", "addopts="]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, str(HERE / "layout_screens.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("size", sorted(SCREENS))
def test_every_screen_fits_the_screen(size: str, tmp_path: Path) -> None:
    run = run_layout_screens(size, SHOTS / size, tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert len(list((SHOTS / size).glob("*.png"))) == 2 * SCREENS_PER_LANGUAGE


def refresh_doc_screens() -> None:
    """The 1024×700 set, in both languages, in 256 colours (a quarter of the bytes)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    with tempfile.TemporaryDirectory() as work:
        shots = Path(work) / "shots"
        run = run_layout_screens("1024x700", shots, Path(work))
        if run.returncode != 0:
            sys.exit(run.stdout[-4000:] + run.stderr[-2000:])
        shutil.rmtree(DOC_SHOTS, ignore_errors=True)
        DOC_SHOTS.mkdir(parents=True)
        for png in sorted(shots.glob("*.png")):
            flat = Qt.ImageConversionFlag.AvoidDither | Qt.ImageConversionFlag.ThresholdDither
            image = QImage(str(png)).convertToFormat(QImage.Format.Format_Indexed8, flat)
            assert image.save(str(DOC_SHOTS / png.name), "PNG", 0)  # 0: smallest file
    print(f"{len(list(DOC_SHOTS.glob('*.png')))} screenshots in {DOC_SHOTS}")


if __name__ == "__main__":
    refresh_doc_screens()
