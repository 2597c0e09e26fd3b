"""What the facade asks of the operating system: the local time, time zone and system name.

Imports the standard library only, and on Windows `tzlocal` (the registry's zone name to IANA).
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


def windows_zone_to_iana(name: str) -> str | None:
    """The IANA name of a Windows time zone ("W. Europe Standard Time" -> "Europe/Berlin"), by
    the CLDR table tzlocal maintains; None for a name it does not know."""
    from tzlocal.windows_tz import win_tz

    found = win_tz.get(name.strip())
    return str(found) if found else None


def _windows_time_zone() -> str:
    """Windows keeps no IANA name: the registry's zone key name, mapped through tzlocal."""
    try:
        import tzlocal

        name = str(tzlocal.get_localzone_name() or "")
    except Exception:  # an unknown zone, no registry entry: tzlocal raises its own errors
        return "UTC"
    return name if "/" in name else "UTC"


def local_time_zone() -> str:
    """The IANA name of the local zone (X-USER-TIME-ZONE), or UTC when it cannot be told."""
    tz = os.environ.get("TZ", "")
    if "/" in tz:
        return tz.lstrip(":")
    if os.name == "nt":
        return _windows_time_zone()
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
