"""SLA clocks and policy matching: hand-computed tables (Mon 2026-01-05, Europe/Paris)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stream.sla.calendars import TWENTY_FOUR_SEVEN, BusinessHours, Calendar
from stream.sla.policy import (
    Pause,
    SlaPolicy,
    TargetState,
    active_seconds,
    breach_time,
    match_policy,
    target_state,
)

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
OFFICE = BusinessHours.from_config("Europe/Paris", {"mon-fri": "08:00-18:00"})
CALENDARS = [pytest.param(OFFICE, id="business"), pytest.param(TWENTY_FOUR_SEVEN, id="24x7")]


def at(hour: int, minute: int = 0, day: int = 5) -> float:
    """Epoch seconds of 2026-01-<day> <hour>:<minute> Paris time (Jan 5 is a Monday)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=PARIS).timestamp()


def state(
    calendar: Calendar,
    pauses: list[Pause],
    now: float,
    met_at: float | None = None,
    duration: timedelta = 4 * H,
) -> TargetState:
    return target_state(calendar, "first_response", at(9), duration, pauses, met_at, now)


@pytest.mark.parametrize("calendar", CALENDARS)
def test_pending_pause_moves_due(calendar: Calendar) -> None:
    # created 09:00, pending 10:00-12:00, 4h target: 1h + (paused) + 3h -> due 15:00
    got = state(calendar, [(at(10), at(12))], now=at(12, 30))
    assert got == TargetState("first_response", at(9), at(15), None, None, breached=False)


@pytest.mark.parametrize("calendar", CALENDARS)
def test_still_paused_has_no_due_and_frozen_remaining(calendar: Calendar) -> None:
    for now in (at(11), at(17), at(23)):
        got = state(calendar, [(at(10), None)], now=now)
        assert (got.due_at, got.remaining_paused, got.breached) == (None, 3 * 3600, False)
        assert got.paused
        assert got.seconds_to_breach(now) is None
        assert breach_time(calendar, at(9), 4 * H, [(at(10), None)], None, now) is None


CLOCK_CASES = [
    # (id, pauses, now, met_at, due, remaining_paused, met, breached)
    ("running, not yet due", [], at(10), None, at(13), None, None, False),
    ("running, past due", [], at(13, 1), None, at(13), None, None, True),
    ("exactly at due is not breached", [], at(13), None, at(13), None, None, False),
    ("met in time", [], at(14), at(12), at(13), None, at(12), False),
    ("met late", [], at(14), at(13, 30), at(13), None, at(13, 30), True),
    ("met after now is not known yet", [], at(10), at(12), at(13), None, None, False),
    ("pause end after now: still paused", [(at(10), at(12))], at(11), None, None, 3 * 3600.0,
     None, False),
    ("pause starting after now is unknown", [(at(11), at(12))], at(10), None, at(13), None,
     None, False),
    ("pause after the breach keeps it", [(at(14), None)], at(15), None, at(13), None, None, True),
    ("overlapping pauses merge", [(at(10, 30), at(12)), (at(10), at(11))], at(16), None,
     at(15), None, None, True),
    ("pause before start is ignored", [(at(7), at(8, 30))], at(10), None, at(13), None, None,
     False),
    ("pause straddling start", [(at(8), at(10))], at(10), None, at(14), None, None, False),
    ("met while paused: no due", [(at(10), None)], at(16), at(11), None, 3 * 3600.0, at(11),
     False),
    ("pause after met is irrelevant", [(at(12), None)], at(16), at(11), at(13), None, at(11),
     False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pauses", "now", "met_at", "due", "remaining", "met", "breached"),
    [c[1:] for c in CLOCK_CASES],
    ids=[c[0] for c in CLOCK_CASES],
)
@pytest.mark.parametrize("calendar", CALENDARS)
def test_clock_table(
    calendar: Calendar,
    pauses: list[Pause],
    now: float,
    met_at: float | None,
    due: float | None,
    remaining: float | None,
    met: float | None,
    breached: bool,
) -> None:
    # Every case stays inside Monday 08:00-18:00, so both calendars agree.
    got = state(calendar, pauses, now, met_at)
    assert (got.due_at, got.remaining_paused, got.met_at, got.breached) == (
        due,
        remaining,
        met,
        breached,
    )


def test_business_hours_pause_over_the_weekend() -> None:
    # created Fri 17:00, 2h target, pending Fri 17:30 -> Mon 09:00: 30m + 1h30 -> Mon 10:30
    start, pauses = at(17, day=9), [(at(17, 30, day=9), at(9, day=12))]
    got = target_state(OFFICE, "resolution", start, 2 * H, pauses, None, at(9, day=12))
    assert got.due_at == at(10, 30, day=12)
    unpaused = target_state(OFFICE, "resolution", start, 2 * H, [], None, at(9, day=12))
    assert unpaused.due_at == at(9, day=12)
    pending = [(at(17, 30, day=9), None)]
    still = target_state(OFFICE, "resolution", start, 2 * H, pending, None, at(12, day=10))
    assert still.remaining_paused == 1.5 * 3600


def test_friday_evening_ticket_due_monday_afternoon() -> None:
    got = target_state(OFFICE, "first_response", at(17, 30, day=9), 8 * H, [], None, at(18, day=9))
    assert got.due_at == at(15, 30, day=12)
    assert not got.breached


@pytest.mark.parametrize(
    ("met_at", "now", "expected"),
    [
        (None, at(10), at(13)),
        (None, at(14), at(13)),
        (at(12), at(14), None),
        (at(14), at(15), at(13)),
    ],
    ids=["will breach", "breached", "met in time", "met late"],
)
def test_breach_time(met_at: float | None, now: float, expected: float | None) -> None:
    assert breach_time(OFFICE, at(9), 4 * H, [], met_at, now) == expected


@pytest.mark.parametrize(
    ("now", "horizon", "seconds", "at_risk"),
    [
        (at(12), H, 3600.0, True),
        (at(11), H, 7200.0, False),
        (at(13, 30), H, -1800.0, False),  # breached is not "at risk"
    ],
)
def test_seconds_to_breach_and_at_risk(
    now: float, horizon: timedelta, seconds: float, at_risk: bool
) -> None:
    got = state(OFFICE, [], now)
    assert got.seconds_to_breach(now) == seconds
    assert got.at_risk(now, horizon) is at_risk


def test_target_state_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown SLA target 'ttr'"):
        target_state(OFFICE, "ttr", at(9), H, [], None, at(10))
    with pytest.raises(ValueError, match="negative SLA target"):
        target_state(OFFICE, "resolution", at(9), -H, [], None, at(10))


@pytest.mark.parametrize(
    ("pauses", "expected_hours"),
    [([], 4), ([(at(10), at(12))], 2), ([(at(10), at(11)), (at(12, 30), None)], 2.5)],
)
def test_active_seconds_excludes_paused_real_time(
    pauses: list[Pause], expected_hours: float
) -> None:
    assert active_seconds(at(9), at(13), pauses) == expected_hours * 3600


URGENT = SlaPolicy("urgent", match_priority=frozenset({"urgent"}), first_response=H / 2)
BILLING_CHAT = SlaPolicy(
    "billing-chat", match_queue=frozenset({"billing"}), match_channel=frozenset({"chat"})
)
DEFAULT = SlaPolicy("default", first_response=8 * H, resolution=72 * H, calendar=OFFICE)


@pytest.mark.parametrize(
    ("policies", "ticket", "expected"),
    [
        ([URGENT, BILLING_CHAT, DEFAULT], ("urgent", "billing", "chat"), "urgent"),
        ([BILLING_CHAT, URGENT, DEFAULT], ("urgent", "billing", "chat"), "billing-chat"),
        ([URGENT, BILLING_CHAT, DEFAULT], ("normal", "billing", "chat"), "billing-chat"),
        ([URGENT, BILLING_CHAT, DEFAULT], ("normal", "billing", "email"), "default"),
        ([URGENT, BILLING_CHAT], ("low", "support", "email"), None),
        ([], ("low", "support", "email"), None),
    ],
)
def test_match_policy_first_match_wins(
    policies: list[SlaPolicy], ticket: tuple[str, str, str], expected: str | None
) -> None:
    got = match_policy(policies, *ticket)
    assert (got.name if got else None) == expected


def test_policy_defaults_and_targets() -> None:
    assert DEFAULT.pause_on == frozenset({"pending", "on_hold"})
    assert URGENT.calendar is TWENTY_FOUR_SEVEN
    assert DEFAULT.target("first_response") == 8 * H
    assert DEFAULT.target("next_response") is None
    with pytest.raises(ValueError, match="unknown SLA target"):
        DEFAULT.target("ttr")
