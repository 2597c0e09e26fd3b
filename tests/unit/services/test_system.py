"""X-USER-TIME-ZONE on Windows: the registry's zone name mapped to its IANA name (tzlocal's CLDR
table), and UTC only when the zone cannot be told. The same code under Wine, with a Windows zone
set in the prefix, is checked by installer/windows/test_windows_package.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from edge_app.services import system


@pytest.mark.parametrize(
    ("windows", "iana"),
    [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("China Standard Time", "Asia/Shanghai"),
        ("Taipei Standard Time", "Asia/Taipei"),
        ("GMT Standard Time", "Europe/London"),
        ("Eastern Standard Time", "America/New_York"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("  Tokyo Standard Time ", "Asia/Tokyo"),
    ],
)
def test_windows_zone_names_map_to_iana(windows: str, iana: str) -> None:
    assert system.windows_zone_to_iana(windows) == iana
    ZoneInfo(iana)  # and zoneinfo knows it (tzdata where the system has no database)


def test_an_unknown_windows_zone_maps_to_nothing() -> None:
    assert system.windows_zone_to_iana("Atlantis Standard Time") is None
    assert system.windows_zone_to_iana("") is None


def test_windows_zone_comes_from_tzlocal(monkeypatch: pytest.MonkeyPatch) -> None:
    import tzlocal

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(system.os, "name", "nt")
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Asia/Hong_Kong")
    assert system.local_time_zone() == "Asia/Hong_Kong"


@pytest.mark.parametrize("answer", ["", None, "Hong Kong Standard Time"])
def test_windows_zone_that_cannot_be_told_is_utc(
    monkeypatch: pytest.MonkeyPatch, answer: str | None
) -> None:
    import tzlocal

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(system.os, "name", "nt")
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: answer)
    assert system.local_time_zone() == "UTC"


def test_a_failing_tzlocal_gives_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    import tzlocal

    def broken() -> str:
        raise LookupError("no zone in the registry")

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(system.os, "name", "nt")
    monkeypatch.setattr(tzlocal, "get_localzone_name", broken)
    assert system.local_time_zone() == "UTC"
