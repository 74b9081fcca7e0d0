"""Weekly opening hours: parse config strings like ``{"mon-fri": "08:00-18:00"}`` and validate.

>>> parse_hours({"mon-fri": "08:00-18:00", "sat": "09:00-12:00,13:00-15:00"})[5]
((datetime.time(9, 0), datetime.time(12, 0)), (datetime.time(13, 0), datetime.time(15, 0)))
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import time
from typing import Any

OpenSpan = tuple[time, time]
"""A local opening window; an end of ``MIDNIGHT`` means midnight at the end of the day (24:00)."""
WeeklyHours = tuple[tuple[OpenSpan, ...], ...]
"""Opening windows per weekday, Monday first."""

MIDNIGHT = time(0)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _check_day(windows: Sequence[OpenSpan], where: str) -> tuple[OpenSpan, ...]:
    """Return the windows sorted; raise ValueError if one is empty, reversed or overlapping."""
    ordered = sorted(windows, key=lambda w: w[0])
    previous_end = -1
    for start, end in ordered:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{where}: window times must be local (naive), got {start}-{end}")
        if start.second or start.microsecond or end.second or end.microsecond:
            raise ValueError(f"{where}: window times are whole minutes, got {start}-{end}")
        end_minutes = 24 * 60 if end == MIDNIGHT else _minutes(end)
        if end_minutes <= _minutes(start):
            raise ValueError(
                f"{where}: window {start:%H:%M}-{end:%H:%M} ends before it starts "
                "(split overnight hours at midnight: '22:00-24:00' and next day '00:00-06:00')"
            )
        if _minutes(start) < previous_end:
            raise ValueError(f"{where}: window starting {start:%H:%M} overlaps the previous one")
        previous_end = end_minutes
    return tuple(ordered)


def check_weekly(weekly: Mapping[int, Sequence[OpenSpan]]) -> WeeklyHours:
    """Return the weekly hours as 7 sorted tuples; raise ValueError if invalid or never open."""
    days: list[tuple[OpenSpan, ...]] = [() for _ in range(7)]
    for weekday, windows in weekly.items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be an int 0 (Monday) to 6 (Sunday), got {weekday!r}")
        days[weekday] = _check_day(windows, DAY_NAMES[weekday])
    if not any(days):
        raise ValueError("calendar has no open hours in the week")
    return tuple(days)


def parse_hours(hours: Mapping[Any, Any]) -> dict[int, tuple[OpenSpan, ...]]:
    """Parse ``{"mon-fri": "08:00-18:00", "sat": "09:00-12:00,13:00-15:00"}`` into weekly hours.

    Keys are day names (``mon`` or ``monday``), ranges (``mon-fri``, wrapping ``fri-mon``) and
    comma lists of both; values are comma lists of ``HH:MM-HH:MM`` (``24:00`` ends at midnight)
    or ``closed``. A day may appear under one key only. Unlisted days are closed. Keys and
    values are checked here (`Any`: compiled, a declared type would fail before the check).
    """
    weekly: dict[int, tuple[OpenSpan, ...]] = {}
    owner: dict[int, str] = {}
    for key, value in hours.items():
        where = f"hours[{key!r}]"
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"{where}: expected a string like 'mon-fri: \"08:00-18:00\"'")
        windows = _check_day(_parse_windows(value, where), where)
        for day in _parse_days(key, where):
            if day in owner:
                raise ValueError(
                    f"{where}: {DAY_NAMES[day]} is already set by hours[{owner[day]!r}]"
                )
            owner[day] = key
            weekly[day] = windows
    return weekly


def _parse_days(key: str, where: str) -> list[int]:
    days: list[int] = []
    for part in key.split(","):
        first, dash, last = part.strip().lower().partition("-")
        i = _parse_day(first, where)
        if not dash:
            days.append(i)
            continue
        j = _parse_day(last, where)
        days.extend((i + k) % 7 for k in range((j - i) % 7 + 1))
    if len(set(days)) != len(days):
        raise ValueError(f"{where}: a day is listed twice")
    return days


def _parse_day(name: str, where: str) -> int:
    name = name.strip()
    for names in (DAY_NAMES, _FULL_DAY_NAMES):
        if name in names:
            return names.index(name)
    raise ValueError(f"{where}: unknown day {name!r} (use mon, tue, wed, thu, fri, sat, sun)")


def _parse_windows(value: str, where: str) -> list[OpenSpan]:
    if value.strip().lower() == "closed":
        return []
    windows: list[OpenSpan] = []
    for part in value.split(","):
        start, dash, end = part.strip().partition("-")
        if not dash:
            raise ValueError(f"{where}: bad range {part.strip()!r}, expected HH:MM-HH:MM")
        windows.append((_parse_clock(start, where, False), _parse_clock(end, where, True)))
    return windows


def _parse_clock(text: str, where: str, is_end: bool) -> time:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{where}: bad time {text.strip()!r}, expected HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if is_end and (hour, minute) == (24, 0):
        return MIDNIGHT
    if hour > 23 or minute > 59:
        limit = "00:00-24:00" if is_end else "00:00-23:59"
        raise ValueError(f"{where}: time {text.strip()!r} out of range {limit}")
    return time(hour, minute)
