"""`gui`, `sandbox` and `demo`: the commands that start something bigger and stay in it.

May import `cli.common`; Qt, the sandbox gateway and the demo only inside the handlers.
"""

from __future__ import annotations

import argparse

from edge_app.cli.common import CliError, _home


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from edge_app.ui.app import run_gui
    except ImportError as exc:
        raise CliError(f"The window cannot start: {exc}. Install PySide6-Essentials.") from None
    return int(run_gui(_home(args)))


def cmd_sandbox(args: argparse.Namespace) -> int:
    from edge_app.sandbox.cli import run

    return run(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from edge_app.demo import run

    return run(_home(args), no_window=args.no_window)
