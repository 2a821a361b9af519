"""Report days: a calendar date in a time zone as a window of epoch seconds.

A patrol report covers one day as the station lives it: from local midnight
to the next local midnight (23 or 25 hours across a daylight-saving change).
The zone is the machine's local time unless a caller names one, either as an
IANA zone (``Asia/Shanghai``) or as a fixed UTC offset (``+08:00``, ``UTC``).

>>> day = parse_day("2026-11-29")
>>> day_window(day, parse_zone("+08:00"))
(1795881600.0, 1795968000.0)
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)

DAY_FORMAT = "YYYY-MM-DD"
"""How a report day is written, for error messages."""

ZONE_FORMAT = "an IANA zone such as Asia/Shanghai, UTC, or an offset such as +08:00"
"""What a zone may be, for error messages."""


FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
"""Days a report may ask for: any day a drone could have flown, with a day's margin
either side for every time zone (``9999-12-31`` + 1 day overflows Python's dates)."""
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+){0,3}")
"""The shape of an IANA zone name: a few path parts, no dots (nothing but zone files)."""


class DayError(ValueError):
    """A day or zone that cannot be read; the message names the input and the format."""


def parse_day(text: str) -> date:
    """A calendar date written ``YYYY-MM-DD``."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise DayError(f"day {text!r} is not a date written {DAY_FORMAT}")
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise DayError(f"day {text!r} is not a calendar date ({DAY_FORMAT})") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DayError(
            f"day {text!r} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}, "
            "the days a patrol can have been flown"
        )
    return day


def parse_zone(text: str | None) -> tzinfo | None:
    """A time zone by IANA name or UTC offset; None (or empty) is the machine's local time."""
    if text is None or not text.strip():
        return None
    name = text.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes > 59:
            raise DayError(f"zone {text!r} is not a UTC offset between -14:00 and +14:00")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    if len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        raise DayError(f"zone {text[:64]!r} is unknown; use {ZONE_FORMAT}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a folder ("America") is an OSError
        raise DayError(f"zone {text!r} is unknown; use {ZONE_FORMAT}") from None


def zone_name(zone: tzinfo | None) -> str:
    """How a zone is shown: its IANA key, ``UTC+08:00``, or the local zone's abbreviation."""
    if zone is None:
        return datetime.now().astimezone().tzname() or "local"
    key = getattr(zone, "key", None)
    if key:
        return str(key)
    return datetime.now(zone).tzname() or str(zone)


def day_window(day: date, zone: tzinfo | None = None) -> tuple[float, float]:
    """[start, end) of ``day`` in ``zone`` [s since the epoch]; local time when None."""

    def midnight(d: date) -> float:
        moment = datetime.combine(d, time(0, 0))
        return (moment.replace(tzinfo=zone) if zone is not None else moment).timestamp()

    return midnight(day), midnight(day + timedelta(days=1))
