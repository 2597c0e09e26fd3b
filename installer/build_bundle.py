"""Steps 1 and 2 of installer/build.py: PyInstaller with installer/edge-app.spec, then the checks
of the bundle it made (keyring's backends and metadata inside, the excluded Qt modules out, and
on Linux which libraries the bundle takes from the system).
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from build_common import (
    APP_NAME,
    BUILD_DIR,
    DIST_DIR,
    EXE_NAME,
    IS_WINDOWS,
    ROOT,
    SPEC,
    BuildError,
    log,
)

# Part of every Debian system (libc6 is Essential, the loader comes with it): never a Depends.
ALWAYS_PRESENT = re.compile(
    r"^(linux-vdso|linux-gate|ld-linux[^/]*|libc|libm|libdl|libpthread|librt|libutil|libresolv|"
    r"libanl|libnsl|libcrypt)\.so"
)


# -- 1. PyInstaller ---------------------------------------------------------------------------


def build_bundle(clean: bool, python: Path | str = sys.executable) -> Path:
    """PyInstaller run by `python` (the build environment's, see build_env.py)."""
    cmd = [
        str(python),
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
        "tzlocal",
    ]
    missing = [name for name in wanted if f"'{name}'" not in toc]
    if missing:
        raise BuildError(f"The bundle lacks these modules: {', '.join(missing)}.")
    # zoneinfo on Windows has no system database: tzdata's files must be inside.
    if not list(bundle.rglob("tzdata/zoneinfo/Europe/Berlin")):
        raise BuildError("The bundle lacks tzdata's zone files (tzdata/zoneinfo).")
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
