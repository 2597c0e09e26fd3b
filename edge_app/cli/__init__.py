"""The `edge-app` command line. Never imports Qt (the window is loaded only for `gui`).

Exit codes: 0 ok; 2 bad input, usage or configuration (one line on stderr, nothing stored);
1 an unexpected internal error, that is a bug (logged at debug level); `sync` also uses 3 (needs
a person) and 4 (try again later); `schedule` uses 5 when a system tool (crontab, systemctl,
schtasks) is missing or fails.

The parts: `parser` declares every command; the handlers live by topic in `installation`
(init, login), `queue` (capture, import, status), `cardlist` (blocklist), `syncing` (sync,
schedule) and `launch` (gui, sandbox, demo); `common` holds what they share (`_open`,
`CliError`), `secrets` how card data and secrets come in (stdin, a prompt; not argv), `db`
the recovery of a damaged queue. Handler modules import their heavy dependencies inside the
handlers, so `edge-app status` starts without httpx, the sandbox, the scheduler or Qt. This
package may import any other part of `edge_app` and `storage`; nothing imports it back except
`__main__` and the installer's entry point.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from edge_app.cli.common import (
    EXIT_GATEWAY_DOWN,
    EXIT_INTERNAL,
    EXIT_USAGE,
    CliError,
    mask_card_runs,
)
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
    os.umask(0o077)  # every file this process creates is owner-only
    _setup_logging()
    stdout = _GuardedOutput(sys.stdout)
    sys.stdout = stdout
    try:
        code = _run(sys.argv[1:] if argv is None else argv)
        stdout.flush()
    finally:
        sys.stdout = stdout.inner
    if stdout.broken:
        # The command ran to its end: what it did is stored; only its report was lost.
        print(
            "edge-app: the standard output was closed, so this command's report was not "
            "shown; what it did is done and stored (see 'edge-app status').",
            file=sys.stderr,
        )
        _discard_stdout()
    return code


def _run(argv: Sequence[str]) -> int:
    from edge_app.domain.errors import ValidationError
    from edge_app.gateway.errors import GatewayError
    from storage.errors import StorageError

    args = build_parser().parse_args(argv)
    if getattr(args, "func", None) is None:
        args.func = cmd_gui
    try:
        return int(args.func(args))
    except CliError as exc:
        _say(str(exc))
        return exc.code
    except (ValidationError, StorageError) as exc:
        _say(str(exc), getattr(exc, "problems", []))
        return EXIT_USAGE
    except GatewayError as exc:  # messages are scrubbed plain sentences
        _say(str(exc))
        return EXIT_GATEWAY_DOWN if exc.should_retry else EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted.")
        return 130
    except OSError as exc:  # the file system or the OS refused: sorted by its errno
        from storage.files import describe_os_error

        log.debug("operating system error", exc_info=True)
        _say(describe_os_error(exc))
        return EXIT_USAGE
    except Exception as exc:  # a bug: say so without a traceback or any data
        log.debug("internal error", exc_info=True)
        _say(
            f"internal error ({type(exc).__name__}); nothing more was stored. "
            "Run with EDGE_APP_LOG_LEVEL=DEBUG for details."
        )
        return EXIT_INTERNAL


MAX_PROBLEMS_SHOWN = 5


def _say(message: str, problems: Sequence[str] = ()) -> None:
    """One line on stderr: the sentence, then the first few problems (of an import file)."""
    line = f"edge-app: {message}"
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        line += f" {shown}" + (f"; and {more} more." if more > 0 else "")
    # One line whatever a message quotes from the input: no control or line-break characters.
    line = mask_card_runs("".join(ch if ch.isprintable() else "?" for ch in line))
    print(line, file=sys.stderr)


class _GuardedOutput:
    """stdout that notes a closed pipe instead of raising: the command still ends as it would
    have (a completed sync keeps its exit code), and `main` says that only the report was lost."""

    def __init__(self, inner: TextIO | None) -> None:
        self.inner = inner  # None: Python started with no stdout at all (fd 1 closed)
        self.broken = inner is None

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self.inner.write(text)  # type: ignore[union-attr]
            except BrokenPipeError:
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.inner.flush()  # type: ignore[union-attr]
            except BrokenPipeError:
                self.broken = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _discard_stdout() -> None:
    """Point stdout at the null device so that Python's flush at exit does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (an embedding program)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)
