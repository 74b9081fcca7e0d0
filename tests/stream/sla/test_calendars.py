"""Business-hours and 24x7 calendars: hand-computed tables (2026, Europe/Paris)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from stream.sla.calendars import TWENTY_FOUR_SEVEN, BusinessHours, parse_hours

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
OFFICE = {"mon-fri": "08:00-18:00"}


def paris(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def office(**kwargs: object) -> BusinessHours:
    return BusinessHours.from_config("Europe/Paris", OFFICE, **kwargs)  # type: ignore[arg-type]


# 2026: Jan 9 is a Friday; DST starts Sun Mar 29 and ends Sun Oct 25; Dec 25 is a Friday.
ADD_CASES = [
    ("Fri 17:30 + 8h is Monday 15:30", paris(1, 9, 17, 30), 8 * H, paris(1, 12, 15, 30)),
    ("ends exactly at closing time", paris(1, 9, 10), 8 * H, paris(1, 9, 18)),
    ("starts before opening", paris(1, 5, 6), H, paris(1, 5, 9)),
    ("starts on a weekend", paris(1, 10, 12), H, paris(1, 12, 9)),
    ("zero duration is the start", paris(1, 10, 12), timedelta(0), paris(1, 10, 12)),
    ("50h is one full week", paris(1, 5, 8), 50 * H, paris(1, 9, 18)),
    ("minutes inside a window", paris(1, 6, 9, 15), timedelta(minutes=45), paris(1, 6, 10)),
    ("DST start weekend: Mon 11:00 CEST", paris(3, 27, 17), 4 * H, paris(3, 30, 11)),
    ("DST end weekend: Mon 16:00 CET", paris(10, 23, 16), 10 * H, paris(10, 26, 16)),
    ("holiday Fri Dec 25 is skipped", paris(12, 24, 16), 4 * H, paris(12, 28, 10)),
    ("start on the holiday", paris(12, 25, 10), H, paris(12, 28, 9)),
]


@pytest.mark.parametrize(
    ("start", "duration", "due"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES]
)
def test_business_hours_add(start: datetime, duration: timedelta, due: datetime) -> None:
    cal = office(holidays=[date(2026, 12, 25)])
    got = cal.add(start, duration)
    assert got == due
    assert got.utcoffset() == due.utcoffset()  # returned in the start's timezone, local offset
    assert cal.elapsed(start, got) == duration


def test_repeated_add_answers_the_same_in_each_start_timezone() -> None:
    cal = office()
    start = paris(1, 9, 17, 30)
    first = cal.add(start, 8 * H)
    again = cal.add(start.astimezone(UTC), 8 * H)  # the same instant, asked in UTC
    assert first == again == paris(1, 12, 15, 30)
    assert (first.tzinfo, again.tzinfo) == (PARIS, UTC)
    assert cal.add(start, 8 * H) == first
    assert cal.add(start, 9 * H) == paris(1, 12, 16, 30)  # another duration, another answer


def test_dst_windows_stay_local_and_real_time_differs() -> None:
    cal = office()
    # Fri 17:00 CET -> Mon 11:00 CEST: 4 business hours, 65 real hours (wall clock says 66).
    due = cal.add(paris(3, 27, 17), 4 * H)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert due - paris(3, 27, 17) != due.astimezone(UTC) - paris(3, 27, 17).astimezone(UTC)
    assert cal.elapsed(paris(3, 30, 8), paris(3, 30, 18)) == 10 * H
    assert cal.elapsed(paris(10, 26, 8), paris(10, 26, 18)) == 10 * H


@pytest.mark.parametrize(
    ("day", "real"),
    [(date(2026, 3, 22), 6 * H), (date(2026, 3, 29), 5 * H), (date(2026, 10, 25), 7 * H)],
    ids=["ordinary Sunday", "clocks forward inside window", "clocks back inside window"],
)
def test_window_containing_dst_change_counts_real_time(day: date, real: timedelta) -> None:
    cal = BusinessHours.from_config("Europe/Paris", {"sun": "00:00-06:00"})
    start = datetime.combine(day, time(0), PARIS)
    end = datetime.combine(day, time(6), PARIS)
    assert cal.elapsed(start, end) == real
    assert cal.add(start, real) == end


@pytest.mark.parametrize(
    ("start", "wall_end", "real"),
    [(paris(3, 28, 12), paris(3, 29, 12), 23 * H), (paris(10, 24, 12), paris(10, 25, 12), 25 * H)],
    ids=["spring", "autumn"],
)
def test_twenty_four_seven_is_exact_in_real_seconds(
    start: datetime, wall_end: datetime, real: timedelta
) -> None:
    assert TWENTY_FOUR_SEVEN.elapsed(start, wall_end) == real
    due = TWENTY_FOUR_SEVEN.add(start, 24 * H)
    assert (due.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 24 * 3600
    assert due == wall_end + (24 * H - real)
    assert TWENTY_FOUR_SEVEN.is_open(start)


ELAPSED_CASES = [
    ("Fri 17:30 to Mon 15:30", paris(1, 9, 17, 30), paris(1, 12, 15, 30), 8 * H),
    ("same instant", paris(1, 6, 9), paris(1, 6, 9), timedelta(0)),
    ("reversed is negative", paris(1, 12, 15, 30), paris(1, 9, 17, 30), -8 * H),
    ("weekend only", paris(1, 10, 0), paris(1, 12, 0), timedelta(0)),
    ("one full week", paris(1, 5, 0), paris(1, 12, 0), 50 * H),
    ("night inside a week", paris(1, 6, 17), paris(1, 7, 9), 2 * H),
    ("across the Dec 25 holiday", paris(12, 24, 12), paris(12, 28, 12), 10 * H),
    ("across DST start", paris(3, 27, 17), paris(3, 30, 11), 4 * H),
    # 06:00Z-09:00Z is 07:00-10:00 in Paris (CET): two business hours
    ("UTC inputs", datetime(2026, 1, 6, 6, tzinfo=UTC), datetime(2026, 1, 6, 9, tzinfo=UTC), 2 * H),
]


@pytest.mark.parametrize(
    ("start", "end", "expected"), [c[1:] for c in ELAPSED_CASES], ids=[c[0] for c in ELAPSED_CASES]
)
def test_business_hours_elapsed(start: datetime, end: datetime, expected: timedelta) -> None:
    assert office(holidays=[date(2026, 12, 25)]).elapsed(start, end) == expected


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (paris(1, 5, 8), True),
        (paris(1, 5, 7, 59), False),
        (paris(1, 5, 18), False),  # windows are end-exclusive
        (paris(1, 10, 10), False),  # Saturday
        (paris(12, 25, 10), False),  # holiday
        (datetime(2026, 1, 5, 16, 59, tzinfo=UTC), True),  # 17:59 Paris
    ],
)
def test_business_hours_is_open(t: datetime, expected: bool) -> None:
    assert office(holidays=[date(2026, 12, 25)]).is_open(t) is expected


def test_split_windows() -> None:
    cal = BusinessHours.from_config("Europe/Paris", {"sat": "09:00-12:00,13:00-15:00"})
    assert cal.add(paris(1, 10, 11), 2 * H) == paris(1, 10, 14)
    assert cal.elapsed(paris(1, 10, 0), paris(1, 11, 0)) == 5 * H
    assert not cal.is_open(paris(1, 10, 12, 30))


def test_country_holidays_merge_with_explicit_dates() -> None:
    # Fri May 1 2026 is Labour Day in France; Mon May 4 is an explicit company holiday.
    assert office(country="FR").add(paris(4, 30, 17), 2 * H) == paris(5, 4, 9)
    merged = office(country="FR", holidays=[date(2026, 5, 4)])
    assert merged.add(paris(4, 30, 17), 2 * H) == paris(5, 5, 9)
    assert merged.is_holiday(date(2026, 5, 1)) and merged.is_holiday(date(2026, 5, 4))
    assert not office().is_holiday(date(2026, 5, 1))


def test_calendar_that_never_reopens_is_bounded() -> None:
    closed = [date(2026, 1, 1) + timedelta(days=i) for i in range(500)]
    with pytest.raises(ValueError, match="no open hours for 400 days"):
        office(holidays=closed).add(paris(1, 1, 9), H)


PARSE_GOOD = [
    ({"mon-fri": "08:00-18:00"}, {d: ((time(8), time(18)),) for d in range(5)}),
    (
        {"sat": "13:00-15:00, 09:00-12:00"},
        {5: ((time(9), time(12)), (time(13), time(15)))},
    ),
    ({"Mon,WED": " 8:30 - 12:00 "}, {0: ((time(8, 30), time(12)),), 2: ((time(8, 30), time(12)),)}),
    ({"fri-mon": "00:00-24:00"}, {d: ((time(0), time(0)),) for d in (4, 5, 6, 0)}),
    (
        {"monday-tuesday": "08:00-18:00", "sun": "closed"},
        {0: ((time(8), time(18)),), 1: ((time(8), time(18)),), 6: ()},
    ),
]


@pytest.mark.parametrize(("hours", "weekly"), PARSE_GOOD)
def test_parse_hours_good(hours: dict[str, str], weekly: dict[int, object]) -> None:
    assert parse_hours(hours) == weekly


PARSE_BAD = [
    ({"mon-fri": "8-18"}, r"hours\['mon-fri'\]: bad time '8', expected HH:MM"),
    ({"funday": "08:00-18:00"}, r"hours\['funday'\]: unknown day 'funday'"),
    ({"mon": "18:00-08:00"}, r"hours\['mon'\]: window 18:00-08:00 ends before it starts"),
    ({"mon": "08:00-12:00,11:00-13:00"}, r"hours\['mon'\]: window starting 11:00 overlaps"),
    ({"mon-fri": "08:00-18:00", "fri": "09:00-12:00"}, r"fri is already set by hours\['mon-fri'\]"),
    ({"mon": "25:00-26:00"}, r"time '25:00' out of range 00:00-23:59"),
    ({"mon": "24:00-24:00"}, r"time '24:00' out of range 00:00-23:59"),
    ({"mon": "08:00"}, r"bad range '08:00', expected HH:MM-HH:MM"),
    ({"mon,mon": "08:00-09:00"}, r"hours\['mon,mon'\]: a day is listed twice"),
    ({"mon": 8}, r"hours\['mon'\]: expected a string"),
]


@pytest.mark.parametrize(("hours", "message"), PARSE_BAD)
def test_parse_hours_bad(hours: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(hours)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekly": {}}, "calendar has no open hours in the week"),
        ({"weekly": {0: []}}, "calendar has no open hours in the week"),
        ({"weekly": {7: [(time(8), time(9))]}}, "weekday must be an int 0"),
        ({"tz": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
        ({"country": "XX"}, "unknown holiday country/subdivision"),
        ({"subdiv": "75"}, "subdivision '75' given without a country"),
        ({"weekly": {0: [(time(8, 0, 30), time(9))]}}, "whole minutes"),
    ],
)
def test_business_hours_rejects_bad_construction(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"tz": "Europe/Paris", "weekly": {0: [(time(8), time(18))]}}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        BusinessHours(**args)  # type: ignore[arg-type]


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        office().add(datetime(2026, 1, 5, 9), H)
    with pytest.raises(ValueError, match="naive datetime"):
        TWENTY_FOUR_SEVEN.elapsed(datetime(2026, 1, 5, 9), paris(1, 5, 9))
    with pytest.raises(ValueError, match="negative duration"):
        office().add(paris(1, 5, 9), -H)
