"""The pure rules of the shop-close schedule: when it runs and what each scheduler is given.

The run time is the shop-close time plus a FIXED per-installation delay (the "jitter", derived
from the device id), so that the stores of a chain, all closing at 22:00, do not reach the
gateway in the same second. Everything here builds text or argument lists and runs nothing: the
Task Scheduler XML, the systemd user units, the crontab line. May import only the standard
library.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
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

EXIT_OK = 0
EXIT_USAGE = 2  # bad input: the time, the window, the scheduler's name
# A system tool the command needs (crontab, systemctl, schtasks) is missing, did not answer or
# failed: the configuration of this computer, not the user's input and not a bug (which is 1).
EXIT_TOOL_FAILED = 5

Exe = str | Sequence[str]
Hms = tuple[int, int, int]


class ScheduleError(Exception):
    """A refusal or a failed system tool, told as one plain sentence."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


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


def clock_text(hms: Hms) -> str:
    """(hour, minute, second) as HH:MM:SS."""
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
        f"OnCalendar=*-*-* {clock_text(hms)}\n"
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
      <StartBoundary>2024-01-01T{clock_text(hms)}</StartBoundary>
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
    """(run time, command line) of a task XML as `schtasks /Query /XML` prints it.

    An empty or unreadable answer (Wine's schtasks prints nothing; a damaged task has no trigger
    or no command) is the tool failing, told in one sentence with EXIT_TOOL_FAILED, not a bug."""
    unreadable = ScheduleError(
        f"'schtasks /Query' gave no readable definition of the task '{TASK_NAME}': "
        "this computer's Task Scheduler did not answer as Windows does.",
        EXIT_TOOL_FAILED,
    )
    if not xml_text.strip():
        raise unreadable
    try:
        root = ET.fromstring(xml_text.strip())  # noqa: S314 - schtasks output on this PC, trusted
    except ET.ParseError:
        raise unreadable from None
    ns = {"t": TASK_NAMESPACE}
    start = root.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", "", ns)
    command = root.findtext("t:Actions/t:Exec/t:Command", "", ns)
    arguments = root.findtext("t:Actions/t:Exec/t:Arguments", "", ns)
    match = re.search(r"T(\d\d):(\d\d):(\d\d)", start)
    if match is None or not command.strip():
        raise unreadable
    hour, minute, second = (int(part) for part in match.groups())
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
