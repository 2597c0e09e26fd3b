"""Step 3 of installer/build.py: the smoke test of the frozen program, run in a temporary home
with a clean environment; any non-zero exit or unexpected stderr line fails the build.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from build_common import EXE_NAME, IS_WINDOWS, ROOT, BuildError, log

SMOKE_KEY = "5a" * 32  # a throw-away database key for the smoke test's temporary home
SMOKE_CARD = "4111111111111111"  # a test card (valid Luhn, never real)
SMOKE_PASSPHRASE = "smoke-test-passphrase"  # noqa: S105 - throw-away, temporary home only


@dataclass(frozen=True)
class Step:
    """One smoke-test command; `allowed_stderr` are regexes of lines this step may print, each
    with the reason it is expected."""

    name: str
    args: list[str]
    stdin: str | None = None
    allowed_stderr: tuple[tuple[str, str], ...] = ()
    env: Mapping[str, str | None] = field(default_factory=dict)


# Lines a step may write to stderr, and why they are expected rather than a defect.
ENV_KEY_WARNING = (
    r"^warning: The database key comes from EDGE_APP_DB_KEY",
    "the smoke test keeps the key in the environment on purpose (no keyring, no prompt)",
)
NO_KEYRING_WARNING = (
    r"^warning: No OS keyring is available; the database key is in a passphrase-protected file",
    "a clean environment has no Secret Service, so init degrades to the passphrase file",
)


def clean_environment(temp: Path) -> dict[str, str]:
    """Only what a freshly logged-in user would have, pointed at the temporary folder."""
    home = temp / "user"
    home.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "EDGE_APP_DB_KEY": SMOKE_KEY,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(temp / "runtime"),
        "TMPDIR": str(temp),
    }
    (temp / "runtime").mkdir(mode=0o700, exist_ok=True)
    if IS_WINDOWS:
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        env.update(
            {
                "SYSTEMROOT": system_root,
                "PATH": os.pathsep.join([str(Path(system_root) / "System32"), system_root]),
                "USERPROFILE": str(home),
                "APPDATA": str(home / "AppData" / "Roaming"),
                "LOCALAPPDATA": str(home / "AppData" / "Local"),
                "TEMP": str(temp),
                "TMP": str(temp),
            }
        )
    else:
        env["PATH"] = "/usr/bin:/bin"
    return env


def unexpected_stderr(stderr: str, allowed: Iterable[tuple[str, str]]) -> list[str]:
    patterns = [re.compile(pattern) for pattern, _reason in allowed]
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(p.search(line) for p in patterns)
    ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Smoke:
    def __init__(self, exe: Path, temp: Path) -> None:
        self.exe = exe
        self.temp = temp
        self.env = clean_environment(temp)
        self.home = temp / "store-home"
        self.checks: list[str] = []

    def run(self, step: Step, timeout: float = 120) -> str:
        env = {**self.env}
        for key, value in step.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        started = time.monotonic()
        result = subprocess.run(
            [str(self.exe), *step.args],
            input=step.stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.temp,
            timeout=timeout,
            check=False,
        )
        took = time.monotonic() - started
        bad = unexpected_stderr(result.stderr, step.allowed_stderr)
        if result.returncode != 0 or bad:
            log(
                f"  FAILED {step.name}: exit {result.returncode}\n  stdout: {result.stdout.strip()}"
                f"\n  stderr: {result.stderr.strip()}"
            )
            raise BuildError(f"Smoke test step '{step.name}' failed.")
        log(f"  ok {step.name} ({took:.1f} s)")
        for line in result.stderr.splitlines():
            reason = next(why for pattern, why in step.allowed_stderr if re.search(pattern, line))
            log(f"     expected on stderr: {line[:70]}... ({reason})")
        self.checks.append(step.name)
        return result.stdout

    def status(self, name: str) -> dict[str, object]:
        out = self.run(Step(name, ["--home", str(self.home), "status", "--json"]))
        try:
            doc = json.loads(out)
        except ValueError:
            raise BuildError(f"'{name}' did not print JSON.") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("transactions"), dict):
            raise BuildError(f"'{name}' printed JSON without transaction counts.")
        return doc

    def all(self, version: str) -> None:
        """Every step, in order: a store's life from init to an uploaded sale, then the rest."""
        self.check_version(version)
        port = free_port()
        self.init_store(f"http://127.0.0.1:{port}")
        tx = self.status("status --json (empty)")["transactions"]
        if not isinstance(tx, dict) or tx.get("queued") != 0 or tx.get("uploaded") != 0:
            raise BuildError(f"A new installation reports transactions: {tx}.")
        self.capture_sale()
        tx = self.status("status --json (one queued)")["transactions"]
        if not isinstance(tx, dict) or tx.get("queued") != 1:
            raise BuildError(f"After one capture the counts are {tx}.")
        self.login_and_sync(port)
        tx = self.status("status --json (uploaded)")["transactions"]
        if not isinstance(tx, dict) or tx.get("uploaded") != 1 or tx.get("queued") != 0:
            raise BuildError(f"After the sync the counts are {tx}.")
        self.keyring_fallback()
        self.schedule()
        self.window()

    def check_version(self, version: str) -> None:
        out = self.run(Step("--version", ["--version"]))
        if out.strip() != f"edge-app {version}":
            raise BuildError(f"--version printed {out.strip()!r}, expected 'edge-app {version}'.")

    def init_store(self, url: str) -> None:
        self.run(
            Step(
                "init (sandbox, key in the environment)",
                [
                    "--home",
                    str(self.home),
                    "init",
                    "--environment",
                    "sandbox",
                    "--store-id",
                    "smoke-1",
                    "--username",
                    "smoke@example.com",
                    "--base-url",
                    url,
                ],
                allowed_stderr=(ENV_KEY_WARNING,),
            )
        )

    def capture_sale(self) -> None:
        out = self.run(
            Step(
                "capture sale",
                [
                    "--home",
                    str(self.home),
                    "capture",
                    "sale",
                    "--amount",
                    "12.34",
                    "--currency",
                    "EUR",
                    "--expiry",
                    "3012",
                    "--card-stdin",
                ],
                stdin=f"card_number={SMOKE_CARD}\ncvv=737\n",
            )
        )
        if not re.match(r"^sale queued [0-9a-f-]{36}$", out.strip()):
            raise BuildError(f"capture sale printed {out.strip()!r}.")

    def login_and_sync(self, port: int) -> None:
        """Against the frozen sandbox gateway: login, then a sync that uploads the one sale."""
        home = str(self.home)
        with self.sandbox(port):
            self.run(
                Step(
                    "login --password-stdin",
                    ["--home", home, "login", "--password-stdin"],
                    stdin="sandbox\n",
                )
            )
            out = self.run(
                Step("sync --json", ["--home", home, "sync", "--json", "--query-interval", "0.2"])
            )
            summary = json.loads(out)
            if summary.get("uploaded") != 1 or summary.get("exit_code", 0) != 0:
                raise BuildError(f"sync uploaded {summary.get('uploaded')}, expected 1: {summary}.")

    def keyring_fallback(self) -> None:
        """Without EDGE_APP_DB_KEY and without a keyring daemon, init keeps the key in the
        passphrase file (or, on a Windows runner, in Credential Manager) instead of failing."""
        other = str(self.temp / "keyring-home")
        env = {"EDGE_APP_DB_KEY": None, "EDGE_APP_PASSPHRASE": SMOKE_PASSPHRASE}
        out = self.run(
            Step(
                "init without a key in the environment (keyring or passphrase file)",
                [
                    "--home",
                    other,
                    "init",
                    "--environment",
                    "sandbox",
                    "--store-id",
                    "smoke-2",
                    "--username",
                    "smoke@example.com",
                ],
                allowed_stderr=(NO_KEYRING_WARNING,),
                env=env,
            )
        )
        if "OS keyring" not in out and "passphrase file" not in out:
            raise BuildError(f"init did not say where the key is: {out.strip()!r}.")
        self.run(Step("status with the passphrase", ["--home", other, "status"], env=env))

    def schedule(self) -> None:
        """`schedule show` runs in the frozen program (it registers nothing)."""
        help_text = self.run(Step("--help", ["--help"]))
        if " schedule" not in help_text:
            log("  SKIPPED schedule: the command is not wired into the command line yet")
            return
        system = "windows" if IS_WINDOWS else "systemd"  # systemd: only reads the unit folder
        out = self.run(
            Step(
                "schedule show", ["--home", str(self.home), "schedule", "show", "--system", system]
            )
        )
        if "shop-close sync" not in out:
            raise BuildError(f"schedule show printed {out.strip()!r}.")

    def window(self) -> None:
        """The window starts offscreen and stays up 3 s without a word on stderr."""
        if not (ROOT / "edge_app" / "ui" / "app.py").exists():
            log("  SKIPPED window: edge_app/ui/app.py does not exist yet")
            return
        log_path = self.temp / "gui.stderr"
        with log_path.open("w") as err:
            proc = subprocess.Popen(
                [str(self.exe), "--home", str(self.home), "gui"],
                stdout=subprocess.DEVNULL,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.temp,
            )
            try:
                exited = proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                exited = None
            finally:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
        stderr = log_path.read_text("utf-8", "replace")
        bad = unexpected_stderr(stderr, ())
        if exited is not None or bad:
            log(f"  FAILED window: exit {exited}\n  stderr: {stderr.strip()}")
            raise BuildError("The window did not stay up quietly for 3 s.")
        log("  ok window (offscreen, 3 s)")
        self.checks.append("window (offscreen, 3 s)")

    def sandbox(self, port: int) -> _Sandbox:
        return _Sandbox(self, port)


class _Sandbox:
    """The frozen `edge-app sandbox` in the background; its stderr must stay empty too."""

    def __init__(self, smoke: Smoke, port: int) -> None:
        self.smoke = smoke
        self.port = port
        self.out = smoke.temp / "sandbox.stdout"
        self.err = smoke.temp / "sandbox.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Sandbox:
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [str(self.smoke.exe), "sandbox", "--port", str(self.port)],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=self.smoke.env,
                cwd=self.smoke.temp,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BuildError(
                    f"The sandbox gateway exited: {self.err.read_text('utf-8', 'replace').strip()}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                log(f"  ok sandbox gateway listening on port {self.port}")
                return self
            except OSError:
                time.sleep(0.2)
        raise BuildError("The sandbox gateway did not start listening within 30 s.")

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise BuildError("The sandbox gateway did not stop on SIGTERM.") from None
        stderr = self.err.read_text("utf-8", "replace")
        if exc[0] is None and (unexpected_stderr(stderr, ()) or (code != 0 and not IS_WINDOWS)):
            log(f"  FAILED sandbox: exit {code}\n  stderr: {stderr.strip()}")
            raise BuildError("The sandbox gateway wrote errors or did not exit cleanly.")
        if exc[0] is None:
            self.smoke.checks.append("sandbox gateway (background, clean exit)")


def smoke_test(bundle: Path, version: str) -> list[str]:
    exe = bundle / EXE_NAME
    with tempfile.TemporaryDirectory(
        prefix="edge-app-smoke-", ignore_cleanup_errors=True
    ) as folder:
        smoke = Smoke(exe, Path(folder))
        smoke.all(version)
        return smoke.checks
