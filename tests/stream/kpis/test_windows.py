"""Rolling windows: slide and expiry, `today` across midnight and DST, time spans."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from stream.kpis.windows import Acc, SlidingWindow, TodayWindow

PARIS = ZoneInfo("Europe/Paris")
ONE = Acc.of({("n",): 1.0})


def paris(day: int, hour: int, minute: int = 0, month: int = 3) -> float:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS).timestamp()


def test_sliding_window_slides_and_expires() -> None:
    w = SlidingWindow(900.0)  # buckets of 15 s
    for at in (0.0, 100.0, 880.0):
        assert w.add(at, ONE, 1)
    w.advance(900.0)
    assert w.total.count("n") == 3  # the bucket [0, 15) ends at the horizon 0+15 > 0
    w.advance(915.0)
    assert w.total.count("n") == 2  # [0, 15) has ended at the horizon 15
    assert not w.add(10.0, ONE, 1)  # a fact for an expired bucket is refused
    assert w.add(880.0, ONE, -1)  # retraction
    w.advance(1800.0)
    assert w.total.count("n") == 0
    assert w.buckets == {}


def test_sliding_span_splits_per_bucket_and_skips_expired() -> None:
    w = SlidingWindow(60.0)  # buckets of 1 s
    w.advance(100.0)  # live from 40
    w.add_span(30.0, 45.5, ("busy",), 1)
    assert w.total.count("busy") == pytest.approx(5.5)
    assert w.buckets[45].count("busy") == pytest.approx(0.5)
    w.add_span(30.0, 45.5, ("busy",), -1)
    assert w.total.counts == {}


TODAY = [
    # (id, facts at, now, count today)
    ("same day", [paris(10, 0, 1), paris(10, 23, 59)], paris(10, 23, 59), 2),
    ("midnight starts a new day", [paris(10, 23, 59)], paris(11, 0, 0), 0),
    ("spring-forward day (23 h)", [paris(29, 0, 30), paris(29, 23, 30)], paris(29, 23, 45), 2),
    ("after spring-forward midnight", [paris(29, 23, 30)], paris(30, 0, 15), 0),
    (
        "fall-back day (25 h)",
        [paris(25, 0, 30, 10), paris(25, 23, 30, 10)],
        paris(25, 23, 45, 10),
        2,
    ),
]


@pytest.mark.parametrize(
    ("facts", "now", "count"), [pytest.param(f, n, c, id=i) for i, f, n, c in TODAY]
)
def test_today_window(facts: list[float], now: float, count: int) -> None:
    w = TodayWindow("Europe/Paris")
    for at in facts:
        w.add(at, ONE, 1)
    w.advance(now)
    assert w.total.count("n") == count


def test_today_start_is_local_midnight_across_dst() -> None:
    w = TodayWindow("Europe/Paris")
    w.advance(paris(29, 12))  # 2026-03-29: clocks go 02:00 → 03:00
    assert w.start() == paris(29, 0)
    assert paris(29, 12) - w.start() == 11 * 3600  # 12 wall hours, 11 real


def test_today_span_splits_at_local_midnight() -> None:
    w = TodayWindow("Europe/Paris")
    w.add_span(paris(29, 23), paris(30, 1), ("busy",), 1)
    w.advance(paris(30, 2))
    assert w.total.count("busy") == 3600.0
    assert not w.add(paris(29, 23), ONE, 1)  # yesterday is gone


@pytest.mark.parametrize(
    "tz",
    # DST at 02:00, DST ending at midnight (back into yesterday), a 30-min DST, a zone that
    # skipped a whole day (2011-12-30), a fixed offset
    ["Europe/Paris", "America/Havana", "Asia/Beirut", "Australia/Lord_Howe", "Pacific/Apia", "UTC"],
)
def test_today_window_local_day_is_the_time_zone_s_at_every_instant(tz: str) -> None:
    """The remembered day is `datetime.fromtimestamp`'s, at midnights and DST changes too."""
    w, zone = TodayWindow(tz), ZoneInfo(tz)
    start = datetime(2011, 1, 1, tzinfo=zone).timestamp()
    probes: list[float] = []
    at = start
    while at < start + 2 * 366 * 86400:
        probes.append(at)
        at += 997.0
    for day in range(0, 2 * 366):  # around each local midnight, to the microsecond and below
        m = datetime.fromordinal(datetime.fromtimestamp(start, zone).toordinal() + day)
        mid = m.replace(tzinfo=zone).timestamp()
        probes += [
            mid + d for d in (-1.0, -1e-6, -6e-7, -5e-7, -4e-7, -1e-7, 0.0, 1e-7, 5e-7, 1e-6)
        ]
    shuffled = probes[:]
    random.Random(7).shuffle(shuffled)  # from any remembered day, too
    for at in [*probes, *shuffled]:
        assert w._day(at) == datetime.fromtimestamp(at, zone).toordinal(), (tz, at)
