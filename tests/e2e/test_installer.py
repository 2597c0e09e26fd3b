"""The packaged installers: spec, .deb control generation, NSIS script; and (gated) the whole
chain build -> dpkg -i -> run -> window on Xvfb -> dpkg --purge.

The fast tests run everywhere. The full one takes one to two minutes and installs a system
package, so it runs only with EDGE_APP_TEST_INSTALLER=1, as root, on Debian/Ubuntu:

    EDGE_APP_TEST_INSTALLER=1 python -m pytest tests/e2e/test_installer.py -q
"""

from __future__ import annotations

import ast
import email.parser
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "installer" / "edge-app.spec"
NSIS = ROOT / "installer" / "windows" / "edge-app.nsi"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    """installer/build.py, loaded under a name that cannot clash with PyPA's `build`."""
    spec = importlib.util.spec_from_file_location(
        "edge_app_installer_build", ROOT / "installer" / "build.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _spec_namespace() -> dict[str, Any]:
    """The spec's constants and its pure filter functions, without running PyInstaller."""
    tree = ast.parse(SPEC.read_text("utf-8"), str(SPEC))
    wanted = {
        "QT_MODULES_USED",
        "QT_MODULES_EXCLUDED",
        "QT_PLUGINS_KEPT",
        "QT_LIBS_DROPPED",
        "PYTHON_EXCLUDED",
        "SYSTEM_LIB_DIRS",
        "_plugin_kept",
        "_keep",
        "_from_system",
    }
    nodes: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in wanted:
            nodes.append(node)
        elif isinstance(node, ast.Assign):
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if names & wanted:
                nodes.append(node)
    namespace: dict[str, Any] = {"os": os, "sys": sys, "UI_LANGUAGES": {"en", "zh_TW"}}
    exec(compile(ast.Module(body=nodes, type_ignores=[]), str(SPEC), "exec"), namespace)  # noqa: S102
    return namespace


# -- fast checks ------------------------------------------------------------------------------


def test_spec_compiles_and_keeps_only_the_qt_the_window_uses() -> None:
    compile(SPEC.read_text("utf-8"), str(SPEC), "exec")
    ns = _spec_namespace()
    assert ns["QT_MODULES_USED"] == [
        "PySide6.QtCore",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "PySide6.QtSvg",
    ]
    excluded = set(ns["QT_MODULES_EXCLUDED"])
    for module in (
        "PySide6.QtNetwork",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.QtWebEngineCore",
        "PySide6.QtMultimedia",
        "PySide6.QtPdf",
        "PySide6.QtSql",
        "PySide6.QtTest",
        "PySide6.Qt3DCore",
        "PySide6.QtCharts",
        "PySide6.QtBluetooth",
    ):
        assert module in excluded
    assert not excluded & set(ns["QT_MODULES_USED"])

    kept = ns["_plugin_kept"]
    assert kept("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert kept("PySide6/Qt/plugins/platforms/libqoffscreen.so")
    assert kept("PySide6\\plugins\\platforms\\qwindows.dll")
    assert kept("PySide6/Qt/plugins/imageformats/libqsvg.so")
    assert kept("PySide6/Qt/plugins/iconengines/libqsvgicon.so")
    assert not kept("PySide6/Qt/plugins/platforms/libqwayland.so")
    assert not kept("PySide6/Qt/plugins/platformthemes/libqgtk3.so")
    assert not kept("PySide6/Qt/plugins/imageformats/libqpdf.so")
    assert not kept("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so")
    assert not kept("PySide6/Qt/plugins/sqldrivers/libqsqlite.so")

    keep = ns["_keep"]
    assert keep(("PySide6/Qt/translations/qtbase_zh_TW.qm", "x", "DATA"))
    assert not keep(("PySide6/Qt/translations/qtwebengine_de.qm", "x", "DATA"))
    assert not keep(("PySide6/Qt/translations/qtbase_de.qm", "x", "DATA"))
    assert not keep(("PySide6/Qt/lib/libQt6Network.so.6", "x", "BINARY"))
    assert keep(("PySide6/Qt/lib/libQt6Widgets.so.6", "x", "BINARY"))
    assert keep(("resources/icons/edge-app.png", "x", "DATA"))

    from_system = ns["_from_system"]
    if sys.platform.startswith("linux"):
        assert from_system(("libX11.so.6", "/lib/x86_64-linux-gnu/libX11.so.6", "BINARY"))
        assert not from_system(("m.so", "/usr/lib/python3.11/lib-dynload/m.so", "BINARY"))
        assert not from_system(("x.so", "/usr/lib/x86_64-linux-gnu/x.so", "EXTENSION"))


def test_control_file_is_valid_debian_control(build: ModuleType, tmp_path: Path) -> None:
    depends = ["libxcb-cursor0", "libxkbcommon-x11-0", "libegl1"]
    text = build.control_text("1.2.3", "amd64", depends, 4321)
    assert text.endswith("\n")
    fields = email.parser.Parser().parsestr(text)
    assert fields["Package"] == "edge-app"
    assert fields["Version"] == "1.2.3"
    assert fields["Architecture"] == "amd64"
    assert fields["Installed-Size"] == "4321"
    assert [d.strip() for d in fields["Depends"].split(",")] == depends
    description = text.split("Description: ", 1)[1].splitlines()
    assert description[0]  # the synopsis
    assert all(line.startswith(" ") and line.strip() for line in description[1:])
    assert "Depends" not in build.control_text("1.0", "amd64", [], 1)

    if not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb is not installed: control parsed with the email parser only")
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(text)
    (root / "opt").mkdir()
    deb = tmp_path / "t.deb"
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    shown = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends", "Version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Depends: libxcb-cursor0, libxkbcommon-x11-0, libegl1" in shown
    assert "Version: 1.2.3" in shown


def test_depends_maps_libraries_to_packages(build: ModuleType) -> None:
    owners = {"/usr/lib/x86_64-linux-gnu/libEGL.so.1": "libegl1"}
    libs = {
        "libEGL.so.1": "/usr/lib/x86_64-linux-gnu/libEGL.so.1",  # installed: asks dpkg
        "libxcb-cursor.so.0": None,  # not installed on the build machine: the table
        "libxcb-icccm.so.4": "/opt/odd/libxcb-icccm.so.4",  # dpkg does not know it: the table
        "libX11.so.6": None,
    }
    assert build.depends_for(libs, owner=owners.get) == [
        "libegl1",
        "libx11-6",
        "libxcb-cursor0",
        "libxcb-icccm4",
    ]
    with pytest.raises(build.BuildError, match=r"libmystery\.so\.7"):
        build.depends_for({"libmystery.so.7": None}, owner=owners.get)


def test_ldd_output_is_parsed(build: ModuleType) -> None:
    output = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f29ccb79000)\n"
        "\tlibxcb-icccm.so.4 => not found\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f29cd87a000)\n"
    )
    assert build.parse_ldd(output) == [
        ("libGL.so.1", "/lib/x86_64-linux-gnu/libGL.so.1"),
        ("libxcb-icccm.so.4", None),
        ("ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"),
    ]


def test_elf_needed_matches_readelf(build: ModuleType) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("ELF only")
    import _ssl  # an extension module that links libssl: a real ELF file with DT_NEEDED

    path = Path(_ssl.__file__)
    needed = build.elf_needed(path)
    assert any(name.startswith("libssl") for name in needed)
    if shutil.which("readelf"):
        out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
        listed = [
            line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line
        ]
        assert needed == listed
    assert build.elf_needed(SPEC) == []  # not ELF


def test_stderr_whitelist_is_per_line_and_explicit(build: ModuleType) -> None:
    allowed = (build.ENV_KEY_WARNING,)
    warning = "warning: The database key comes from EDGE_APP_DB_KEY; whoever can read ..."
    assert build.unexpected_stderr(warning + "\n\n", allowed) == []
    assert build.unexpected_stderr(warning + "\nQt: Could not load plugin\n", allowed) == [
        "Qt: Could not load plugin"
    ]
    assert build.unexpected_stderr(warning, ()) == [warning]


def test_nsis_script_compiles(build: ModuleType, tmp_path: Path) -> None:
    if not shutil.which("makensis"):
        pytest.skip("makensis is not installed (apt-get install nsis)")
    source = tmp_path / "bundle"
    (source / "_internal" / "resources").mkdir(parents=True)
    (source / "edge-app.exe").write_bytes(b"MZ dummy cli")
    (source / "edge-app-gui.exe").write_bytes(b"MZ dummy gui")
    (source / "_internal" / "resources" / "marker.txt").write_text("bundled")
    target = tmp_path / "edge-app-9.8.7-setup.exe"
    result = subprocess.run(
        build.nsis_command(source, "9.8.7", target, verbosity=4),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert target.read_bytes()[:2] == b"MZ"
    log = result.stdout
    for packed in ('File: "edge-app.exe"', 'File: "edge-app-gui.exe"', 'File: "marker.txt"'):
        assert packed in log
    assert "schedule install --at 22:00 --system windows" in log
    assert "schedule remove --system windows" in log
    assert "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\EdgeUploader" in log
    missing = subprocess.run(
        ["makensis", "-V1", f"-DSOURCE_DIR={source}", str(NSIS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0  # VERSION is required


# -- the whole chain (gated) ------------------------------------------------------------------

FULL = os.environ.get("EDGE_APP_TEST_INSTALLER") == "1"


@pytest.mark.slow
@pytest.mark.skipif(not FULL, reason="set EDGE_APP_TEST_INSTALLER=1 to build and install the .deb")
def test_build_install_run_and_remove_the_deb(build: ModuleType, tmp_path: Path, xvfb: str) -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("dpkg"):
        pytest.skip("needs root on Debian/Ubuntu")
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "edge-app"], capture_output=True, text=True
    )
    if "installed" in status.stdout.split():
        pytest.skip("edge-app is already installed on this machine; not touching it")
    version = build.read_version()
    started = time.monotonic()
    built = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(built.stdout[-4000:])
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    build_seconds = time.monotonic() - started
    deb = ROOT / "dist" / f"edge-app_{version}_{build.deb_architecture()}.deb"
    assert deb.is_file()

    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    installed = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True, env=env)
    if installed.returncode != 0:  # a Depends not yet on this machine: let apt bring it
        fixed = subprocess.run(
            ["apt-get", "install", "-f", "-y", "-q"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert fixed.returncode == 0, installed.stderr + fixed.stderr
    try:
        assert os.path.realpath("/usr/bin/edge-app") == "/opt/edge-app/edge-app"
        assert Path("/usr/share/applications/edge-app.desktop").is_file()
        assert Path("/usr/share/icons/hicolor/256x256/apps/edge-app.png").is_file()
        if shutil.which("desktop-file-validate"):
            check = subprocess.run(
                ["desktop-file-validate", "/usr/share/applications/edge-app.desktop"],
                capture_output=True,
                text=True,
            )
            assert check.returncode == 0, check.stdout + check.stderr
        clean = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "EDGE_APP_DB_KEY": TEST_KEY,
            "XDG_RUNTIME_DIR": str(tmp_path),
        }
        out = subprocess.run(["edge-app", "--version"], capture_output=True, text=True, env=clean)
        assert out.returncode == 0
        assert out.stdout.strip() == f"edge-app {version}"
        assert out.stderr == ""

        home = tmp_path / "store"
        init = subprocess.run(
            [
                "edge-app",
                "--home",
                str(home),
                "init",
                "--environment",
                "sandbox",
                "--store-id",
                "deb-1",
                "--username",
                "deb@example.com",
            ],
            capture_output=True,
            text=True,
            env=clean,
        )
        assert init.returncode == 0, init.stderr

        # The installed window on a real X server: up for 3 s, and not a word from Qt.
        gui_env = {**clean, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"}
        err_path = tmp_path / "gui.stderr"
        with err_path.open("w") as err:
            gui = subprocess.Popen(
                ["/usr/bin/edge-app", "--home", str(home), "gui"],
                env=gui_env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
            try:
                with pytest.raises(subprocess.TimeoutExpired):
                    gui.wait(timeout=3)
                convert = shutil.which("convert", path="/usr/bin:/bin")  # ImageMagick's
                if shutil.which("xwd") and convert:  # a picture of the window for a person
                    dump = tmp_path / "screen.xwd"
                    subprocess.run(
                        ["xwd", "-root", "-display", xvfb, "-out", str(dump)], check=False
                    )
                    shot = ROOT / "build" / "installed-window.png"
                    subprocess.run([convert, f"xwd:{dump}", str(shot)], check=False)
            finally:
                gui.terminate()
                gui.wait(timeout=10)
        stderr = err_path.read_text()
        assert stderr == "", stderr
    finally:
        removed = subprocess.run(
            ["dpkg", "--purge", "edge-app"], capture_output=True, text=True, env=env
        )
    assert removed.returncode == 0, removed.stderr
    assert not Path("/usr/bin/edge-app").exists()
    assert not Path("/opt/edge-app").exists()
    left = subprocess.run(["dpkg-query", "-W", "edge-app"], capture_output=True)
    assert left.returncode != 0, "the package left configuration behind"
    print(
        f"build + smoke + deb: {build_seconds:.0f} s; whole test {time.monotonic() - started:.0f} s"
    )
