"""`edge-app schedule install|remove|show`: its options, the checks, and what it prints.

Reads the installation's settings from its files (the Windows installer registers the schedule
before `init`, so no database is opened). May import the standard library, `edge_app.config`,
`schedule.rules` and `schedule.backends`; never the command line package or Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from edge_app.schedule.backends import Backend, backend_for, default_exe, systemd_user_works
from edge_app.schedule.rules import (
    DEFAULT_AT,
    DEFAULT_WINDOW_MINUTES,
    EXIT_OK,
    SYSTEMS,
    ScheduleError,
    check_window,
    choose_system,
    clock_text,
    cron_jitter,
    jitter_seconds,
    next_run,
    parse_at,
    run_time,
    unattended_warning,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `schedule` sub-command's options (the command line registers the parser)."""
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
            return _remove(backend)
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
        f"Registered the shop-close sync ({backend.name}): every day at {clock_text(hms)} "
        f"(shop close {at} + {jitter} s), next run {when:%Y-%m-%d %H:%M:%S}. "
        f"Its log is {home / 'logs' / 'edge-app.log'}."
    )
    return EXIT_OK


def _remove(backend: Backend) -> int:
    if backend.remove():
        print(f"Removed the shop-close sync ({backend.name}).")
    else:
        print(f"No shop-close sync was registered ({backend.name}); nothing to remove.")
    return EXIT_OK


def _show(backend: Backend, now: datetime | None) -> int:
    registration = backend.show()
    if registration is None:
        print(f"No shop-close sync is registered ({backend.name}).")
        return EXIT_OK
    when = next_run(registration.time, now or datetime.now())
    print(f"Shop-close sync ({registration.system}, {registration.detail})")
    print(f"  every day at {clock_text(registration.time)}; next run {when:%Y-%m-%d %H:%M:%S}")
    print(f"  command: {registration.command}")
    return EXIT_OK
