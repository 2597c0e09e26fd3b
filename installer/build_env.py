"""Step 0 of installer/build.py: the build environment build/venv, where PyInstaller runs.

It holds exactly the files named in installer/requirements-build.txt (pip checks every hash, and
takes wheels only), so the bundle does not change with what the package index serves today; the
ranges in pyproject.toml are for developers. The project itself goes in with --no-deps, editable
(PyInstaller takes its code from the checkout anyway). The environment is made again whenever
the lock file, pyproject.toml or the Python running the build changes, and reused otherwise.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from build_common import BUILD_DIR, IS_WINDOWS, ROOT, BuildError, log

LOCK_FILE = ROOT / "installer" / "requirements-build.txt"
VENV_DIR = BUILD_DIR / "venv"
STAMP = VENV_DIR / "edge-app-build.stamp"  # what the environment was made from


def venv_python(venv_dir: Path = VENV_DIR) -> Path:
    return venv_dir / ("Scripts/python.exe" if IS_WINDOWS else "bin/python")


def stamp_text() -> str:
    """The lock file's and pyproject.toml's digests and the Python version, one per line."""
    lines = [
        f"{path.name} {hashlib.sha256(path.read_bytes()).hexdigest()}"
        for path in (LOCK_FILE, ROOT / "pyproject.toml")
    ]
    return "\n".join([*lines, f"python {sys.version.split()[0]}"]) + "\n"


def pip_install(python: Path, args: list[str], what: str) -> None:
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *args]
    log("+ " + " ".join(cmd))
    if subprocess.run(cmd, cwd=ROOT, check=False).returncode != 0:
        raise BuildError(f"pip could not install {what} (see its output above).")


def ensure_build_env() -> Path:
    """build/venv made from the lock file, or reused as it is; returns its Python."""
    if not LOCK_FILE.is_file():
        raise BuildError(f"{LOCK_FILE.relative_to(ROOT)} is missing; the build installs from it.")
    python = venv_python()
    wanted = stamp_text()
    if python.exists() and STAMP.is_file() and STAMP.read_text("utf-8") == wanted:
        log(f"Build environment: {VENV_DIR} (up to date with {LOCK_FILE.relative_to(ROOT)})")
        return python
    if VENV_DIR.exists():
        shutil.rmtree(VENV_DIR)  # made again from nothing: no package left from an older lock
    log(f"Creating the build environment {VENV_DIR} from {LOCK_FILE.relative_to(ROOT)}")
    venv.EnvBuilder(with_pip=True).create(VENV_DIR)
    pip_install(
        python,
        ["--require-hashes", "--only-binary", ":all:", "-r", str(LOCK_FILE)],
        "the locked build requirements",
    )
    pip_install(python, ["--no-deps", "--no-build-isolation", "-e", str(ROOT)], "the project")
    STAMP.write_text(wanted, "utf-8")
    return python
