"""`edge-app schedule`: register the unattended shop-close sync with the system scheduler.

The registered command is ``edge-app --home <home> sync --unattended``. It runs at the shop-close
time plus a FIXED per-installation delay (the "jitter", derived from the device id), so that the
stores of a chain, all closing at 22:00, do not reach the gateway in the same second.

Backends: Windows Task Scheduler, a systemd user timer, or a crontab line. One registration per
user account: installing again replaces it. The parts:

- `rules`: the pure functions that build each backend's artefacts (tested without running
  anything);
- `backends`: the small classes that write files and call the system tools;
- `command`: the `schedule` sub-command's options and what it prints.

This package may import the standard library, `edge_app.config` and `storage.files`; never the
command line package, and never Qt. Its public names are re-exported here.
"""

from __future__ import annotations

from edge_app.schedule.backends import (
    TOOL_TIMEOUT,
    Backend,
    CronBackend,
    Registration,
    SystemdBackend,
    WindowsBackend,
    backend_for,
    default_exe,
    systemd_unit_dir,
    systemd_user_works,
)
from edge_app.schedule.command import add_arguments, run
from edge_app.schedule.rules import (
    AT_PATTERN,
    CRON_TAG,
    DAY_SECONDS,
    DEFAULT_AT,
    DEFAULT_WINDOW_MINUTES,
    EXIT_OK,
    EXIT_TOOL_FAILED,
    EXIT_USAGE,
    MAX_WINDOW_MINUTES,
    SERVICE_FILE,
    SYSTEMS,
    TASK_NAME,
    TASK_NAMESPACE,
    TIMER_FILE,
    UNIT_NAME,
    Exe,
    Hms,
    ScheduleError,
    check_window,
    choose_system,
    clock_text,
    cron_jitter,
    cron_line,
    cron_time,
    crontab_with,
    crontab_without_ours,
    find_cron_line,
    jitter_seconds,
    next_run,
    parse_at,
    run_time,
    schtasks_create_command,
    schtasks_delete_command,
    schtasks_query_command,
    sync_command,
    systemd_units,
    task_summary,
    unattended_warning,
    windows_task_xml,
)

__all__ = [
    "AT_PATTERN",
    "CRON_TAG",
    "DAY_SECONDS",
    "DEFAULT_AT",
    "DEFAULT_WINDOW_MINUTES",
    "EXIT_OK",
    "EXIT_TOOL_FAILED",
    "EXIT_USAGE",
    "MAX_WINDOW_MINUTES",
    "SERVICE_FILE",
    "SYSTEMS",
    "TASK_NAME",
    "TASK_NAMESPACE",
    "TIMER_FILE",
    "TOOL_TIMEOUT",
    "UNIT_NAME",
    "Backend",
    "CronBackend",
    "Exe",
    "Hms",
    "Registration",
    "ScheduleError",
    "SystemdBackend",
    "WindowsBackend",
    "add_arguments",
    "backend_for",
    "check_window",
    "choose_system",
    "clock_text",
    "cron_jitter",
    "cron_line",
    "cron_time",
    "crontab_with",
    "crontab_without_ours",
    "default_exe",
    "find_cron_line",
    "jitter_seconds",
    "next_run",
    "parse_at",
    "run",
    "run_time",
    "schtasks_create_command",
    "schtasks_delete_command",
    "schtasks_query_command",
    "sync_command",
    "systemd_unit_dir",
    "systemd_units",
    "systemd_user_works",
    "task_summary",
    "unattended_warning",
    "windows_task_xml",
]
