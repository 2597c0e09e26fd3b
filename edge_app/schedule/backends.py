"""The schedulers themselves: write the artefacts the rules build and call the system tools.

One class per scheduler (systemd user timer, crontab, Windows Task Scheduler), each with
`install`, `remove` and `show`. A missing, silent or failing tool is a `ScheduleError` with
`EXIT_TOOL_FAILED`. May import the standard library, `schedule.rules` and `storage.files`.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from edge_app.schedule.rules import (
    CRON_TAG,
    EXIT_TOOL_FAILED,
    SERVICE_FILE,
    TASK_NAME,
    TIMER_FILE,
    Exe,
    Hms,
    ScheduleError,
    cron_line,
    cron_time,
    crontab_with,
    crontab_without_ours,
    find_cron_line,
    schtasks_create_command,
    schtasks_delete_command,
    schtasks_query_command,
    systemd_units,
    task_summary,
    windows_task_xml,
)

TOOL_TIMEOUT = 60


@dataclass(frozen=True)
class Registration:
    """What `show` reports: the backend, the daily run time and the registered command."""

    system: str
    time: Hms
    command: str
    detail: str = ""


def default_exe() -> list[str]:
    """The program the scheduler should start: the frozen binary; else the `edge-app` script
    installed beside this interpreter (a virtual environment); else this interpreter."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    scripts = Path(sys.executable).parent
    script = scripts / ("edge-app.exe" if os.name == "nt" else "edge-app")
    if script.is_file():
        return [str(script)]
    return [os.path.abspath(sys.executable), "-m", "edge_app"]  # not resolved: keep the venv


def _run_tool(
    argv: Sequence[str], *, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise ScheduleError(
            f"'{argv[0]}' is not installed on this computer.", EXIT_TOOL_FAILED
        ) from None
    except subprocess.TimeoutExpired:
        raise ScheduleError(f"'{' '.join(argv[:2])}' did not answer.", EXIT_TOOL_FAILED) from None
    if check and result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        reason = lines[0] if lines else f"exit code {result.returncode}"
        raise ScheduleError(f"'{' '.join(argv[:3])}' failed: {reason}", EXIT_TOOL_FAILED)
    return result


def systemd_user_works() -> bool:
    if not shutil.which("systemctl"):
        return False
    try:
        result = subprocess.run(
            ["systemctl", "--user", "show-environment"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def systemd_unit_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


class SystemdBackend:
    name = "systemd"

    def __init__(self, unit_dir: Path | None = None) -> None:
        self.unit_dir = unit_dir or systemd_unit_dir()

    def install(self, exe: Exe, home: Path, at: str, jitter: int) -> None:
        from storage.files import atomic_write

        units = systemd_units(exe, home, at, jitter)
        try:
            self.unit_dir.mkdir(parents=True, exist_ok=True)
            previous = {name: _read_bytes(self.unit_dir / name) for name in units}
        except OSError as exc:
            raise ScheduleError(
                f"The systemd user folder {self.unit_dir} cannot be written ({exc.strerror}).",
                EXIT_TOOL_FAILED,
            ) from None
        try:
            for name, text in units.items():
                _write_unit(self.unit_dir / name, text.encode("utf-8"))
            _run_tool(["systemctl", "--user", "daemon-reload"])
            _run_tool(["systemctl", "--user", "enable", "--now", TIMER_FILE])
        except ScheduleError:  # leave the unit folder as it was
            for name, data in previous.items():
                if data is None:
                    (self.unit_dir / name).unlink(missing_ok=True)
                else:
                    atomic_write(self.unit_dir / name, data)
            raise

    def remove(self) -> bool:
        timer = self.unit_dir / TIMER_FILE
        service = self.unit_dir / SERVICE_FILE
        if not timer.exists() and not service.exists():
            return False
        _run_tool(["systemctl", "--user", "disable", "--now", TIMER_FILE], check=False)
        timer.unlink(missing_ok=True)
        service.unlink(missing_ok=True)
        _run_tool(["systemctl", "--user", "daemon-reload"], check=False)
        return True

    def show(self) -> Registration | None:
        timer_path = self.unit_dir / TIMER_FILE
        if not timer_path.exists():
            return None
        timer = _read_unit(timer_path)
        service = _read_unit(self.unit_dir / SERVICE_FILE)
        calendar = timer.get("Timer", "OnCalendar", fallback="")
        match = re.search(r"(\d\d):(\d\d):(\d\d)$", calendar)
        hms = (int(match[1]), int(match[2]), int(match[3])) if match else (0, 0, 0)
        state = _run_tool(["systemctl", "--user", "is-enabled", TIMER_FILE], check=False)
        enabled = (state.stdout or "").strip() or "unknown"
        command = service.get("Service", "ExecStart", fallback="")
        return Registration(self.name, hms, command, f"timer {TIMER_FILE} is {enabled}")


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _read_unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # unit keys are case-sensitive
    with contextlib.suppress(OSError):
        parser.read_string(path.read_text("utf-8"))
    return parser


class CronBackend:
    name = "cron"

    def _current(self) -> str:
        result = _run_tool(["crontab", "-l"], check=False)
        if result.returncode != 0:
            if "no crontab" in (result.stderr or "").lower():
                return ""
            reason = (result.stderr or "").strip().splitlines()
            raise ScheduleError(
                f"'crontab -l' failed: {reason[0] if reason else result.returncode}",
                EXIT_TOOL_FAILED,
            )
        return result.stdout

    def install(self, exe: Exe, home: Path, at: str, jitter: int) -> None:
        line = cron_line(exe, home, at, jitter)
        _run_tool(["crontab", "-"], stdin=crontab_with(self._current(), line))

    def remove(self) -> bool:
        current = self._current()
        if find_cron_line(current) is None:
            return False
        _run_tool(["crontab", "-"], stdin=crontab_without_ours(current))
        return True

    def show(self) -> Registration | None:
        line = find_cron_line(self._current())
        if line is None:
            return None
        command = line.split(None, 5)[5].removesuffix(CRON_TAG).strip()
        return Registration(self.name, cron_time(line), command, "crontab of this user")


class WindowsBackend:
    name = "windows"

    def install(self, exe: Exe, home: Path, at: str, jitter: int) -> None:
        xml = windows_task_xml(exe, home, at, jitter)
        with tempfile.TemporaryDirectory(prefix="edge-app-task-") as folder:
            path = Path(folder) / "task.xml"
            path.write_bytes(xml.encode("utf-16"))  # schtasks reads UTF-16 with a BOM reliably
            _run_tool(schtasks_create_command(path))

    def remove(self) -> bool:
        if _run_tool(schtasks_query_command(), check=False).returncode != 0:
            return False
        _run_tool(schtasks_delete_command())
        return True

    def show(self) -> Registration | None:
        result = _run_tool(schtasks_query_command(), check=False)
        if result.returncode != 0:
            return None
        hms, command = task_summary(result.stdout)
        return Registration(self.name, hms, command, f"task '{TASK_NAME}'")


Backend = SystemdBackend | CronBackend | WindowsBackend


def backend_for(system: str) -> Backend:
    if system == "windows":
        return WindowsBackend()
    if system == "systemd":
        return SystemdBackend()
    if not shutil.which("crontab"):
        raise ScheduleError(
            "Neither a systemd user session nor 'crontab' is available; install cron "
            "(apt-get install cron) or use --system systemd.",
            EXIT_TOOL_FAILED,
        )
    return CronBackend()


def _write_unit(path: Path, data: bytes) -> None:
    from storage.files import atomic_write

    try:
        atomic_write(path, data)
    except OSError as exc:
        raise ScheduleError(
            f"{path} cannot be written ({exc.strerror}).", EXIT_TOOL_FAILED
        ) from None
