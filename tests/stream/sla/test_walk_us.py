"""The SLA walk in whole microseconds against the datetime walk it replaced (the oracle)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream.sla.calendars import TWENTY_FOUR_SEVEN, BusinessHours, Calendar, to_us
from stream.sla.policy import Pause, _clip, _us, _walk

CALENDARS: list[Calendar] = [
    TWENTY_FOUR_SEVEN,
    BusinessHours.from_config("Europe/Paris", {"mon-fri": "08:00-18:00"}, [date(2026, 4, 6)]),
    BusinessHours.from_config("America/New_York", {"mon-sat": "00:30-02:30,23:00-24:00"}),
    BusinessHours.from_config("Asia/Kolkata", {"tue": "09:15-09:16"}),
]
# around the 2026 DST changes of Paris (Mar 29, Oct 25) and New York (Mar 8, Nov 1)
T0 = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
T1 = datetime(2026, 11, 15, tzinfo=UTC).timestamp()
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

instants = st.one_of(
    st.floats(T0, T1, allow_nan=False),
    st.integers(int(T0), int(T1)).map(float),
    st.integers(int(T0) * 1000, int(T1) * 1000).map(lambda ms: ms / 1000),
)


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def walk_datetime(
    calendar: Calendar, start: float, duration: timedelta, pauses: Sequence[Pause]
) -> tuple[float | None, float | None]:
    """The walk over datetimes, as it was before 2026-12-01."""
    cursor, remaining = _dt(start), duration
    for pause_start, pause_end in pauses:
        due = calendar.add(cursor, remaining)
        paused_at = _dt(pause_start)
        if due <= paused_at:
            return due.timestamp(), None
        remaining -= calendar.elapsed(cursor, paused_at)
        if pause_end is None:
            return None, remaining.total_seconds()
        cursor = _dt(pause_end)
    return calendar.add(cursor, remaining).timestamp(), None


@PROPERTY
@given(instants)
def test_microseconds_round_as_fromtimestamp(t: float) -> None:
    assert _us(t) == to_us(_dt(t))
    assert _us(t) / 1_000_000 == _dt(t).timestamp()


@PROPERTY
@given(
    st.sampled_from(CALENDARS),
    instants,
    st.integers(0, 30 * 86400 * 10**6),
    st.lists(st.tuples(instants, st.one_of(st.none(), st.floats(0, 9 * 86400))), max_size=5),
    instants,
)
def test_walk_in_microseconds_is_the_datetime_walk(
    calendar: Calendar,
    start: float,
    duration_us: int,
    raw: list[tuple[float, float | None]],
    until: float,
) -> None:
    pauses = _clip([(a, None if d is None else a + d) for a, d in raw], start, until)
    duration = timedelta(microseconds=duration_us)
    assert _walk(calendar, start, duration_us, pauses) == walk_datetime(
        calendar, start, duration, pauses
    )


@PROPERTY
@given(st.sampled_from(CALENDARS), instants, instants, st.integers(0, 20 * 86400 * 10**6))
def test_calendar_microseconds_match_datetimes(
    calendar: Calendar, a: float, b: float, duration_us: int
) -> None:
    duration = timedelta(microseconds=duration_us)
    assert calendar.add_us(_us(a), duration_us) == to_us(calendar.add(_dt(a), duration))
    assert calendar.elapsed_us(_us(a), _us(b)) == calendar.elapsed(_dt(a), _dt(b)) // timedelta(
        microseconds=1
    )
