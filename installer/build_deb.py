"""Step 4 of installer/build.py: the Debian package dist/edge-app_<version>_<arch>.deb, and the
Depends it lists (the system libraries the bundled Qt needs, mapped to Debian packages).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from build_common import APP_NAME, BUILD_DIR, DIST_DIR, EXE_NAME, ROOT, BuildError, log, tree_size

DESKTOP_FILE = ROOT / "resources" / "edge-app.desktop"
ICON_PNG = ROOT / "resources" / "icons" / "edge-app.png"
ICON_SVGS = [ROOT / "resources" / "icons" / name for name in ("edge-app.svg", "edge-uploader.svg")]

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
# Recommended beside the Depends: without any font Qt draws no text, and without a CJK font the
# Traditional Chinese window shows empty boxes.
RECOMMENDS = ["fonts-dejavu-core", "fonts-wqy-microhei | fonts-noto-cjk"]


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
            + "; add them to SONAME_PACKAGES in installer/build_deb.py."
        )
    return sorted(packages)


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
