"""`edge-app demo`: try the app with no account, against the embedded sandbox gateway.

Starts a sandbox gateway on loopback inside this process, sets up (once) a demo store in the home,
logs in, then opens the window; with no display it walks through a capture and a sync instead.
The demo keeps its database key in a file beside the database: fine for test cards, never for
real ones (real installations use the OS keyring or a passphrase).

May import services, storage, the sandbox gateway and (for the window) the UI; never the command
line package, which calls `run`.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

DEMO_KEY_FILE = "demo-db-key.txt"
DEMO_PASSWORD = "sandbox"  # noqa: S105 - the sandbox gateway's documented password
DEMO_CARD = "4111111111111111"


def _demo_key(home: Path) -> str:
    from storage.files import atomic_write, ensure_private_dir

    ensure_private_dir(home)
    path = home / DEMO_KEY_FILE
    if not path.exists():
        atomic_write(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def _prepare(home: Path, url: str) -> Any:
    from edge_app.services import App, InitSettings

    os.environ["EDGE_APP_DB_KEY"] = _demo_key(home)
    if (home / "config.json").exists():
        app = App.open(home)
        app.update_config(base_url=url, login_url=url)
    else:
        app = App.init(
            home,
            InitSettings(
                store_id="demo-store",
                environment="sandbox",
                username="demo@example.com",
                base_url=url,
                key_store="env",
            ),
        )
    app.login(DEMO_PASSWORD)
    return app


def _has_display() -> bool:
    if os.name == "nt" or sys.platform == "darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or (
        os.environ.get("QT_QPA_PLATFORM", "") not in ("", "xcb", "wayland")
    )


def _walk_through(app: Any) -> int:
    from datetime import date

    expiry = f"{(date.today().year + 3) % 100:02d}12"
    capture = app.capture_sale(
        amount="25.00", currency="HKD", card_number=DEMO_CARD, expiry=expiry, cvv="123"
    )
    print(f"Captured a demo sale {capture.uuid} (card {DEMO_CARD[:6]}******{DEMO_CARD[-4:]}).")
    summary = app.sync(trigger="demo", query_interval=0.5)
    print(
        f"Synced: {summary.uploaded} uploaded, {summary.failed} failed, "
        f"{summary.left_queued} still queued."
    )
    status = app.status()
    counts = ", ".join(f"{n} {state}" for state, n in status["transactions"].items())
    print(f"Queue now: {counts}.")
    print("On a desktop (DISPLAY set) the same command opens the window instead.")
    return 0


def run(home: Path, *, no_window: bool = False) -> int:
    """The demo in `home`; `no_window` walks through on the command line even with a display."""
    from edge_app.sandbox.server import SandboxGateway, SandboxOptions

    gateway = SandboxGateway(SandboxOptions(password=DEMO_PASSWORD, pending_seconds=3.0)).start()
    try:
        app = _prepare(home, gateway.url)
        print(f"Sandbox gateway on {gateway.url}; demo store in {home}.")
        print("Demo database key is kept in a file beside the database: use test cards only.")
        if no_window or not _has_display():
            if not no_window:
                print(
                    "No display found: running a command-line walk-through instead of the window."
                )
            try:
                return _walk_through(app)
            finally:
                app.close()
        app.close()
        from edge_app.ui.app import run_gui

        return int(run_gui(home))
    finally:
        gateway.stop()
