"""Business-time calendars: when an SLA clock runs, and which instant is N business hours later.

A calendar answers three questions about aware datetimes: ``add`` (the instant when a duration
of business time has elapsed), ``elapsed`` (business time between two instants) and ``is_open``.
``add_us`` and ``elapsed_us`` answer the first two in whole epoch microseconds, exactly as the
datetime forms (which have microsecond resolution) do: the SLA clocks use them.
``BusinessHours`` works in local wall-clock per day, so a 08:00-18:00 window stays 08:00-18:00
local across a DST change; a window that contains the change lasts its real elapsed time.

    >>> paris = ZoneInfo("Europe/Paris")
    >>> cal = BusinessHours("Europe/Paris", parse_hours({"mon-fri": "08:00-18:00"}))
    >>> cal.add(datetime(2026, 1, 9, 17, 30, tzinfo=paris), timedelta(hours=8)).isoformat()
    '2026-01-12T15:30:00+01:00'
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from stream.sla.weekly_hours import MIDNIGHT, OpenSpan, check_weekly, parse_hours

__all__ = [
    "TWENTY_FOUR_SEVEN",
    "BusinessHours",
    "Calendar",
    "OpenSpan",
    "TwentyFourSeven",
    "parse_hours",
]

Span = tuple[datetime, datetime]
SpanUs = tuple[int, int]  # epoch microseconds

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_MAX_CLOSED_DAYS = 400  # a run of closed days this long means the calendar never opens again
_CACHE_DAYS = 2048
_CACHE_ADDS = 16384  # ~4 MB; open tickets × targets whose clocks are asked again
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(t: datetime) -> int:
    """Return the aware instant ``t`` in whole epoch microseconds."""
    return (_utc(t) - _EPOCH) // _US


class Calendar(Protocol):
    """Business time over aware datetimes."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return the instant when ``duration`` of business time has elapsed after ``start``."""
        ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the business time between two instants (negative if ``end`` < ``start``)."""
        ...

    def is_open(self, t: datetime) -> bool:
        """Return whether the business clock runs at ``t``."""
        ...

    def add_us(self, start: int, duration: int) -> int:
        """Return ``add`` in epoch microseconds (``duration`` in microseconds)."""
        ...

    def elapsed_us(self, start: int, end: int) -> int:
        """Return ``elapsed`` in microseconds, between epoch-microsecond instants."""
        ...


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: calendars need timezone-aware instants")
    return t.astimezone(UTC)


def _check_duration(duration: timedelta) -> None:
    if duration < _ZERO:
        raise ValueError(f"negative duration {duration}")


class TwentyFourSeven:
    """Always open: business time is real elapsed time (exact across DST changes)."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return ``start`` plus ``duration`` of real time, in ``start``'s timezone."""
        _check_duration(duration)
        # Aware arithmetic in a local zone is wall-clock arithmetic: go through UTC.
        return (_utc(start) + duration).astimezone(start.tzinfo)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the real time between two instants."""
        return _utc(end) - _utc(start)

    def is_open(self, t: datetime) -> bool:
        """Return True: the clock always runs."""
        _utc(t)
        return True

    def add_us(self, start: int, duration: int) -> int:
        """Return ``start`` plus ``duration`` microseconds."""
        if duration < 0:
            raise ValueError(f"negative duration {duration} µs")
        return start + duration

    def elapsed_us(self, start: int, end: int) -> int:
        """Return the real microseconds between two instants."""
        return end - start

    def __repr__(self) -> str:
        return "TWENTY_FOUR_SEVEN"


TWENTY_FOUR_SEVEN = TwentyFourSeven()


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {tz!r}") from exc


def _check_country(country: str | None, subdiv: str | None) -> None:
    if country is None:
        if subdiv is not None:
            raise ValueError(f"holiday subdivision {subdiv!r} given without a country")
        return
    try:
        holidays_lib.country_holidays(country, subdiv=subdiv)
    except NotImplementedError as exc:
        raise ValueError(f"unknown holiday country/subdivision: {exc}") from exc


class BusinessHours:
    """Weekly local opening hours in one timezone, closed all day on holidays.

    >>> cal = BusinessHours(
    ...     "Europe/Paris",
    ...     {d: [(time(8), time(18))] for d in range(5)},
    ...     holidays=[date(2026, 12, 25)],
    ...     country="FR",  # optional: merge the `holidays` package's public holidays
    ... )
    """

    def __init__(
        self,
        tz: str,
        weekly: Mapping[int, Sequence[OpenSpan]],
        holidays: Collection[date] = (),
        *,
        country: str | None = None,
        subdiv: str | None = None,
    ) -> None:
        self.tz = tz
        self._zone = _zone(tz)
        self._weekly = check_weekly(weekly)
        self._holidays = frozenset(holidays)
        _check_country(country, subdiv)
        self._country = country
        self._subdiv = subdiv
        self._country_years: dict[int, frozenset[date]] = {}
        self._days: dict[date, tuple[Span, ...]] = {}
        self._adds: dict[tuple[datetime, timedelta], datetime] = {}  # (UTC start, duration) → due
        self._days_us: dict[date, tuple[SpanUs, ...]] = {}
        self._adds_us: dict[tuple[int, int], int] = {}

    @classmethod
    def from_config(
        cls,
        tz: str,
        hours: Mapping[str, str],
        holidays: Collection[date] = (),
        *,
        country: str | None = None,
        subdiv: str | None = None,
    ) -> BusinessHours:
        """Build from config strings: ``{"mon-fri": "08:00-18:00"}`` (see ``parse_hours``)."""
        return cls(tz, parse_hours(hours), holidays, country=country, subdiv=subdiv)

    def __repr__(self) -> str:
        return f"BusinessHours({self.tz!r}, country={self._country!r})"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return the instant when ``duration`` of business time has elapsed after ``start``."""
        _check_duration(duration)
        if not duration:
            return start
        t = _utc(start)
        # A ticket asks the same question again on each of its events (same start, same
        # target): answer repeats from a bounded memo, as `_day_spans` does for days.
        due = self._adds.get((t, duration))
        if due is None:
            due = self._add_utc(t, duration)
            if len(self._adds) >= _CACHE_ADDS:
                self._adds.clear()
            self._adds[(t, duration)] = due
        return due.astimezone(start.tzinfo)

    def _add_utc(self, t: datetime, duration: timedelta) -> datetime:
        remaining = duration
        for open_at, close_at in self._spans_from(t):
            if close_at <= t:
                continue
            open_at = max(open_at, t)
            if remaining <= close_at - open_at:
                return open_at + remaining
            remaining -= close_at - open_at
        raise AssertionError("unreachable: _spans_from is endless or raises")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the business time between two instants (negative if ``end`` < ``start``)."""
        s, e = _utc(start), _utc(end)
        if e < s:
            return -self.elapsed(end, start)
        total = _ZERO
        day, last = self._local_date(s) - _DAY, self._local_date(e)
        while day <= last:
            for open_at, close_at in self._day_spans(day):
                total += max(_ZERO, min(close_at, e) - max(open_at, s))
            day += _DAY
        return total

    def add_us(self, start: int, duration: int) -> int:
        """Return ``add`` in epoch microseconds (``duration`` in microseconds)."""
        if duration < 0:
            raise ValueError(f"negative duration {duration} µs")
        if not duration:
            return start
        due = self._adds_us.get((start, duration))
        if due is None:
            due = self._add_us(start, duration)
            if len(self._adds_us) >= _CACHE_ADDS:
                self._adds_us.clear()
            self._adds_us[(start, duration)] = due
        return due

    def _add_us(self, t: int, remaining: int) -> int:
        # as `_add_utc`, a day early for the same reason
        day, closed = self._local_date_us(t) - _DAY, 0
        while True:
            spans = self._day_spans_us(day)
            closed = 0 if spans else closed + 1
            if closed > _MAX_CLOSED_DAYS:
                raise ValueError(f"{self!r} has no open hours for {_MAX_CLOSED_DAYS} days")
            for open_at, close_at in spans:
                if close_at <= t:
                    continue
                open_at = max(open_at, t)
                if remaining <= close_at - open_at:
                    return open_at + remaining
                remaining -= close_at - open_at
            day += _DAY

    def elapsed_us(self, start: int, end: int) -> int:
        """Return ``elapsed`` in microseconds, between epoch-microsecond instants."""
        if end < start:
            return -self.elapsed_us(end, start)
        total = 0
        day, last = self._local_date_us(start) - _DAY, self._local_date_us(end)
        while day <= last:
            for open_at, close_at in self._day_spans_us(day):
                total += max(0, min(close_at, end) - max(open_at, start))
            day += _DAY
        return total

    def is_open(self, t: datetime) -> bool:
        """Return whether ``t`` falls inside an opening window."""
        u = _utc(t)
        day = self._local_date(u)
        spans = self._day_spans(day - _DAY) + self._day_spans(day)
        return any(open_at <= u < close_at for open_at, close_at in spans)

    def is_holiday(self, day: date) -> bool:
        """Return whether the local ``day`` is closed as a holiday."""
        if day in self._holidays:
            return True
        if self._country is None:
            return False
        year = self._country_years.get(day.year)
        if year is None:
            lib = holidays_lib.country_holidays(self._country, subdiv=self._subdiv, years=day.year)
            year = self._country_years[day.year] = frozenset(lib)
        return day in year

    def _local_date(self, t: datetime) -> date:
        return t.astimezone(self._zone).date()

    def _local_date_us(self, t: int) -> date:
        # zone offsets are whole seconds: the second holding `t` has its date
        return datetime.fromtimestamp(t // 1_000_000, self._zone).date()

    def _day_spans_us(self, day: date) -> tuple[SpanUs, ...]:
        cached = self._days_us.get(day)
        if cached is None:
            if len(self._days_us) >= _CACHE_DAYS:
                self._days_us.clear()
            spans = self._day_spans(day)
            cached = self._days_us[day] = tuple((to_us(a), to_us(b)) for a, b in spans)
        return cached

    def _spans_from(self, t: datetime) -> Iterator[Span]:
        # Start a day early: around a DST fold an instant may sit in the previous day's window.
        day, closed = self._local_date(t) - _DAY, 0
        while True:
            spans = self._day_spans(day)
            closed = 0 if spans else closed + 1
            if closed > _MAX_CLOSED_DAYS:
                raise ValueError(f"{self!r} has no open hours for {_MAX_CLOSED_DAYS} days")
            yield from spans
            day += _DAY

    def _day_spans(self, day: date) -> tuple[Span, ...]:
        """Return the day's opening windows as UTC instants (cached)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        spans: list[Span] = []
        if not self.is_holiday(day):
            floor: datetime | None = None
            for start, end in self._weekly[day.weekday()]:
                open_at = datetime.combine(day, start, self._zone).astimezone(UTC)
                end_day = day + _DAY if end == MIDNIGHT else day
                close_at = datetime.combine(end_day, end, self._zone).astimezone(UTC)
                if floor is not None:
                    open_at = max(open_at, floor)  # a DST gap can map two windows onto each other
                if close_at > open_at:
                    spans.append((open_at, close_at))
                    floor = close_at
        if len(self._days) >= _CACHE_DAYS:
            self._days.clear()
        result = self._days[day] = tuple(spans)
        return result
