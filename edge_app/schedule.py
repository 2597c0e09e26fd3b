"""`edge-app schedule`: register the unattended shop-close sync with the system scheduler.

The registered command is ``edge-app --home <home> sync --unattended``. It runs at the shop-close
time plus a FIXED per-installation delay (the "jitter", derived from the device id), so that the
stores of a chain, all closing at 22:00, do not reach the gateway in the same second.

Backends: Windows Task Scheduler, a systemd user timer, or a crontab line. The artefacts each
backend registers are built by pure functions (tested without running anything); the small
backend classes only write files and call the system tools. One registration per user account:
installing again replaces it. Nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

TASK_NAME = "Edge Uploader shop-close sync"
UNIT_NAME = "edge-app-sync"
SERVICE_FILE = f"{UNIT_NAME}.service"
TIMER_FILE = f"{UNIT_NAME}.timer"
CRON_TAG = "# edge-app shop-close sync"
TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
DEFAULT_AT = "22:00"
DEFAULT_WINDOW_MINUTES = 30
MAX_WINDOW_MINUTES = 240
SYSTEMS = ("auto", "windows", "systemd", "cron")
AT_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DAY_SECONDS = 24 * 3600
TOOL_TIMEOUT = 60

EXIT_OK = 0
EXIT_TOOL_FAILED = 1
EXIT_USAGE = 2

Exe = str | Sequence[str]
Hms = tuple[int, int, int]


class ScheduleError(Exception):
    """A refusal or a failed system tool, told as one plain sentence."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


# -- pure rules -------------------------------------------------------------------------------


def parse_at(at: str) -> tuple[int, int]:
    """'HH:MM' (24 h) to (hour, minute)."""
    match = AT_PATTERN.match(at.strip())
    if not match:
        raise ScheduleError(
            f"The time must be HH:MM on a 24-hour clock, for example 22:00, not {at!r}."
        )
    return int(match.group(1)), int(match.group(2))


def check_window(window_minutes: int) -> int:
    if not 0 <= window_minutes <= MAX_WINDOW_MINUTES:
        raise ScheduleError(
            f"The spread window must be between 0 and {MAX_WINDOW_MINUTES} minutes."
        )
    return window_minutes


def jitter_seconds(device_id: str, window_minutes: int) -> int:
    """This installation's fixed delay after shop close, in [0, window_minutes * 60).

    A hash rather than a random number: the same device always gets the same slot (a reinstall of
    the schedule does not move it), and different devices spread evenly over the window.
    """
    window = window_minutes * 60
    if window <= 0:
        return 0
    digest = hashlib.sha256(device_id.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % window


def run_time(at: str, jitter: int) -> Hms:
    """Shop-close time plus the jitter, wrapping past midnight, as (hour, minute, second)."""
    hour, minute = parse_at(at)
    total = (hour * 3600 + minute * 60 + jitter) % DAY_SECONDS
    return total // 3600, (total // 60) % 60, total % 60


def cron_jitter(jitter: int) -> int:
    """Cron has minute resolution: the jitter rounded down to whole minutes (stays in the
    window)."""
    return jitter - jitter % 60


def _argv(exe: Exe) -> list[str]:
    return [exe] if isinstance(exe, str) else [str(part) for part in exe]


def sync_command(exe: Exe, home: Path | str) -> list[str]:
    """The command every backend runs: an unattended sync of this home."""
    return [*_argv(exe), "--home", str(home), "sync", "--unattended"]


def next_run(hms: Hms, now: datetime) -> datetime:
    """The next moment at (hour, minute, second) local time, strictly after `now`."""
    candidate = now.replace(hour=hms[0], minute=hms[1], second=hms[2], microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def _hms(hms: Hms) -> str:
    return f"{hms[0]:02d}:{hms[1]:02d}:{hms[2]:02d}"


def _systemd_quote(arg: str) -> str:
    """One ExecStart word: '%' and '$' are systemd specifiers/variables and must be doubled."""
    text = arg.replace("%", "%%").replace("$", "$$")
    if text and not re.search(r"[\s\"'\\;]", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_units(exe: Exe, home: Path | str, at: str, jitter: int) -> dict[str, str]:
    """The user service (Type=oneshot) and its daily timer, by file name."""
    hms = run_time(at, jitter)
    command = " ".join(_systemd_quote(arg) for arg in sync_command(exe, home))
    service = (
        "[Unit]\n"
        f"Description={TASK_NAME}\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={command}\n"
        "TimeoutStartSec=2h\n"
    )
    timer = (
        "[Unit]\n"
        f"Description={TASK_NAME} (shop close {at} + {jitter} s spread)\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar=*-*-* {_hms(hms)}\n"
        "Persistent=true\n"
        "AccuracySec=1s\n"
        f"Unit={SERVICE_FILE}\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {SERVICE_FILE: service, TIMER_FILE: timer}


def cron_line(exe: Exe, home: Path | str, at: str, jitter: int) -> str:
    """One crontab line, tagged with a trailing shell comment so remove/show can find it."""
    hour, minute, _ = run_time(at, cron_jitter(jitter))
    # In a crontab command an unescaped '%' starts standard input: escape it.
    command = shlex.join(sync_command(exe, home)).replace("%", "\\%")
    return f"{minute} {hour} * * * {command} {CRON_TAG}"


def crontab_without_ours(text: str) -> str:
    """The crontab with our line(s) removed, everything else kept as it was."""
    kept = [line for line in text.splitlines() if not line.rstrip().endswith(CRON_TAG)]
    return "".join(f"{line}\n" for line in kept)


def crontab_with(text: str, line: str) -> str:
    """The crontab with our line replaced by `line` (added at the end)."""
    return crontab_without_ours(text) + line + "\n"


def find_cron_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.rstrip().endswith(CRON_TAG) and not line.lstrip().startswith("#"):
            return line.rstrip()
    return None


def cron_time(line: str) -> Hms:
    """The (hour, minute, 0) of one of our crontab lines."""
    fields = line.split(None, 5)
    return int(fields[1]), int(fields[0]), 0


def windows_task_xml(exe: Exe, home: Path | str, at: str, jitter: int) -> str:
    """A Task Scheduler 1.2 task: daily at the run time, runs late if the PC was off, on battery
    too, and is stopped after two hours."""
    hms = run_time(at, jitter)
    argv = sync_command(exe, home)
    command = escape(argv[0])
    arguments = escape(subprocess.list2cmdline(argv[1:]))
    description = escape(f"Uploads queued card payments after shop close ({at} + {jitter} s).")
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="{TASK_NAMESPACE}">
  <RegistrationInfo>
    <Description>{description}</Description>
    <URI>\\{escape(TASK_NAME)}</URI>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>2024-01-01T{_hms(hms)}</StartBoundary>
      <Enabled>true</Enabled>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT2H</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{command}</Command>
      <Arguments>{arguments}</Arguments>
    </Exec>
  </Actions>
</Task>
"""


def schtasks_create_command(xml_path: Path | str) -> list[str]:
    return ["schtasks", "/Create", "/XML", str(xml_path), "/TN", TASK_NAME, "/F"]


def schtasks_delete_command() -> list[str]:
    return ["schtasks", "/Delete", "/TN", TASK_NAME, "/F"]


def schtasks_query_command() -> list[str]:
    return ["schtasks", "/Query", "/TN", TASK_NAME, "/XML", "ONE"]


def task_summary(xml_text: str) -> tuple[Hms, str]:
    """(run time, command line) of a task XML as `schtasks /Query /XML` prints it."""
    root = ET.fromstring(xml_text.strip())  # noqa: S314 - schtasks output on this PC, trusted
    ns = {"t": TASK_NAMESPACE}
    start = root.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", "", ns)
    command = root.findtext("t:Actions/t:Exec/t:Command", "", ns)
    arguments = root.findtext("t:Actions/t:Exec/t:Arguments", "", ns)
    clock = start.split("T", 1)[1][:8] if "T" in start else "00:00:00"
    hour, minute, second = (int(part) for part in clock.split(":"))
    return (hour, minute, second), f"{command} {arguments}".strip()


def choose_system(requested: str, platform: str, systemd_user_works: Callable[[], bool]) -> str:
    """`auto`: Task Scheduler on Windows, a systemd user timer where `systemctl --user` answers,
    else cron."""
    if requested not in SYSTEMS:
        raise ScheduleError(f"The scheduler must be one of {', '.join(SYSTEMS)}.")
    if requested != "auto":
        return requested
    if platform == "win32":
        return "windows"
    return "systemd" if systemd_user_works() else "cron"


def unattended_warning(system: str, key_backend: str | None) -> str | None:
    """Why a scheduled run may not be able to open the database, or None."""
    if key_backend == "file":
        return (
            "The database key is protected by a passphrase, which a scheduled run cannot type; "
            "the run will fail unless EDGE_APP_PASSPHRASE is set for it."
        )
    if key_backend == "env":
        return "The database key comes from EDGE_APP_DB_KEY, which the scheduler must also set."
    if key_backend == "keyring" and system == "cron":
        return (
            "Cron jobs usually cannot reach the desktop keyring that holds the database key; "
            "prefer the systemd timer (--system systemd)."
        )
    return None


# -- what is registered, where ----------------------------------------------------------------


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

        self.unit_dir.mkdir(parents=True, exist_ok=True)
        units = systemd_units(exe, home, at, jitter)
        previous = {name: _read_bytes(self.unit_dir / name) for name in units}
        try:
            for name, text in units.items():
                atomic_write(self.unit_dir / name, text.encode("utf-8"))
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


# -- the command ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `schedule` sub-command's options (the lead's cli registers the parser)."""
    actions = parser.add_subparsers(dest="schedule_action", metavar="ACTION", required=True)
    install = actions.add_parser(
        "install", help="run an unattended sync every day after shop close"
    )
    install.add_argument(
        "--at", metavar="HH:MM", help="shop-close time (default: the setting, or 22:00)"
    )
    install.add_argument(
        "--window-minutes",
        type=int,
        metavar="N",
        help="spread window after shop close; this PC's fixed delay is within it (default: the "
        "setting, or 30)",
    )
    actions.add_parser("remove", help="unregister the shop-close sync")
    actions.add_parser("show", help="what is registered and when it runs next")
    for sub in actions.choices.values():
        sub.add_argument(
            "--system",
            choices=SYSTEMS,
            default="auto",
            help="scheduler (auto: Task Scheduler on Windows, a systemd user timer, else cron)",
        )


def _installation_settings(home: Path) -> tuple[str, str | None, int | None, str | None]:
    """(device id, shop close, window minutes, key backend) of the home, with fallbacks.

    Before `init` (the Windows installer registers the schedule first) the device id is the
    computer's machine id or name, so the delay is still fixed per PC.
    """
    device_id = ""
    shop_close: str | None = None
    window: int | None = None
    with contextlib.suppress(OSError, ValueError):
        doc = json.loads((home / "config.json").read_text("utf-8"))
        if isinstance(doc, dict):
            device_id = str(doc.get("device_id") or "")
            shop_close = doc.get("shop_close") if isinstance(doc.get("shop_close"), str) else None
            raw_window = doc.get("schedule_window_minutes")
            window = raw_window if isinstance(raw_window, int) else None
    key_backend: str | None = None
    with contextlib.suppress(OSError, ValueError):
        keystore = json.loads((home / "keystore.json").read_text("utf-8"))
        key_backend = str(keystore.get("backend")) if isinstance(keystore, dict) else None
    return device_id or _machine_id(), shop_close, window, key_backend


def _machine_id() -> str:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        with contextlib.suppress(OSError):
            text = Path(path).read_text("ascii").strip()
            if text:
                return text
    import platform

    return platform.node() or "edge-app"


def _resolve_home(args: argparse.Namespace) -> Path:
    from edge_app.config import resolve_home

    return resolve_home(getattr(args, "home", None))


def run(args: argparse.Namespace, *, now: datetime | None = None) -> int:
    """`edge-app schedule install|remove|show`; errors are one line on stderr.

    The user's input (`--at`, `--window-minutes`) is checked before the scheduler is looked up,
    so a bad time is exit 2 on every machine, with or without cron or systemd.
    """
    try:
        home = _resolve_home(args)
        plan = _install_plan(args, home) if args.schedule_action == "install" else None
        system = choose_system(args.system, sys.platform, systemd_user_works)
        backend = backend_for(system)
        if plan is not None:
            return _install(plan, backend, home, now)
        if args.schedule_action == "remove":
            if backend.remove():
                print(f"Removed the shop-close sync ({backend.name}).")
            else:
                print(f"No shop-close sync was registered ({backend.name}); nothing to remove.")
            return EXIT_OK
        return _show(backend, now)
    except ScheduleError as exc:
        print(f"edge-app: {exc}", file=sys.stderr)
        return exc.code


@dataclass(frozen=True)
class _InstallPlan:
    at: str
    jitter: int  # seconds after `at`, before cron's rounding to whole minutes
    key_backend: str | None


def _install_plan(args: argparse.Namespace, home: Path) -> _InstallPlan:
    """The checked shop-close time and this PC's delay (ScheduleError for bad input)."""
    device_id, shop_close, window, key_backend = _installation_settings(home)
    at = args.at or shop_close or DEFAULT_AT
    parse_at(at)
    window_minutes = check_window(
        args.window_minutes if args.window_minutes is not None else window or DEFAULT_WINDOW_MINUTES
    )
    return _InstallPlan(at, jitter_seconds(device_id, window_minutes), key_backend)


def _install(plan: _InstallPlan, backend: Backend, home: Path, now: datetime | None) -> int:
    at = plan.at
    jitter = cron_jitter(plan.jitter) if backend.name == "cron" else plan.jitter
    backend.install(default_exe(), home, at, jitter)
    hms = run_time(at, jitter)
    warning = unattended_warning(backend.name, plan.key_backend)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    when = next_run(hms, now or datetime.now())
    print(
        f"Registered the shop-close sync ({backend.name}): every day at {_hms(hms)} "
        f"(shop close {at} + {jitter} s), next run {when:%Y-%m-%d %H:%M:%S}. "
        f"Its log is {home / 'logs' / 'edge-app.log'}."
    )
    return EXIT_OK


def _show(backend: Backend, now: datetime | None) -> int:
    registration = backend.show()
    if registration is None:
        print(f"No shop-close sync is registered ({backend.name}).")
        return EXIT_OK
    when = next_run(registration.time, now or datetime.now())
    print(f"Shop-close sync ({registration.system}, {registration.detail})")
    print(f"  every day at {_hms(registration.time)}; next run {when:%Y-%m-%d %H:%M:%S}")
    print(f"  command: {registration.command}")
    return EXIT_OK
