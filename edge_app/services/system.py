"""What the facade asks of the operating system: the local time, time zone and system name.

Imports the standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

Clock = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


def today() -> date:
    return local_now().date()


def local_time_zone() -> str:
    """The IANA name of the local zone (X-USER-TIME-ZONE), or UTC when it cannot be told."""
    tz = os.environ.get("TZ", "")
    if "/" in tz:
        return tz.lstrip(":")
    try:
        link = Path("/etc/localtime").resolve()
        parts = link.parts
        if "zoneinfo" in parts:
            return "/".join(parts[parts.index("zoneinfo") + 1 :])
    except OSError:
        pass
    try:
        tzname = Path("/etc/timezone").read_text().strip()
        if tzname:
            return tzname
    except OSError:
        pass
    return "UTC"


def system_description() -> str:
    import platform  # only for this line: start-up stays cheap

    return f"{platform.system()} {platform.release()}".strip()
