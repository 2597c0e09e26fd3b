"""Build the frozen bundle, smoke-test it headless, and package the Debian .deb.

    python installer/build.py [--skip-smoke] [--skip-deb] [--clean]

0. The build environment build/venv: exactly the packages of installer/requirements-build.txt,
   installed with pip --require-hashes (reused until the lock file, pyproject.toml or the
   Python changes).
1. PyInstaller with installer/edge-app.spec -> dist/edge-app/ (one folder, program `edge-app`,
   `edge-app.exe` on Windows). Work files go to build/pyinstaller/.
2. Checks of the bundle: keyring backends and their entry-point metadata are inside; on Linux no
   bundled library misses another bundled library (what the spec's filters could break).
3. Smoke test of the frozen program in a temporary home with a clean environment (no PYTHONPATH,
   QT_QPA_PLATFORM=offscreen, EDGE_APP_DB_KEY set): --version, init (sandbox), status --json,
   capture sale, the frozen sandbox gateway in the background, login --password-stdin,
   sync --json (uploaded 1), status --json again, a passphrase-file install (no keyring here),
   and the window offscreen for 3 s. Any non-zero exit, or any stderr line not explicitly
   expected for that step, fails the build.
4. Linux: dist/edge-app_<version>_<arch>.deb (dpkg-deb --root-owner-group), whose Depends lists
   the system libraries the bundled Qt needs, found with ldd and mapped to packages with dpkg -S
   (or the table SONAME_PACKAGES in build_deb.py where the library is not installed on the build
   machine).
5. With --nsis (on Windows): dist/edge-app-<version>-setup.exe, made by makensis.

This file owns the command line and the order of the steps. The steps are modules beside it:
build_env.py (0), build_bundle.py (1, 2), build_smoke.py (3), build_deb.py (4),
build_nsis.py (5), and build_common.py for what they share.

Standard library only: it runs before anything else is set up.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# The step modules sit beside this file, which is run as a script or loaded by path (the tests).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_bundle import (
    LddReport,
    build_bundle,
    check_bundle_contents,
    elf_needed,
    parse_ldd,
    scan_libraries,
)
from build_common import BUILD_DIR, BuildError, log, mib, read_version, tree_size
from build_deb import build_deb, control_text, deb_architecture, depends_for
from build_env import ensure_build_env
from build_nsis import build_nsis, nsis_command
from build_smoke import ENV_KEY_WARNING, smoke_test, unexpected_stderr

# What tests/e2e/test_installer.py (and anyone who used the single-file build.py) takes from here.
__all__ = [
    "ENV_KEY_WARNING",
    "BuildError",
    "control_text",
    "deb_architecture",
    "depends_for",
    "elf_needed",
    "main",
    "nsis_command",
    "parse_ldd",
    "read_version",
    "unexpected_stderr",
]

# -- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--skip-smoke", action="store_true", help="do not run the smoke test")
    parser.add_argument("--skip-deb", action="store_true", help="do not build the .deb")
    parser.add_argument("--clean", action="store_true", help="clear PyInstaller's cache first")
    parser.add_argument(
        "--nsis",
        action="store_true",
        help="also build the Windows installer with makensis (on Windows)",
    )
    args = parser.parse_args(argv)
    timings: dict[str, float] = {}
    try:
        version = read_version()
        started = time.monotonic()
        python = ensure_build_env()
        timings["build environment"] = time.monotonic() - started
        started = time.monotonic()
        bundle = build_bundle(args.clean, python)
        timings["pyinstaller"] = time.monotonic() - started
        check_bundle_contents(bundle, BUILD_DIR / "pyinstaller")
        report = scan_libraries(bundle) if sys.platform.startswith("linux") else LddReport()
        if report.missing_bundled:
            raise BuildError(
                "Bundled libraries miss others the spec dropped: "
                + "; ".join(report.missing_bundled[:10])
            )
        log(f"Bundle: {bundle} ({mib(tree_size(bundle))})")
        if not args.skip_smoke:
            log("Smoke test of the frozen program:")
            started = time.monotonic()
            checks = smoke_test(bundle, version)
            timings["smoke test"] = time.monotonic() - started
            log(f"Smoke test passed: {len(checks)} checks.")
        if not args.skip_deb and sys.platform.startswith("linux"):
            started = time.monotonic()
            depends = depends_for(report.system)
            deb = build_deb(bundle, version, depends)
            timings["deb"] = time.monotonic() - started
            log(f"Depends: {', '.join(depends)}")
            log(f"Package: {deb} ({mib(deb.stat().st_size)})")
        if args.nsis:
            started = time.monotonic()
            setup = build_nsis(bundle, version)
            timings["nsis"] = time.monotonic() - started
            log(f"Windows installer: {setup} ({mib(setup.stat().st_size)})")
    except BuildError as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 1
    log("Timings: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
