"""`init` and `login`: set this PC up for a store, and keep the gateway credentials.

May import `cli.common`; `edge_app.services` only inside the handlers. Never Qt.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from edge_app.cli.common import EXIT_OK, CliError, _home, _open, _prompt_passphrase


def cmd_init(args: argparse.Namespace) -> int:
    from edge_app.cli.secrets import init_secrets
    from edge_app.services import App, InitSettings

    secrets = init_secrets(args)
    settings = InitSettings(
        store_id=args.store_id,
        environment=args.environment,
        username=args.username,
        base_url=args.base_url,
        login_url=args.login_url,
        client_id=args.client_id,
        client_secret=secrets["client_secret"],
        list_mode=args.list_mode,
        key_store=args.key_store,
        signing_secret=secrets["signing_secret"],
    )
    home = _home(args)
    app = App.init(home, settings, passphrase_provider=_prompt_passphrase(confirm=True))
    try:
        if app.key_source.warning:
            print(f"warning: {app.key_source.warning}", file=sys.stderr)
        print(
            f"Set up store {app.config.store_id} ({app.config.environment}, {app.config.base_url}) "
            f"in {home}; database key kept in the {app.key_source.describe()}."
        )
    finally:
        app.close()
    return EXIT_OK


def cmd_login(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Gateway password: ")
    else:
        raise CliError("No terminal to ask for the password; use --password-stdin.")
    app = _open(args)
    try:
        app.login(password)
        print(
            f"Logged in as {app.config.username}; "
            "the password is kept encrypted for unattended syncs."
        )
    finally:
        app.close()
    return EXIT_OK
