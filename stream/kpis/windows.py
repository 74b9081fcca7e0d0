"""Rolling windows over event time, with totals kept incrementally.

A window of span W keeps buckets of W/60 (at least 1 s) and a running total:
at `now` it holds the buckets whose end is after now − W (so up to one bucket
more than W, never less);
adding, retracting and expiring a bucket each adjust the total, so reading a
window costs nothing. `today` keeps one bucket per local calendar day.

    w = SlidingWindow(900.0)
    w.add(at=100.0, acc=Acc.of({("ans",): 1.0}), sign=1)
    w.advance(now=1200.0)     # buckets older than now - 900 s leave the total
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from stream.kpis.sketch import Sketch

Key = tuple[str, ...]
BUCKETS_PER_WINDOW = 60


class Acc:
    """Counters and sketches keyed by (name, *dims); merges with a sign."""

    __slots__ = ("counts", "sketches")

    def __init__(self) -> None:
        self.counts: dict[Key, float] = {}
        self.sketches: dict[Key, Sketch] = {}

    @classmethod
    def of(cls, counts: dict[Key, float], points: Iterable[tuple[Key, float]] = ()) -> Acc:
        """Build an accumulator from counts and sketch points."""
        acc = cls()
        acc.counts = dict(counts)
        for key, value in points:
            acc.sketches.setdefault(key, Sketch()).add(value)
        return acc

    def merge(self, other: Acc, sign: int) -> None:
        """Add `other` into self (sign=-1 subtracts it)."""
        counts = self.counts
        for key, n in other.counts.items():
            m = counts.get(key, 0.0) + sign * n
            if abs(m) > 1e-9:
                counts[key] = m
            else:
                counts.pop(key, None)
        if not other.sketches:
            return
        for key, sk in other.sketches.items():
            mine = self.sketches.get(key)
            if mine is None:
                mine = self.sketches[key] = Sketch()
            mine.merge(sk, sign)
            if mine.count == 0:
                del self.sketches[key]

    def count(self, *key: str) -> float:
        """Return a counter (0 when absent)."""
        return self.counts.get(key, 0.0)


class SlidingWindow:
    """The last `span` seconds of event time, in buckets of span/60."""

    __slots__ = ("buckets", "horizon", "res", "span", "total")

    def __init__(self, span: float) -> None:
        self.span = span
        self.res = max(1.0, span / BUCKETS_PER_WINDOW)
        self.buckets: dict[int, Acc] = {}
        self.total = Acc()
        self.horizon = float("-inf")  # buckets ending at or before this have expired

    def _live(self, idx: int) -> bool:
        return (idx + 1) * self.res > self.horizon

    def holds(self, at: float) -> bool:
        """Return whether the bucket of event time `at` is still live (not expired)."""
        return self._live(int(at // self.res))

    def add(self, at: float, acc: Acc, sign: int) -> bool:
        """Add (or retract) an observation at event time `at`; False if already expired."""
        idx = int(at // self.res)
        if not self._live(idx):
            return False
        bucket = self.buckets.get(idx)
        if bucket is None:
            bucket = self.buckets[idx] = Acc()
        bucket.merge(acc, sign)
        self.total.merge(acc, sign)
        return True

    def add_span(self, start: float, end: float, key: Key, sign: int) -> None:
        """Add (or retract) the seconds of `[start, end)` to `key`, split per bucket."""
        idx = int(max(start, self.start()) // self.res)  # expired buckets take nothing
        while idx * self.res < end:
            lo, hi = max(start, idx * self.res), min(end, (idx + 1) * self.res)
            if hi > lo and self._live(idx):
                self.add(lo, Acc.of({key: hi - lo}), sign)
            idx += 1

    def start(self) -> float:
        """Return where the live buckets begin (-inf before the first advance)."""
        if self.horizon == float("-inf"):
            return self.horizon
        return int(self.horizon // self.res) * self.res

    def advance(self, now: float) -> None:
        """Expire the buckets that ended before now - span."""
        horizon = now - self.span
        if horizon <= self.horizon:
            return
        self.horizon = horizon
        for idx in [i for i in self.buckets if not self._live(i)]:
            self.total.merge(self.buckets.pop(idx), -1)


class TodayWindow:
    """Since local midnight in `tz` (DST-correct: the local date decides)."""

    __slots__ = ("_day_of", "_from", "_until", "buckets", "today", "tz")

    def __init__(self, tz: str) -> None:
        self.tz = ZoneInfo(tz)
        self.buckets: dict[int, Acc] = {}
        self.today = -1
        # the last local day looked up, while it holds: [_from, _until) → _day_of
        self._from, self._until, self._day_of = 0.0, 0.0, -1

    def _day(self, at: float) -> int:
        """Return the ordinal of the local date of `at`, as `datetime.fromtimestamp` gives it.

        A day of 24 h with one UTC offset throughout is remembered: an instant inside it,
        more than a microsecond from either end (fromtimestamp rounds to microseconds),
        is that day without asking the time zone. A DST day is always asked.
        """
        if self._from <= at < self._until:
            return self._day_of
        local = datetime.fromtimestamp(at, self.tz)
        day = local.toordinal()
        start, end = self._midnight(day), self._midnight(day + 1)
        if end - start == 86400.0 and start <= at < end:
            offset = datetime.fromtimestamp(start, self.tz).utcoffset()
            if offset == datetime.fromtimestamp(end - 1.0, self.tz).utcoffset():
                self._from, self._until, self._day_of = start + 1e-6, end - 1e-6, day
        return day

    def holds(self, at: float) -> bool:
        """Return whether the local day of `at` has not passed yet."""
        return self._day(at) >= self.today

    def add(self, at: float, acc: Acc, sign: int) -> bool:
        """Add (or retract) an observation; False if its day has passed."""
        day = self._day(at)
        if day < self.today:
            return False
        bucket = self.buckets.get(day)
        if bucket is None:
            bucket = self.buckets[day] = Acc()
        bucket.merge(acc, sign)
        return True

    def _midnight(self, day: int) -> float:
        return datetime.combine(date.fromordinal(day), time(), self.tz).timestamp()

    def add_span(self, start: float, end: float, key: Key, sign: int) -> None:
        """Add (or retract) the seconds of `[start, end)` to `key`, split at local midnights."""
        while start < end:
            stop = min(end, self._midnight(self._day(start) + 1))
            self.add(start, Acc.of({key: stop - start}), sign)
            start = stop

    def start(self) -> float:
        """Return the current local day's midnight (-inf before the first advance)."""
        return self._midnight(self.today) if self.today > 0 else float("-inf")

    def advance(self, now: float) -> None:
        """Move to the local day of `now`, dropping earlier days."""
        day = self._day(now)
        if day <= self.today:
            return
        self.today = day
        for d in [d for d in self.buckets if d < day]:
            del self.buckets[d]

    @property
    def total(self) -> Acc:
        """Return the accumulator of the current local day."""
        return self.buckets.get(self.today) or Acc()


RollingWindow = SlidingWindow | TodayWindow
"""A window object of one queue: the last N seconds, or since local midnight."""
