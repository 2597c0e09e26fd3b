"""The `edge-app` command line. Never imports Qt (the window is loaded only for `gui`).

Exit codes: 0 ok; 2 bad input, usage or configuration (one line on stderr, nothing stored);
1 an unexpected internal error, that is a bug (logged at debug level); `sync` also uses 3 (needs
a person) and 4 (try again later); `schedule` uses 5 when a system tool (crontab, systemctl,
schtasks) is missing or fails.

The parts: `parser` declares every command; the handlers live by topic in `installation`
(init, login), `queue` (capture, import, status), `cardlist` (blocklist), `syncing` (sync,
schedule) and `launch` (gui, sandbox, demo); `common` holds what they share (`_open`,
`CliError`). Handler modules import their heavy dependencies inside the handlers, so
`edge-app status` starts without httpx, the sandbox, the scheduler or Qt. This package may import
any other part of `edge_app` and `storage`; nothing imports it back except `__main__` and the
installer's entry point.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from edge_app.cli.common import EXIT_GATEWAY_DOWN, EXIT_INTERNAL, EXIT_USAGE, CliError
from edge_app.cli.launch import cmd_gui
from edge_app.cli.parser import build_parser

log = logging.getLogger("edge_app.cli")

__all__ = ["build_parser", "main"]


def _setup_logging() -> None:
    level = os.environ.get("EDGE_APP_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    from edge_app.domain.errors import ValidationError
    from edge_app.gateway.errors import GatewayError
    from storage.errors import StorageError

    os.umask(0o077)  # every file this process creates is owner-only
    _setup_logging()
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, "func", None) is None:
        args.func = cmd_gui
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"edge-app: {exc}", file=sys.stderr)
        return exc.code
    except (ValidationError, StorageError) as exc:
        print(f"edge-app: {exc}", file=sys.stderr)
        for problem in getattr(exc, "problems", []):
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except GatewayError as exc:  # messages are scrubbed plain sentences
        print(f"edge-app: {exc}", file=sys.stderr)
        return EXIT_GATEWAY_DOWN if exc.should_retry else EXIT_USAGE
    except KeyboardInterrupt:
        print("edge-app: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so without a traceback or any data
        log.debug("internal error", exc_info=True)
        print(
            f"edge-app: internal error ({type(exc).__name__}); nothing more was stored. "
            "Run with EDGE_APP_LOG_LEVEL=DEBUG for details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
