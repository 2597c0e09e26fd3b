"""Build the frozen bundle, smoke-test it headless, and package the Debian .deb.

    python installer/build.py [--skip-smoke] [--skip-deb] [--clean]

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
   (or the table below where the library is not installed on the build machine).

Standard library only: it runs before anything else is set up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "edge-app.spec"
BUILD_DIR = ROOT / "build"
DIST_DIR = ROOT / "dist"
APP_NAME = "edge-app"
IS_WINDOWS = os.name == "nt"
EXE_NAME = "edge-app.exe" if IS_WINDOWS else "edge-app"
DESKTOP_FILE = ROOT / "resources" / "edge-app.desktop"
ICON_PNG = ROOT / "resources" / "icons" / "edge-app.png"
ICON_SVGS = [ROOT / "resources" / "icons" / name for name in ("edge-app.svg", "edge-uploader.svg")]
SMOKE_KEY = "5a" * 32  # a throw-away database key for the smoke test's temporary home
SMOKE_CARD = "4111111111111111"  # a test card (valid Luhn, never real)
SMOKE_PASSPHRASE = "smoke-test-passphrase"  # noqa: S105 - throw-away, temporary home only

# Debian package of each system library (soname) the bundled Qt loads, for build machines where
# the library is not installed and `dpkg -S` cannot tell. Checked on Debian 12 / Ubuntu 22.04+.
SONAME_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libpng16.so.16": "libpng16-16",
    "libexpat.so.1": "libexpat1",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libbsd.so.0": "libbsd0",
    "libmd.so.0": "libmd0",
    "libsystemd.so.0": "libsystemd0",
    "libcap.so.2": "libcap2",
    "libgcrypt.so.20": "libgcrypt20",
    "libgpg-error.so.0": "libgpg-error0",
    "liblzma.so.5": "liblzma5",
    "liblz4.so.1": "liblz4-1",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libffi.so.8": "libffi8",
    "libmount.so.1": "libmount1",
    "libselinux.so.1": "libselinux1",
    "libblkid.so.1": "libblkid1",
}
# Part of every Debian system (libc6 is Essential, the loader comes with it): never a Depends.
ALWAYS_PRESENT = re.compile(
    r"^(linux-vdso|linux-gate|ld-linux[^/]*|libc|libm|libdl|libpthread|librt|libutil|libresolv|"
    r"libanl|libnsl|libcrypt)\.so"
)
# Recommended beside the Depends: without any font Qt draws no text.
RECOMMENDS = ["fonts-dejavu-core"]


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


# -- 1. PyInstaller ---------------------------------------------------------------------------


def build_bundle(clean: bool) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--workpath",
        str(BUILD_DIR / "pyinstaller"),
        "--distpath",
        str(DIST_DIR),
        str(SPEC),
    ]
    if clean:
        cmd.insert(3, "--clean")
    log("+ " + " ".join(cmd))
    if subprocess.run(cmd, cwd=ROOT, check=False).returncode != 0:
        raise BuildError("PyInstaller failed (see its output above).")
    bundle = DIST_DIR / APP_NAME
    for name in (EXE_NAME, "edge-app-gui.exe") if IS_WINDOWS else (EXE_NAME,):
        if not (bundle / name).is_file():
            raise BuildError(f"PyInstaller made no {bundle / name}.")
    return bundle


# -- 2. checks of the bundle ------------------------------------------------------------------


def check_bundle_contents(bundle: Path, work_dir: Path) -> None:
    """keyring finds its backends through entry points: both the metadata and the backend
    modules must be inside, or the frozen app silently falls back to the passphrase file."""
    metadata = list(bundle.rglob("keyring-*.dist-info/entry_points.txt"))
    if not metadata or "keyring.backends" not in metadata[0].read_text("utf-8"):
        raise BuildError("The bundle lacks keyring's entry-point metadata.")
    toc = "\n".join(p.read_text("utf-8", "replace") for p in work_dir.rglob("PYZ-*.toc"))
    wanted = [
        "keyring.backends.SecretService",
        "keyring.backends.Windows",
        "edge_app.cli",
        "edge_app.ui",
        "storage.keys",
        "sqlcipher3",
    ]
    missing = [name for name in wanted if f"'{name}'" not in toc]
    if missing:
        raise BuildError(f"The bundle lacks these modules: {', '.join(missing)}.")
    dropped = [
        name
        for name in ("PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtWebEngineCore")
        if f"'{name}'" in toc
    ]
    if dropped:
        raise BuildError(f"Excluded Qt modules are in the bundle: {', '.join(dropped)}.")


def elf_files(bundle: Path) -> list[Path]:
    found = []
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


@dataclass
class LddReport:
    """Libraries the bundle takes from the system: soname -> resolved path (None: not found)."""

    system: dict[str, str | None] = field(default_factory=dict)
    missing_bundled: list[str] = field(default_factory=list)


def parse_ldd(output: str) -> list[tuple[str, str | None]]:
    """(soname, resolved path or None when 'not found') for each line of `ldd` output."""
    pairs = []
    for line in output.splitlines():
        line = line.strip()
        match = re.match(r"^(\S+)\s+=>\s+(not found|(\S+)\s+\(0x[0-9a-f]+\))", line)
        if match:
            pairs.append((match.group(1), match.group(3)))
        elif re.match(r"^(/\S+)\s+\(0x[0-9a-f]+\)$", line):
            path = line.split()[0]
            pairs.append((Path(path).name, path))
    return pairs


def elf_needed(path: Path) -> list[str]:
    """The DT_NEEDED entries of a 64-bit little-endian ELF file: the libraries it links
    directly (what `readelf -d` lists), without binutils."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return []
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    needed = []
    for _name, sh_type, _f, _a, offset, size, link, _i, _al, _es in sections:
        if sh_type != 6:  # SHT_DYNAMIC
            continue
        strtab_offset = sections[link][4]
        for pos in range(offset, offset + size, 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == 0:  # DT_NULL
                break
            if tag == 1:  # DT_NEEDED
                start = strtab_offset + value
                needed.append(data[start : data.index(b"\0", start)].decode())
    return needed


def scan_libraries(bundle: Path) -> LddReport:
    """What the bundle's ELF files link directly from the system, resolved the way `ldd` does
    on this machine, and any bundled library that lost one the spec dropped."""
    report = LddReport()
    bundled = {p.name for p in bundle.rglob("*.so*")}
    for path in elf_files(bundle):
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
        resolved = dict(parse_ldd(result.stdout)) if result.returncode == 0 else {}
        for soname, where in resolved.items():
            if where is None and (soname in bundled or soname.startswith(("libQt6", "libicu"))):
                report.missing_bundled.append(f"{path.relative_to(bundle)} needs {soname}")
        for soname in elf_needed(path):
            if soname in bundled or ALWAYS_PRESENT.match(soname):
                continue
            if report.system.get(soname) is None:
                report.system[soname] = resolved.get(soname)
    return report


def dpkg_owner(path: str) -> str | None:
    """The Debian package that installed `path` (usr-merged paths tried both ways)."""
    if not shutil.which("dpkg"):
        return None
    candidates = [path]
    if path.startswith("/usr/"):
        candidates.append(path[4:])
    else:
        candidates.append("/usr" + path)
    real = os.path.realpath(path)
    candidates += [real, real[4:] if real.startswith("/usr/") else "/usr" + real]
    for candidate in candidates:
        result = subprocess.run(
            ["dpkg", "-S", candidate], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            package = result.stdout.split(":", 1)[0].split(",")[0].strip()
            return package
    return None


def depends_for(
    system_libs: Mapping[str, str | None],
    owner: Callable[[str], str | None] = dpkg_owner,
    table: Mapping[str, str] = SONAME_PACKAGES,
) -> list[str]:
    """Sorted, de-duplicated Debian packages for the system libraries the bundle loads.

    Raises BuildError naming every library that neither dpkg nor the table can place.
    """
    packages: set[str] = set()
    unknown = []
    for soname, resolved in sorted(system_libs.items()):
        package = owner(resolved) if resolved else None
        package = package or table.get(soname)
        if package is None:
            unknown.append(soname)
        else:
            packages.add(package)
    if unknown:
        raise BuildError(
            "No Debian package is known for "
            + ", ".join(unknown)
            + "; add them to SONAME_PACKAGES in installer/build.py."
        )
    return sorted(packages)


# -- 3. smoke test ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One smoke-test command; `allowed_stderr` are regexes of lines this step may print, each
    with the reason it is expected."""

    name: str
    args: list[str]
    stdin: str | None = None
    allowed_stderr: tuple[tuple[str, str], ...] = ()
    env: Mapping[str, str | None] = field(default_factory=dict)


# Lines a step may write to stderr, and why they are expected rather than a defect.
ENV_KEY_WARNING = (
    r"^warning: The database key comes from EDGE_APP_DB_KEY",
    "the smoke test keeps the key in the environment on purpose (no keyring, no prompt)",
)
NO_KEYRING_WARNING = (
    r"^warning: No OS keyring is available; the database key is in a passphrase-protected file",
    "a clean environment has no Secret Service, so init degrades to the passphrase file",
)


def clean_environment(temp: Path) -> dict[str, str]:
    """Only what a freshly logged-in user would have, pointed at the temporary folder."""
    home = temp / "user"
    home.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "EDGE_APP_DB_KEY": SMOKE_KEY,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(temp / "runtime"),
        "TMPDIR": str(temp),
    }
    (temp / "runtime").mkdir(mode=0o700, exist_ok=True)
    if IS_WINDOWS:
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        env.update(
            {
                "SYSTEMROOT": system_root,
                "PATH": os.pathsep.join([str(Path(system_root) / "System32"), system_root]),
                "USERPROFILE": str(home),
                "APPDATA": str(home / "AppData" / "Roaming"),
                "LOCALAPPDATA": str(home / "AppData" / "Local"),
                "TEMP": str(temp),
                "TMP": str(temp),
            }
        )
    else:
        env["PATH"] = "/usr/bin:/bin"
    return env


def unexpected_stderr(stderr: str, allowed: Iterable[tuple[str, str]]) -> list[str]:
    patterns = [re.compile(pattern) for pattern, _reason in allowed]
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(p.search(line) for p in patterns)
    ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Smoke:
    def __init__(self, exe: Path, temp: Path) -> None:
        self.exe = exe
        self.temp = temp
        self.env = clean_environment(temp)
        self.home = temp / "store-home"
        self.checks: list[str] = []

    def run(self, step: Step, timeout: float = 120) -> str:
        env = {**self.env}
        for key, value in step.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        started = time.monotonic()
        result = subprocess.run(
            [str(self.exe), *step.args],
            input=step.stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.temp,
            timeout=timeout,
            check=False,
        )
        took = time.monotonic() - started
        bad = unexpected_stderr(result.stderr, step.allowed_stderr)
        if result.returncode != 0 or bad:
            log(
                f"  FAILED {step.name}: exit {result.returncode}\n  stdout: {result.stdout.strip()}"
                f"\n  stderr: {result.stderr.strip()}"
            )
            raise BuildError(f"Smoke test step '{step.name}' failed.")
        log(f"  ok {step.name} ({took:.1f} s)")
        for line in result.stderr.splitlines():
            reason = next(why for pattern, why in step.allowed_stderr if re.search(pattern, line))
            log(f"     expected on stderr: {line[:70]}... ({reason})")
        self.checks.append(step.name)
        return result.stdout

    def status(self, name: str) -> dict[str, object]:
        out = self.run(Step(name, ["--home", str(self.home), "status", "--json"]))
        try:
            doc = json.loads(out)
        except ValueError:
            raise BuildError(f"'{name}' did not print JSON.") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("transactions"), dict):
            raise BuildError(f"'{name}' printed JSON without transaction counts.")
        return doc

    def all(self, version: str) -> None:
        out = self.run(Step("--version", ["--version"]))
        if out.strip() != f"edge-app {version}":
            raise BuildError(f"--version printed {out.strip()!r}, expected 'edge-app {version}'.")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        home = str(self.home)
        self.run(
            Step(
                "init (sandbox, key in the environment)",
                [
                    "--home",
                    home,
                    "init",
                    "--environment",
                    "sandbox",
                    "--store-id",
                    "smoke-1",
                    "--username",
                    "smoke@example.com",
                    "--base-url",
                    url,
                ],
                allowed_stderr=(ENV_KEY_WARNING,),
            )
        )
        tx = self.status("status --json (empty)")["transactions"]
        if not isinstance(tx, dict) or tx.get("queued") != 0 or tx.get("uploaded") != 0:
            raise BuildError(f"A new installation reports transactions: {tx}.")
        out = self.run(
            Step(
                "capture sale",
                [
                    "--home",
                    home,
                    "capture",
                    "sale",
                    "--amount",
                    "12.34",
                    "--currency",
                    "EUR",
                    "--card-number",
                    SMOKE_CARD,
                    "--expiry",
                    "3012",
                    "--cvv",
                    "737",
                ],
            )
        )
        if not re.match(r"^sale queued [0-9a-f-]{36}$", out.strip()):
            raise BuildError(f"capture sale printed {out.strip()!r}.")
        tx = self.status("status --json (one queued)")["transactions"]
        if not isinstance(tx, dict) or tx.get("queued") != 1:
            raise BuildError(f"After one capture the counts are {tx}.")
        with self.sandbox(port):
            self.run(
                Step(
                    "login --password-stdin",
                    ["--home", home, "login", "--password-stdin"],
                    stdin="sandbox\n",
                )
            )
            out = self.run(
                Step("sync --json", ["--home", home, "sync", "--json", "--query-interval", "0.2"])
            )
            summary = json.loads(out)
            if summary.get("uploaded") != 1 or summary.get("exit_code", 0) != 0:
                raise BuildError(f"sync uploaded {summary.get('uploaded')}, expected 1: {summary}.")
        tx = self.status("status --json (uploaded)")["transactions"]
        if not isinstance(tx, dict) or tx.get("uploaded") != 1 or tx.get("queued") != 0:
            raise BuildError(f"After the sync the counts are {tx}.")
        self.keyring_fallback()
        self.schedule()
        self.window()

    def keyring_fallback(self) -> None:
        """Without EDGE_APP_DB_KEY and without a keyring daemon, init keeps the key in the
        passphrase file (or, on a Windows runner, in Credential Manager) instead of failing."""
        other = str(self.temp / "keyring-home")
        env = {"EDGE_APP_DB_KEY": None, "EDGE_APP_PASSPHRASE": SMOKE_PASSPHRASE}
        out = self.run(
            Step(
                "init without a key in the environment (keyring or passphrase file)",
                [
                    "--home",
                    other,
                    "init",
                    "--environment",
                    "sandbox",
                    "--store-id",
                    "smoke-2",
                    "--username",
                    "smoke@example.com",
                ],
                allowed_stderr=(NO_KEYRING_WARNING,),
                env=env,
            )
        )
        if "OS keyring" not in out and "passphrase file" not in out:
            raise BuildError(f"init did not say where the key is: {out.strip()!r}.")
        self.run(Step("status with the passphrase", ["--home", other, "status"], env=env))

    def schedule(self) -> None:
        """`schedule show` runs in the frozen program (it registers nothing)."""
        help_text = self.run(Step("--help", ["--help"]))
        if " schedule" not in help_text:
            log("  SKIPPED schedule: the command is not wired into the command line yet")
            return
        system = "windows" if IS_WINDOWS else "systemd"  # systemd: only reads the unit folder
        out = self.run(
            Step(
                "schedule show", ["--home", str(self.home), "schedule", "show", "--system", system]
            )
        )
        if "shop-close sync" not in out:
            raise BuildError(f"schedule show printed {out.strip()!r}.")

    def window(self) -> None:
        """The window starts offscreen and stays up 3 s without a word on stderr."""
        if not (ROOT / "edge_app" / "ui" / "app.py").exists():
            log("  SKIPPED window: edge_app/ui/app.py does not exist yet")
            return
        log_path = self.temp / "gui.stderr"
        with log_path.open("w") as err:
            proc = subprocess.Popen(
                [str(self.exe), "--home", str(self.home), "gui"],
                stdout=subprocess.DEVNULL,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.temp,
            )
            try:
                exited = proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                exited = None
            finally:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
        stderr = log_path.read_text("utf-8", "replace")
        bad = unexpected_stderr(stderr, ())
        if exited is not None or bad:
            log(f"  FAILED window: exit {exited}\n  stderr: {stderr.strip()}")
            raise BuildError("The window did not stay up quietly for 3 s.")
        log("  ok window (offscreen, 3 s)")
        self.checks.append("window (offscreen, 3 s)")

    def sandbox(self, port: int) -> _Sandbox:
        return _Sandbox(self, port)


class _Sandbox:
    """The frozen `edge-app sandbox` in the background; its stderr must stay empty too."""

    def __init__(self, smoke: Smoke, port: int) -> None:
        self.smoke = smoke
        self.port = port
        self.out = smoke.temp / "sandbox.stdout"
        self.err = smoke.temp / "sandbox.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Sandbox:
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [str(self.smoke.exe), "sandbox", "--port", str(self.port)],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=self.smoke.env,
                cwd=self.smoke.temp,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BuildError(
                    f"The sandbox gateway exited: {self.err.read_text('utf-8', 'replace').strip()}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                log(f"  ok sandbox gateway listening on port {self.port}")
                return self
            except OSError:
                time.sleep(0.2)
        raise BuildError("The sandbox gateway did not start listening within 30 s.")

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise BuildError("The sandbox gateway did not stop on SIGTERM.") from None
        stderr = self.err.read_text("utf-8", "replace")
        if exc[0] is None and (unexpected_stderr(stderr, ()) or (code != 0 and not IS_WINDOWS)):
            log(f"  FAILED sandbox: exit {code}\n  stderr: {stderr.strip()}")
            raise BuildError("The sandbox gateway wrote errors or did not exit cleanly.")
        if exc[0] is None:
            self.smoke.checks.append("sandbox gateway (background, clean exit)")


def smoke_test(bundle: Path, version: str) -> list[str]:
    exe = bundle / EXE_NAME
    with tempfile.TemporaryDirectory(
        prefix="edge-app-smoke-", ignore_cleanup_errors=True
    ) as folder:
        smoke = Smoke(exe, Path(folder))
        smoke.all(version)
        return smoke.checks


# -- 4. Debian package ------------------------------------------------------------------------


def deb_architecture() -> str:
    if shutil.which("dpkg"):
        result = subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    return "amd64"


def control_text(
    version: str,
    architecture: str,
    depends: Sequence[str],
    installed_size_kib: int,
    recommends: Sequence[str] = RECOMMENDS,
) -> str:
    """The DEBIAN/control file."""
    lines = [
        f"Package: {APP_NAME}",
        f"Version: {version}",
        f"Architecture: {architecture}",
        "Section: misc",
        "Priority: optional",
        "Maintainer: Edge Uploader maintainers <edge-app@localhost>",
        f"Installed-Size: {installed_size_kib}",
    ]
    if depends:
        lines.append("Depends: " + ", ".join(depends))
    if recommends:
        lines.append("Recommends: " + ", ".join(recommends))
    lines += [
        "Description: Edge Uploader - offline card payments for back-office PCs",
        " Captures card sales, voids and refunds while the network or the payment gateway",
        " is down, keeps them in an encrypted local queue and uploads them when the gateway",
        " is reachable again: from the window, on demand, or unattended at shop close.",
    ]
    return "\n".join(lines) + "\n"


POSTINST = """#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
    fi
fi
exit 0
"""

POSTRM = """#!/bin/sh
set -e
if [ "$1" = "remove" ] || [ "$1" = "purge" ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
    fi
fi
exit 0
"""


def build_deb(bundle: Path, version: str, depends: Sequence[str]) -> Path:
    for needed in (DESKTOP_FILE, ICON_PNG):
        if not needed.exists():
            raise BuildError(f"{needed.relative_to(ROOT)} is missing; the package needs it.")
    if not shutil.which("dpkg-deb"):
        raise BuildError("dpkg-deb is not installed (apt-get install dpkg-dev), or use --skip-deb.")
    architecture = deb_architecture()
    stage = BUILD_DIR / "deb" / f"{APP_NAME}_{version}_{architecture}"
    if stage.exists():
        shutil.rmtree(stage)
    opt = stage / "opt" / APP_NAME
    shutil.copytree(bundle, opt, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    os.symlink(f"/opt/{APP_NAME}/{EXE_NAME}", stage / "usr" / "bin" / APP_NAME)
    apps = stage / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copyfile(DESKTOP_FILE, apps / f"{APP_NAME}.desktop")
    icons = stage / "usr" / "share" / "icons" / "hicolor"
    (icons / "256x256" / "apps").mkdir(parents=True)
    shutil.copyfile(ICON_PNG, icons / "256x256" / "apps" / f"{APP_NAME}.png")
    svg = next((path for path in ICON_SVGS if path.exists()), None)
    if svg is not None:
        (icons / "scalable" / "apps").mkdir(parents=True)
        shutil.copyfile(svg, icons / "scalable" / "apps" / f"{APP_NAME}.svg")
    for path in stage.rglob("*"):  # a package's files are world-readable, whatever the umask
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    debian = stage / "DEBIAN"
    debian.mkdir(mode=0o755)
    size_kib = (tree_size(stage) + 1023) // 1024
    (debian / "control").write_text(control_text(version, architecture, depends, size_kib))
    for name, text in (("postinst", POSTINST), ("postrm", POSTRM)):
        (debian / name).write_text(text)
        (debian / name).chmod(0o755)
    (debian / "control").chmod(0o644)
    target = DIST_DIR / f"{APP_NAME}_{version}_{architecture}.deb"
    cmd = ["dpkg-deb", "--build", "--root-owner-group", str(stage), str(target)]
    log("+ " + " ".join(cmd))
    if subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL).returncode != 0:
        raise BuildError("dpkg-deb failed (see its output above).")
    return target


# -- 5. Windows installer ----------------------------------------------------------------------

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
        bundle = build_bundle(args.clean)
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
