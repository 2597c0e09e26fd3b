"""Sub-commands that live beside their own modules (sandbox, login, sync, schedule).

Kept apart from cli.py so that each front-end module owns its flags; nothing here imports Qt.
"""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from edge_app.sandbox.cli import run

    return run(args)


def register(sub: Any) -> None:
    from edge_app.sandbox.cli import add_arguments as sandbox_arguments

    p = sub.add_parser("sandbox", help="run the embedded sandbox gateway on this computer")
    sandbox_arguments(p)
    p.set_defaults(func=_cmd_sandbox)
