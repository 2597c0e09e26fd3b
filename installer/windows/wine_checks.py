"""The checks of the installed Windows program, run by a Windows Python (under Wine by
installer/windows/test_windows_package.py, or on a real Windows runner by the workflow).

    python wine_checks.py --exe "C:\\Program Files\\Edge Uploader\\edge-app.exe" --version 0.1.0
        [--zone Asia/Tokyo --utc-offset 9] [--result result.json]

Standard library only. Every check runs the installed edge-app.exe as a store would: the default
data folder (%LOCALAPPDATA%\\edge-app), the key in Windows Credential Manager, the embedded
sandbox gateway (`edge-app sandbox`) behind a small recording proxy that keeps the request
headers (X-USER-TIME-ZONE and the rest). Card data goes in through stdin only. The children get
no TZ variable: the time zone must come from the Windows registry. Prints one line per check;
exit 0 when all passed, 1 otherwise (the first failure ends the run).
"""

from __future__ import annotations

import argparse
import faulthandler
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recording_proxy import CheckFailed, Recorder, free_port, wait_port

CARD = "4111111111111111"  # test card numbers (valid Luhn, never real)
BLOCKED = "5555555555554444"
STORE = "wine-1"
IMPORTED = 40
KILL_BATCH = 120


def log(message: str) -> None:
    print(message, flush=True)


class Checks:
    def __init__(self, exe: str, version: str, zone: str | None, offset: float | None) -> None:
        self.exe = exe
        self.version = version
        self.zone = zone
        self.offset = offset
        self.temp = Path(tempfile.mkdtemp(prefix="edge-app-checks-"))
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k.upper() != "TZ"
            and not k.upper().startswith(("EDGE_APP_", "PYTHON"))
            and k.upper() != "QT_QPA_PLATFORM"
        }
        self.home = Path(os.environ["LOCALAPPDATA"]) / "edge-app"
        self.result: dict[str, Any] = {"checks": [], "home": str(self.home)}
        self.sandbox: subprocess.Popen[bytes] | None = None
        self.sandbox_port = free_port()
        self.proxy: Recorder | None = None
        self.uuids: list[str] = []

    # -- running the program ------------------------------------------------------------------

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        if os.environ.get("EDGE_APP_CHECKS_VERBOSE"):
            log(f"  + edge-app {' '.join(args)}")
        # stdout/stderr to files, not pipes: a process the program starts (under Wine: the
        # desktop's explorer.exe) could inherit a pipe and keep it open after the program ends.
        with (
            tempfile.TemporaryFile(dir=self.temp) as out,
            tempfile.TemporaryFile(dir=self.temp) as err,
        ):
            done = subprocess.run(
                [self.exe, *args],
                input=(stdin if stdin is not None else "").encode("utf-8"),
                stdout=out,
                stderr=err,
                env={**self.env, **(env or {})},
                cwd=self.temp,
                timeout=timeout,
                check=False,
            )
            out.seek(0)
            err.seek(0)
            text = [f.read().decode("utf-8", "replace").replace("\r\n", "\n") for f in (out, err)]
        return subprocess.CompletedProcess(done.args, done.returncode, text[0], text[1])

    def ok(self, name: str, result: subprocess.CompletedProcess[str], *allowed: str) -> str:
        """Exit 0, and every stderr line matches one of `allowed` (regexes)."""
        bad = [
            line
            for line in result.stderr.splitlines()
            if line.strip() and not any(re.search(p, line) for p in allowed)
        ]
        if result.returncode != 0 or bad:
            raise CheckFailed(
                f"{name}: exit {result.returncode}\n  stdout: {result.stdout.strip()[:2000]}"
                f"\n  stderr: {result.stderr.strip()[:2000]}"
            )
        self.passed(name)
        return result.stdout

    def passed(self, name: str, detail: str = "") -> None:
        self.result["checks"].append(name)
        log(f"  ok {name}" + (f": {detail}" if detail else ""))

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.sandbox_port, timeout=60)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data else {}
            conn.request(method, path, body=data, headers=headers)
            answer = conn.getresponse()
            return json.loads(answer.read() or b"null")
        finally:
            conn.close()

    def received(self) -> dict[str, Any]:
        return dict(self.admin("GET", "/_sandbox/received")["transactions"])

    def status(self) -> dict[str, Any]:
        out = self.ok("status --json", self.run("status", "--json"))
        doc = json.loads(out)
        return dict(doc["transactions"])

    def set_config(self, **values: Any) -> None:
        path = self.home / "config.json"
        doc = json.loads(path.read_text("utf-8"))
        doc.update(values)
        path.write_text(json.dumps(doc, indent=2), "utf-8")

    def import_sales(self, count: int, name: str) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(count)]
        path = self.temp / name
        rows = [
            {
                "kind": "sale",
                "uuid": key,
                "amount": f"{i % 40 + 1}.25",
                "currency": "HKD",
                "card_number": CARD,
                "expiry": "3012",
            }
            for i, key in enumerate(ids)
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
        out = self.ok(
            f"import transactions ({count} sales)",
            self.run("import", "transactions", str(path)),
            r"card data in plain text",
        )
        path.unlink()
        if f"Imported {count} transaction" not in out:
            raise CheckFailed(f"import printed {out.strip()!r}")
        return ids

    # -- the checks ---------------------------------------------------------------------------

    def all(self) -> None:
        out = self.ok("--version", self.run("--version"))
        if out.strip() != f"edge-app {self.version}":
            raise CheckFailed(f"--version printed {out.strip()!r}")
        self.start_gateway()
        self.init_with_credential_manager()
        self.capture_import_blocklist_sync()
        self.headers()
        self.lock_and_kill()
        self.keyring_absent()
        self.schedule_show()

    def start_gateway(self) -> None:
        self.sandbox_err = (self.temp / "sandbox.stderr").open("wb")
        self.sandbox = subprocess.Popen(
            [self.exe, "sandbox", "--port", str(self.sandbox_port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.sandbox_err,
            env=self.env,
            cwd=self.temp,
        )
        wait_port(self.sandbox_port, self.sandbox, "edge-app sandbox")
        self.passed("edge-app sandbox listening", f"port {self.sandbox_port}")
        self.proxy = Recorder(self.sandbox_port)

    def init_with_credential_manager(self) -> None:
        if self.home.exists():
            raise CheckFailed(f"{self.home} exists before init (a leftover of an earlier run)")
        assert self.proxy is not None
        self.ok(
            "init (default data folder, key store auto)",
            self.run(
                "init",
                "--store-id",
                STORE,
                "--environment",
                "sandbox",
                "--username",
                "wine@example.com",
                "--base-url",
                f"http://127.0.0.1:{self.proxy.port}",
            ),
        )
        for name in ("queue.db", "config.json", "keystore.json"):
            if not (self.home / name).is_file():
                raise CheckFailed(f"init made no {self.home / name}")
        self.passed("data folder is %LOCALAPPDATA%\\edge-app", str(self.home))
        keystore = json.loads((self.home / "keystore.json").read_text("utf-8"))
        if keystore.get("backend") != "keyring":
            raise CheckFailed(f"the key is not in Credential Manager: {keystore}")
        if re.search(r"[0-9a-fA-F]{64}", (self.home / "keystore.json").read_text("utf-8")):
            raise CheckFailed("keystore.json holds something like a key")
        head = (self.home / "queue.db").read_bytes()[:16]
        if head.startswith(b"SQLite format 3"):
            raise CheckFailed("queue.db is a plain SQLite file")
        self.passed("key in Windows Credential Manager (keyring), queue.db encrypted")

    def capture_import_blocklist_sync(self) -> None:
        out = self.ok(
            "capture sale --card-stdin",
            self.run(
                "capture",
                "sale",
                "--amount",
                "12.34",
                "--currency",
                "HKD",
                "--expiry",
                "3012",
                "--card-stdin",
                stdin=f"card_number={CARD}\ncvv=737\n",
            ),
        )
        match = re.match(r"^sale queued ([0-9a-f-]{36})$", out.strip())
        if not match:
            raise CheckFailed(f"capture sale printed {out.strip()!r}")
        self.uuids.append(match.group(1))
        self.uuids += self.import_sales(IMPORTED, "day.jsonl")
        self.ok("blocklist add (stdin)", self.run("blocklist", "add", stdin=f"{BLOCKED}\n"))
        listed = json.loads(
            self.ok("blocklist list --json", self.run("blocklist", "list", "--json"))
        )
        if listed.get("cards") != 1:
            raise CheckFailed(f"blocklist list: {listed}")
        tx = self.status()
        if tx.get("queued") != IMPORTED + 1:
            raise CheckFailed(f"status before sync: {tx}")
        self.ok("login --password-stdin", self.run("login", "--password-stdin", stdin="sandbox\n"))
        summary = json.loads(
            self.ok("sync --json", self.run("sync", "--json", "--query-interval", "0.2"))
        )
        if summary.get("uploaded") != IMPORTED + 1:
            raise CheckFailed(f"sync summary: {summary}")
        self.expect_received_once(self.uuids)
        blocks = self.admin("GET", "/_sandbox/received")["card_block"].get(STORE, {})
        if BLOCKED not in blocks.get("list", []):
            raise CheckFailed(f"the sandbox's card list: {blocks}")
        self.passed("blocklist uploaded to the sandbox")
        tx = self.status()
        if tx.get("uploaded") != IMPORTED + 1 or tx.get("queued") != 0:
            raise CheckFailed(f"status after sync: {tx}")
        self.passed("status --json after sync", json.dumps(tx))

    def expect_received_once(self, ids: list[str]) -> None:
        received = self.received()
        if sorted(received) != sorted(ids):
            missing = set(ids) - set(received)
            extra = set(received) - set(ids)
            raise CheckFailed(f"sandbox holds {len(received)}: missing {missing}, extra {extra}")
        twice = {k: v for k, v in received.items() if v.get("processed") != 1}
        if twice:
            raise CheckFailed(f"records not processed exactly once: {twice}")
        failed = {k: v["state"] for k, v in received.items() if v.get("state") != "success"}
        if failed:
            raise CheckFailed(f"records not successful at the sandbox: {failed}")
        self.passed("sandbox holds every record once", f"{len(ids)} records")

    def headers(self) -> None:
        assert self.proxy is not None
        uploads = [h for path, h in self.proxy.requests if "/payment/offline/" in path]
        if not uploads:
            raise CheckFailed("no upload went through the recording proxy")
        head = {k.upper(): v for k, v in uploads[-1].items()}
        zone = head.get("X-USER-TIME-ZONE")
        self.result["headers"] = {k: v for k, v in head.items() if k.startswith("X-USER-")}
        self.result["headers"].pop("X-USER-ACCESS-TOKEN", None)
        if self.zone is not None:
            if zone != self.zone:
                raise CheckFailed(f"X-USER-TIME-ZONE is {zone!r}, the prefix's zone is {self.zone}")
            self.passed("X-USER-TIME-ZONE from the Windows registry", zone)
        if self.offset is not None:
            sent = datetime.strptime(head["X-USER-DATE-TIME"], "%Y/%m/%d %H:%M:%S")
            local = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=self.offset)
            if abs((sent - local).total_seconds()) > 300:
                raise CheckFailed(f"X-USER-DATE-TIME {sent} is not local time {local:%H:%M}")
            self.passed("X-USER-DATE-TIME in the zone's local time", head["X-USER-DATE-TIME"])
        system = head.get("X-USER-SYSTEM-VERSION", "")
        if not re.match(r"^Windows \S+", system):
            raise CheckFailed(f"X-USER-SYSTEM-VERSION is {system!r}")
        self.passed("X-USER-SYSTEM-VERSION", system)
        config = json.loads((self.home / "config.json").read_text("utf-8"))
        model = head.get("X-USER-DEVICE-MODEL")
        if not model or model != config.get("device_model"):
            raise CheckFailed(f"X-USER-DEVICE-MODEL {model!r}, config {config.get('device_model')}")
        if head.get("X-USER-DEVICE-ID") != config.get("device_id"):
            raise CheckFailed("X-USER-DEVICE-ID is not the installation's device id")
        self.passed("X-USER-DEVICE-MODEL and device id", model)

    def lock_and_kill(self) -> None:
        """A second sync while one runs exits 4; taskkill /F of the running one mid-run; the
        next run finishes and the sandbox holds each record once."""
        ids = self.import_sales(KILL_BATCH, "late.jsonl")
        self.set_config(batch_size=4, concurrency=1)
        self.admin("POST", "/_sandbox/config", {"latency_ms": 400})
        before = set(self.received())
        first = subprocess.Popen(
            [self.exe, "sync", "--unattended", "--json"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
            cwd=self.temp,
        )
        deadline = time.monotonic() + 120
        while len(set(self.received()) - before) < 8:
            if first.poll() is not None or time.monotonic() > deadline:
                raise CheckFailed(f"the first sync ended early ({first.poll()})")
            time.sleep(0.3)
        second = self.run("sync", "--json", timeout=120)
        if second.returncode != 4:
            raise CheckFailed(
                f"a second sync during the first exited {second.returncode}: {second.stderr}"
            )
        self.passed("second sync while one runs: exit 4 (sync lock)", second.stderr.strip()[:80])
        killed = subprocess.run(
            ["taskkill", "/F", "/PID", str(first.pid)], capture_output=True, text=True
        )
        try:
            first.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"taskkill /F did not end the sync: {killed.stdout}") from None
        got = len(set(self.received()) - before)
        if got >= KILL_BATCH:
            raise CheckFailed("the sync had finished before it was killed")
        self.passed("taskkill /F mid-sync", f"{got} of {KILL_BATCH} at the sandbox when killed")
        self.admin("POST", "/_sandbox/config", {"latency_ms": 0})
        self.set_config(batch_size=500, concurrency=2)
        self.ok(
            "sync after the kill",
            self.run("sync", "--unattended", "--json", "--query-interval", "0.2"),
            r"^\d{4}-\d\d-\d\d [\d:,]+ INFO edge_app\.",  # an unattended run logs its steps
        )
        self.uuids += ids
        self.expect_received_once(self.uuids)
        tx = self.status()
        if tx.get("queued") != 0 or tx.get("uploaded") != len(self.uuids):
            raise CheckFailed(f"status after the resumed sync: {tx}")

    def keyring_absent(self) -> None:
        """With keyring's fail backend (no Credential Manager): --key-store keyring is refused in
        one line, and auto falls back to the passphrase file."""
        no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        base = ["init", "--store-id", "nk", "--environment", "sandbox", "--username", "nk"]
        refused = self.run(
            "--home", str(self.temp / "nk1"), *base, "--key-store", "keyring", env=no_keyring
        )
        lines = refused.stderr.strip().splitlines()
        if refused.returncode != 2 or len(lines) != 1 or "Traceback" in refused.stderr:
            raise CheckFailed(f"init --key-store keyring without a keyring: {refused}")
        if (self.temp / "nk1" / "queue.db").exists():
            raise CheckFailed("a refused init left a queue behind")
        self.passed("no keyring: --key-store keyring refused in one line", lines[0][:90])
        home = self.temp / "nk2"
        self.ok(
            "no keyring: init falls back to the passphrase file",
            self.run(
                "--home",
                str(home),
                *base,
                env={**no_keyring, "EDGE_APP_PASSPHRASE": "wine-passphrase-1"},
            ),
            r"^warning: ",
        )
        keystore = json.loads((home / "keystore.json").read_text("utf-8"))
        if keystore.get("backend") != "file":
            raise CheckFailed(f"keystore without a keyring: {keystore}")

    def schedule_show(self) -> None:
        """Wine's schtasks is a stub: whatever it answers, one line and never exit 1."""
        shown = self.run("schedule", "show", "--system", "windows", timeout=120)
        lines = (shown.stderr or "").strip().splitlines()
        if shown.returncode not in (0, 5) or "Traceback" in shown.stderr or len(lines) > 1:
            raise CheckFailed(f"schedule show: exit {shown.returncode}: {shown.stderr}")
        self.result["schedule_show"] = {"exit": shown.returncode, "stderr": shown.stderr.strip()}
        self.passed(
            f"schedule show: exit {shown.returncode}",
            (shown.stdout.strip() or shown.stderr.strip())[:100],
        )

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.close()
        if self.sandbox is not None and self.sandbox.poll() is None:
            self.sandbox.terminate()
            try:
                self.sandbox.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.sandbox.kill()
                self.sandbox.wait()
            self.sandbox_err.close()
            err = (self.temp / "sandbox.stderr").read_text("utf-8", "replace")
            self.result["sandbox_stderr"] = err[-2000:]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exe", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--zone", help="the IANA zone X-USER-TIME-ZONE must name")
    parser.add_argument("--utc-offset", type=float, help="the zone's offset now, in hours")
    parser.add_argument("--result", help="write what was checked here as JSON")
    args = parser.parse_args()
    # A hang shows where it is (every thread's stack on stderr) instead of waiting for a timeout.
    faulthandler.dump_traceback_later(
        float(os.environ.get("EDGE_APP_CHECKS_TIMEOUT", "900")), exit=True
    )
    checks = Checks(args.exe, args.version, args.zone, args.utc_offset)
    code = 0
    try:
        checks.all()
    except (CheckFailed, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as exc:
        log(f"  FAILED {type(exc).__name__}: {exc}")
        checks.result["failed"] = str(exc)
        code = 1
    finally:
        checks.close()
        if args.result:
            Path(args.result).write_text(json.dumps(checks.result, indent=2), "utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
