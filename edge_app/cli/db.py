"""`db check` and `db export-recovered FILE`: what to do with a damaged queue.

May import `cli.common`; the recovery itself is `edge_app.services.recovery`, imported inside
the handler. Never Qt.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge_app.cli.common import EXIT_OK, CliError, _home, _prompt_passphrase


def cmd_db(args: argparse.Namespace) -> int:
    from edge_app.services.recovery import check_queue, recover_queue

    home = _home(args)
    ask = _prompt_passphrase(confirm=False)
    if args.action == "check":
        report = check_queue(home, passphrase_provider=ask)
        if not report.healthy:
            raise CliError(
                f"The database file is damaged ({'; '.join(report.problems)}); copy what can "
                "be read with 'edge-app db export-recovered FILE' (see 'Damaged database' in "
                "docs/operations.md)."
            )
        print(f"The database is sound: every page reads and checks (schema {report.version}).")
        return EXIT_OK
    target = Path(args.file)
    recovered = recover_queue(home, target, force=args.force, passphrase_provider=ask)
    copied = ", ".join(f"{t.name} {t.copied}" for t in recovered.tables)
    print(f"Copied into {target} (schema {recovered.version}): {copied} row(s).")
    if not recovered.complete:
        lost = ", ".join(
            f"{t.name}: {t.gaps} damaged part(s)"
            + (f", about {t.lost_rowids} row(s)" if t.lost_rowids else "")
            for t in recovered.tables
            if t.gaps
        )
        dangling = (
            f"; {recovered.dangling} record(s) point at lost ones" if recovered.dangling else ""
        )
        print(f"warning: not everything could be read ({lost}){dangling}.", file=sys.stderr)
    print(
        "Next: stop the window and the scheduled sync, keep a copy of the home, then replace "
        f"queue.db with {target.name} and delete queue.db-wal and queue.db-shm."
    )
    return EXIT_OK
