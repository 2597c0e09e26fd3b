"""`edge-app schedule`: the jitter rule, the artefacts each scheduler gets, install/remove/show.

`crontab` and `systemctl` are system tools outside our code: the install tests put small fake
executables first on PATH that record their calls and keep state in files.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from edge_app import schedule
from edge_app.schedule import (
    CRON_TAG,
    SERVICE_FILE,
    TASK_NAME,
    TASK_NAMESPACE,
    TIMER_FILE,
    ScheduleError,
    choose_system,
    cron_line,
    crontab_with,
    crontab_without_ours,
    find_cron_line,
    jitter_seconds,
    next_run,
    run_time,
    schtasks_create_command,
    sync_command,
    systemd_units,
    task_summary,
    unattended_warning,
    windows_task_xml,
)

EXE = "/opt/edge-app/edge-app"
HOME = Path("/home/shop/.local/share/edge-app")
NOW = datetime(2024, 5, 1, 12, 0, 0)


# -- jitter and time --------------------------------------------------------------------------


def test_jitter_is_fixed_per_device_and_inside_the_window() -> None:
    assert jitter_seconds("A1B2C3D4E5F60708", 30) == jitter_seconds("A1B2C3D4E5F60708", 30)
    for i in range(500):
        assert 0 <= jitter_seconds(f"device-{i}", 30) < 30 * 60
    assert jitter_seconds("anything", 0) == 0
    assert jitter_seconds("x", 1) < 60


def test_jitter_spreads_a_chain_across_the_window() -> None:
    values = [jitter_seconds(f"{i:016X}", 30) for i in range(1000)]
    assert len(set(values)) > 600  # 1000 draws from 1800 slots: nearly all distinct
    buckets = [0] * 6  # six 5-minute buckets, each should hold about 1000/6
    for value in values:
        buckets[value // 300] += 1
    assert min(buckets) > 100, buckets
    assert jitter_seconds("store-A", 30) != jitter_seconds("store-B", 30)


def test_run_time_adds_the_jitter_and_wraps_midnight() -> None:
    assert run_time("22:00", 0) == (22, 0, 0)
    assert run_time("22:00", 13 * 60 + 7) == (22, 13, 7)
    assert run_time("23:50", 1234) == (0, 10, 34)
    with pytest.raises(ScheduleError, match="HH:MM"):
        run_time("24:00", 0)
    with pytest.raises(ScheduleError, match="HH:MM"):
        run_time("9:5", 0)


def test_next_run_is_strictly_in_the_future() -> None:
    assert next_run((22, 13, 7), NOW) == datetime(2024, 5, 1, 22, 13, 7)
    assert next_run((12, 0, 0), NOW) == datetime(2024, 5, 2, 12, 0, 0)
    assert next_run((0, 10, 34), datetime(2024, 12, 31, 23, 0)) == datetime(2025, 1, 1, 0, 10, 34)


def test_choose_system() -> None:
    assert choose_system("auto", "win32", lambda: True) == "windows"
    assert choose_system("auto", "linux", lambda: True) == "systemd"
    assert choose_system("auto", "linux", lambda: False) == "cron"
    assert choose_system("cron", "win32", lambda: True) == "cron"
    with pytest.raises(ScheduleError):
        choose_system("launchd", "linux", lambda: True)


def test_warns_when_a_scheduled_run_cannot_get_the_key() -> None:
    assert unattended_warning("systemd", "keyring") is None
    assert unattended_warning("windows", "keyring") is None
    assert "keyring" in (unattended_warning("cron", "keyring") or "")
    assert "passphrase" in (unattended_warning("systemd", "file") or "")
    assert "EDGE_APP_DB_KEY" in (unattended_warning("windows", "env") or "")


# -- systemd ----------------------------------------------------------------------------------


def _unit(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def _exec_start_argv(value: str) -> list[str]:
    """Undo systemd's escaping of one ExecStart line (quotes, %% and $$)."""
    return [word.replace("%%", "%").replace("$$", "$") for word in shlex.split(value)]


def test_systemd_units_run_the_sync_daily_at_the_jittered_time() -> None:
    units = systemd_units(EXE, HOME, "22:00", 13 * 60 + 7)
    assert set(units) == {SERVICE_FILE, TIMER_FILE}
    service = _unit(units[SERVICE_FILE])
    timer = _unit(units[TIMER_FILE])
    assert service["Service"]["Type"] == "oneshot"
    assert _exec_start_argv(service["Service"]["ExecStart"]) == [
        EXE,
        "--home",
        str(HOME),
        "sync",
        "--unattended",
    ]
    calendar = timer["Timer"]["OnCalendar"]
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", calendar)
    assert calendar.endswith("22:13:07")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == SERVICE_FILE
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_exec_start_survives_awkward_paths() -> None:
    exe = ["/opt/My Apps/python3", "-m", "edge_app"]
    home = '/home/a b/50% "data" $HOME'
    service = _unit(systemd_units(exe, home, "21:30", 0)[SERVICE_FILE])
    value = service["Service"]["ExecStart"]
    assert "%%" in value
    assert "$$" in value
    assert _exec_start_argv(value) == [*exe, "--home", home, "sync", "--unattended"]


def _fake_executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd); unit parsed only")
    exe = _fake_executable(tmp_path, "edge app%1")  # verify checks that ExecStart is executable
    units_dir = tmp_path / "units"
    units_dir.mkdir()
    for name, text in systemd_units(str(exe), tmp_path / "home dir", "23:50", 1234).items():
        (units_dir / name).write_text(text)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    result = subprocess.run(
        [tool, "verify", "--user", str(units_dir / TIMER_FILE), str(units_dir / SERVICE_FILE)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    # verify exits 0 on mere warnings ("Failed to parse ..., ignoring"), so read them too.
    ours = [line for line in result.stderr.splitlines() if "edge-app-sync" in line]
    assert result.returncode == 0, result.stderr
    assert ours == []
    calendar = subprocess.run(
        [tool, "calendar", "*-*-* 00:10:34"], capture_output=True, text=True, check=False
    )
    assert "Normalized form: *-*-* 00:10:34" in calendar.stdout


def test_systemd_analyze_verify_is_able_to_fail(tmp_path: Path) -> None:
    """The check above is only worth something if verify rejects a broken unit here."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    bad = tmp_path / SERVICE_FILE
    bad.write_text(systemd_units("/nonexistent/edge-app", tmp_path, "22:00", 0)[SERVICE_FILE])
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        [tool, "verify", "--user", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
    )
    assert result.returncode != 0
    assert "not executable" in result.stderr


# -- cron -------------------------------------------------------------------------------------


def test_cron_line_has_five_fields_a_command_and_the_tag() -> None:
    line = cron_line(EXE, HOME, "22:00", 13 * 60 + 59)  # 13 min 59 s -> minute 13
    minute, hour, dom, month, dow, rest = line.split(None, 5)
    assert (minute, hour, dom, month, dow) == ("13", "22", "*", "*", "*")
    assert rest.endswith(CRON_TAG)
    command = rest.removesuffix(CRON_TAG)
    assert shlex.split(command) == [EXE, "--home", str(HOME), "sync", "--unattended"]
    assert shlex.split(rest, comments=True) == shlex.split(command)  # the tag is a shell comment


def test_cron_line_escapes_percent_and_wraps_midnight() -> None:
    line = cron_line(["/usr/bin/python3", "-m", "edge_app"], "/srv/50%/home", "23:59", 120)
    minute, hour, *_ = line.split(None, 5)
    assert (minute, hour) == ("1", "0")
    assert "50\\%" in line
    assert "50%/" not in line


def test_crontab_merge_keeps_other_lines_and_replaces_ours() -> None:
    other = "MAILTO=ops@example.com\n0 3 * * * /usr/local/bin/backup\n"
    first = crontab_with(other, cron_line(EXE, HOME, "22:00", 0))
    second = crontab_with(first, cron_line(EXE, HOME, "21:00", 0))
    assert second.count(CRON_TAG) == 1
    assert second.startswith(other)
    found = find_cron_line(second)
    assert found is not None
    assert found.startswith("0 21 ")
    assert crontab_without_ours(second) == other
    assert find_cron_line(other) is None


# -- Windows ----------------------------------------------------------------------------------


def test_windows_task_xml_follows_the_task_scheduler_schema() -> None:
    exe = r"C:\Program Files\Edge Uploader\edge-app.exe"
    home = r"C:\Users\Shop Manager\AppData\Local\edge-app"
    text = windows_task_xml(exe, home, "22:00", 13 * 60 + 7)
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    root = ET.fromstring(text.encode("utf-16"))  # noqa: S314 - our own output, as schtasks reads it
    ns = {"t": TASK_NAMESPACE}
    assert root.tag == f"{{{TASK_NAMESPACE}}}Task"
    assert root.get("version") == "1.2"
    for required in ("RegistrationInfo", "Triggers", "Settings", "Actions", "Principals"):
        assert root.find(f"t:{required}", ns) is not None, required
    trigger = root.find("t:Triggers/t:CalendarTrigger", ns)
    assert trigger is not None
    start = trigger.findtext("t:StartBoundary", "", ns)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", start)  # local time, no zone
    assert datetime.fromisoformat(start).time().isoformat() == "22:13:07"
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", "", ns) == "1"
    settings = root.find("t:Settings", ns)
    assert settings is not None
    assert settings.findtext("t:StartWhenAvailable", "", ns) == "true"
    assert settings.findtext("t:DisallowStartIfOnBatteries", "", ns) == "false"
    assert settings.findtext("t:StopIfGoingOnBatteries", "", ns) == "false"
    assert settings.findtext("t:ExecutionTimeLimit", "", ns) == "PT2H"
    assert settings.findtext("t:MultipleInstancesPolicy", "", ns) in {
        "Parallel",
        "Queue",
        "IgnoreNew",
        "StopExisting",
    }
    actions = root.find("t:Actions", ns)
    assert actions is not None
    principal = root.find("t:Principals/t:Principal", ns)
    assert principal is not None
    assert actions.get("Context") == principal.get("id")
    assert root.findtext("t:Actions/t:Exec/t:Command", "", ns) == exe
    arguments = root.findtext("t:Actions/t:Exec/t:Arguments", "", ns)
    assert arguments == f'--home "{home}" sync --unattended'
    assert task_summary(text) == ((22, 13, 7), f"{exe} {arguments}")


def test_windows_task_xml_escapes_markup_in_paths() -> None:
    text = windows_task_xml(r"C:\A&B\edge-app.exe", r"C:\<home>", "22:00", 0)
    root = ET.fromstring(text.encode("utf-16"))  # noqa: S314 - our own output
    ns = {"t": TASK_NAMESPACE}
    assert root.findtext("t:Actions/t:Exec/t:Command", "", ns) == r"C:\A&B\edge-app.exe"
    assert r"C:\<home>" in root.findtext("t:Actions/t:Exec/t:Arguments", "", ns)


def test_schtasks_command() -> None:
    assert schtasks_create_command(r"C:\t\task.xml") == [
        "schtasks",
        "/Create",
        "/XML",
        r"C:\t\task.xml",
        "/TN",
        TASK_NAME,
        "/F",
    ]
    assert sync_command(["py", "-m", "edge_app"], "h") == [
        "py",
        "-m",
        "edge_app",
        "--home",
        "h",
        "sync",
        "--unattended",
    ]


# -- install / remove / show with fake system tools --------------------------------------------

FAKE_CRONTAB = """\
import json, os, sys
state = os.environ["FAKE_STATE"]
with open(os.path.join(state, "calls.jsonl"), "a") as log:
    log.write(json.dumps(["crontab", *sys.argv[1:]]) + "\\n")
table = os.path.join(state, "crontab")
if sys.argv[1:] == ["-l"]:
    if not os.path.exists(table):
        sys.stderr.write("no crontab for shop\\n")
        sys.exit(1)
    sys.stdout.write(open(table).read())
elif sys.argv[1:] == ["-"]:
    open(table, "w").write(sys.stdin.read())
else:
    sys.exit(2)
"""

FAKE_SYSTEMCTL = """\
import json, os, sys
state = os.environ["FAKE_STATE"]
with open(os.path.join(state, "calls.jsonl"), "a") as log:
    log.write(json.dumps(["systemctl", *sys.argv[1:]]) + "\\n")
args = sys.argv[1:]
if args[:1] != ["--user"]:
    sys.exit(1)
if args[1:2] == ["is-enabled"]:
    print("enabled")
"""


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if sys.platform == "win32":
        pytest.skip("the fake crontab and systemctl are POSIX scripts")
    bin_dir = tmp_path / "bin"
    state = tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    for name, source in (("crontab", FAKE_CRONTAB), ("systemctl", FAKE_SYSTEMCTL)):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{source}")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_STATE", str(state))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user" / ".config"))
    return state


def _calls(state: Path) -> list[list[str]]:
    path = state / "calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _schedule(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="edge-app")
    parser.add_argument("--home")
    sub = parser.add_subparsers(dest="command")
    schedule.add_arguments(sub.add_parser("schedule"))
    return parser.parse_args(argv)


def _installed_home(tmp_path: Path, device_id: str = "0123456789ABCDEF") -> Path:
    home = tmp_path / "store home"
    home.mkdir()
    config = {"device_id": device_id, "shop_close": "21:30", "schedule_window_minutes": 20}
    (home / "config.json").write_text(json.dumps(config))
    (home / "keystore.json").write_text(json.dumps({"backend": "keyring"}))
    return home


def test_cron_install_show_remove(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _installed_home(tmp_path)
    (fake_tools / "crontab").write_text("0 3 * * * /usr/local/bin/backup\n")
    jitter = jitter_seconds("0123456789ABCDEF", 20)
    hour, minute, _ = run_time("21:30", jitter - jitter % 60)

    args = _schedule(["--home", str(home), "schedule", "install", "--system", "cron"])
    assert schedule.run(args, now=NOW) == 0
    out, err = capsys.readouterr()
    assert "keyring" in err  # cron and a keyring key: warned
    table = (fake_tools / "crontab").read_text()
    assert table.startswith("0 3 * * * /usr/local/bin/backup\n")
    line = find_cron_line(table)
    assert line is not None
    fields = line.split(None, 5)
    assert fields[:5] == [str(minute), str(hour), "*", "*", "*"]
    assert shlex.split(fields[5], comments=True)[-4:] == [
        "--home",
        str(home),
        "sync",
        "--unattended",
    ]
    assert f"{hour:02d}:{minute:02d}:00" in out

    assert schedule.run(_schedule(["schedule", "show", "--system", "cron"]), now=NOW) == 0
    out, _ = capsys.readouterr()
    assert f"every day at {hour:02d}:{minute:02d}:00" in out
    assert f"next run 2024-05-01 {hour:02d}:{minute:02d}:00" in out
    assert str(home) in out

    assert schedule.run(_schedule(["schedule", "remove", "--system", "cron"]), now=NOW) == 0
    assert (fake_tools / "crontab").read_text() == "0 3 * * * /usr/local/bin/backup\n"
    assert schedule.run(_schedule(["schedule", "show", "--system", "cron"]), now=NOW) == 0
    assert "No shop-close sync is registered" in capsys.readouterr().out
    assert schedule.run(_schedule(["schedule", "remove", "--system", "cron"]), now=NOW) == 0
    assert "nothing to remove" in capsys.readouterr().out
    assert ["crontab", "-"] in _calls(fake_tools)


def test_cron_install_on_an_empty_crontab_with_explicit_time(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _installed_home(tmp_path)
    argv = [
        "--home",
        str(home),
        "schedule",
        "install",
        "--system",
        "cron",
        "--at",
        "22:00",
        "--window-minutes",
        "0",
    ]
    assert schedule.run(_schedule(argv), now=NOW) == 0
    line = find_cron_line((fake_tools / "crontab").read_text())
    assert line is not None
    assert line.startswith("0 22 * * * ")
    assert "22:00:00" in capsys.readouterr().out


def test_systemd_install_show_remove(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _installed_home(tmp_path)
    units = tmp_path / "user" / ".config" / "systemd" / "user"
    jitter = jitter_seconds("0123456789ABCDEF", 20)
    hour, minute, second = run_time("21:30", jitter)
    expected = f"{hour:02d}:{minute:02d}:{second:02d}"

    args = _schedule(["--home", str(home), "schedule", "install", "--system", "systemd"])
    assert schedule.run(args, now=NOW) == 0
    out, err = capsys.readouterr()
    assert err == ""  # keyring + systemd user service: nothing to warn about
    assert expected in out
    timer = _unit((units / TIMER_FILE).read_text())
    service = _unit((units / SERVICE_FILE).read_text())
    assert timer["Timer"]["OnCalendar"] == f"*-*-* {expected}"
    argv = _exec_start_argv(service["Service"]["ExecStart"])
    assert argv[-4:] == ["--home", str(home), "sync", "--unattended"]
    assert Path(argv[0]).exists()  # the interpreter (or the frozen binary) running this
    assert stat.S_IMODE((units / TIMER_FILE).stat().st_mode) == 0o600  # written atomically
    calls = _calls(fake_tools)
    assert calls[-2:] == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", TIMER_FILE],
    ]

    assert schedule.run(_schedule(["schedule", "show", "--system", "systemd"]), now=NOW) == 0
    out, _ = capsys.readouterr()
    assert f"every day at {expected}" in out
    assert "is enabled" in out
    assert str(home) in out

    assert schedule.run(_schedule(["schedule", "remove", "--system", "systemd"]), now=NOW) == 0
    assert not (units / TIMER_FILE).exists()
    assert not (units / SERVICE_FILE).exists()
    assert ["systemctl", "--user", "disable", "--now", TIMER_FILE] in _calls(fake_tools)
    assert schedule.run(_schedule(["schedule", "show", "--system", "systemd"]), now=NOW) == 0
    assert "No shop-close sync is registered" in capsys.readouterr().out


def test_auto_picks_systemd_when_the_user_manager_answers(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if sys.platform == "win32":
        pytest.skip("auto means Task Scheduler on Windows")
    home = _installed_home(tmp_path)
    assert schedule.run(_schedule(["--home", str(home), "schedule", "install"]), now=NOW) == 0
    assert "(systemd)" in capsys.readouterr().out
    assert ["systemctl", "--user", "show-environment"] in _calls(fake_tools)


def test_install_before_init_uses_defaults(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Windows installer registers the schedule before the store is set up."""
    home = tmp_path / "not set up yet"
    argv = ["--home", str(home), "schedule", "install", "--system", "cron", "--at", "22:00"]
    assert schedule.run(_schedule(argv), now=NOW) == 0
    line = find_cron_line((fake_tools / "crontab").read_text())
    assert line is not None
    minute, hour = line.split()[:2]
    assert hour == "22"
    assert 0 <= int(minute) < 30
    assert not home.exists()  # registering creates no half-made installation


def test_bad_input_is_one_plain_line(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _installed_home(tmp_path)
    argv = ["--home", str(home), "schedule", "install", "--system", "cron", "--at", "25:00"]
    assert schedule.run(_schedule(argv), now=NOW) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1
    assert "HH:MM" in err
    assert "Traceback" not in err
    argv[-1] = "22:00"
    assert schedule.run(_schedule([*argv, "--window-minutes", "999"]), now=NOW) == 2
    assert "between 0 and 240" in capsys.readouterr().err
    assert not (fake_tools / "crontab").exists()  # nothing was registered


@pytest.mark.parametrize("system", ["cron", "systemd", "auto"])
def test_a_bad_time_is_refused_on_a_machine_without_any_scheduler(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    system: str,
) -> None:
    """A fresh machine may lack crontab and systemctl: bad input is still exit 2, not 5."""
    empty_bin = tmp_path / "no-tools"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    home = _installed_home(tmp_path)
    argv = ["--home", str(home), "schedule", "install", "--system", system, "--at", "25:00"]
    assert schedule.run(_schedule(argv), now=NOW) == 2
    err = capsys.readouterr().err
    assert "HH:MM" in err and err.count("\n") == 1
    window = ["--home", str(home), "schedule", "install", "--system", system]
    assert schedule.run(_schedule([*window, "--window-minutes", "-5"]), now=NOW) == 2
    assert "between 0 and 240" in capsys.readouterr().err
    # Good input on that machine: the missing tool is named in one line (exit 5: this computer).
    if system == "cron" or (system == "auto" and sys.platform != "win32"):
        assert schedule.run(_schedule(window), now=NOW) == 5
        assert "crontab" in capsys.readouterr().err


def test_failing_system_tool_is_reported_in_one_line(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "bin" / "systemctl"
    broken.write_text("#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n")
    home = _installed_home(tmp_path)
    args = _schedule(["--home", str(home), "schedule", "install", "--system", "systemd"])
    assert schedule.run(args, now=NOW) == 5
    err = capsys.readouterr().err
    reason = "Failed to connect to bus: No medium found"
    assert err == f"edge-app: 'systemctl --user daemon-reload' failed: {reason}\n"
    units = tmp_path / "user" / ".config" / "systemd" / "user"
    assert list(units.iterdir()) == []  # nothing half-registered is left behind


def test_an_unwritable_systemd_folder_is_reported_in_one_line(
    tmp_path: Path, fake_tools: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "user" / ".config"
    config.mkdir(parents=True)
    (config / "systemd").write_text("a file where the folder should be")
    home = _installed_home(tmp_path)
    args = _schedule(["--home", str(home), "schedule", "install", "--system", "systemd"])
    assert schedule.run(args, now=NOW) == 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be written" in err and "Traceback" not in err


@pytest.mark.skipif(
    sys.platform != "win32" or os.environ.get("EDGE_APP_TEST_SCHTASKS") != "1",
    reason="registers a real Task Scheduler task: Windows CI only (EDGE_APP_TEST_SCHTASKS=1)",
)
def test_windows_task_scheduler_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _installed_home(tmp_path)
    hour, minute, second = run_time("21:30", jitter_seconds("0123456789ABCDEF", 20))
    argv = ["--home", str(home), "schedule", "install", "--system", "windows", "--at", "21:30"]
    assert schedule.run(_schedule(argv), now=NOW) == 0, capsys.readouterr().err
    try:
        assert schedule.run(_schedule(["schedule", "show", "--system", "windows"]), now=NOW) == 0
        out = capsys.readouterr().out
        assert f"every day at {hour:02d}:{minute:02d}:{second:02d}" in out
        assert str(home) in out
        assert "sync --unattended" in out
    finally:
        assert schedule.run(_schedule(["schedule", "remove", "--system", "windows"]), now=NOW) == 0
    capsys.readouterr()
    assert schedule.run(_schedule(["schedule", "show", "--system", "windows"]), now=NOW) == 0
    assert "No shop-close sync is registered" in capsys.readouterr().out


# -- schtasks answering nothing or nonsense (Wine's stub, a damaged task) ----------------------


@pytest.mark.parametrize(
    "answer",
    [
        "",  # Wine 8's schtasks /Query: exit 0, nothing printed
        "\r\n  \r\n",
        "ERROR: something that is not XML",
        f'<Task xmlns="{TASK_NAMESPACE}"><Actions><Exec><Command>x</Command></Exec></Actions>'
        "</Task>",  # stored without its trigger (also Wine)
        f'<Task xmlns="{TASK_NAMESPACE}"><Triggers><CalendarTrigger><StartBoundary>'
        "2024-01-01T22:00:00</StartBoundary></CalendarTrigger></Triggers></Task>",  # no command
        "<Task><unclosed>",
    ],
)
def test_task_summary_of_an_unreadable_answer_is_a_tool_failure(answer: str) -> None:
    with pytest.raises(ScheduleError) as refused:
        task_summary(answer)
    assert refused.value.code == 5
    assert "schtasks /Query" in str(refused.value)


@pytest.mark.parametrize("answer", ["", "not xml at all"])
def test_schedule_show_with_a_silent_schtasks_exits_5_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
) -> None:
    if sys.platform == "win32":
        pytest.skip("the fake schtasks is a POSIX script")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "schtasks"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({answer!r})\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code = schedule.run(_schedule(["schedule", "show", "--system", "windows"]), now=NOW)
    out, err = capsys.readouterr()
    assert code == 5  # the computer's scheduler tool, not the user's input and not a bug (1)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("edge-app: ")
    assert "schtasks /Query" in err and "Traceback" not in err


def test_windows_task_xml_carries_this_devices_jitter() -> None:
    jitter = jitter_seconds("0123456789ABCDEF", 30)
    text = windows_task_xml(r"C:\e\edge-app.exe", r"C:\h", "22:00", jitter)
    root = ET.fromstring(text.encode("utf-16"))  # noqa: S314 - our own output
    ns = {"t": TASK_NAMESPACE}
    start = root.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", "", ns)
    hour, minute, second = run_time("22:00", jitter)
    assert start.endswith(f"T{hour:02d}:{minute:02d}:{second:02d}")
    assert f"+ {jitter} s" in root.findtext("t:RegistrationInfo/t:Description", "", ns)
    assert root.findtext("t:Triggers/t:CalendarTrigger/t:Enabled", "", ns) == "true"
    assert root.findtext("t:Settings/t:StartWhenAvailable", "", ns) == "true"
    other = windows_task_xml(r"C:\e\edge-app.exe", r"C:\h", "22:00", 0)
    assert "T22:00:00<" in other and other != text
