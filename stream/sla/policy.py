"""SLA policies and clocks: which policy a ticket gets, when each target is due, and breaches.

Times are epoch seconds (floats); durations are business time on the policy's calendar.
Paused intervals (the ticket's status in ``pause_on``) stop the clock: the due instant moves
later by the business time spent paused, and while paused there is no due instant at all.

    >>> policy = match_policy(policies, priority="high", queue="billing", channel="email")
    >>> state = target_state(policy.calendar, "first_response", created, policy.first_response,
    ...                      pauses=[(pending_at, None)], met_at=None, now=now)
    >>> state.due_at is None, state.remaining_paused
    (True, 7200.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from stream.sla.calendars import TWENTY_FOUR_SEVEN, Calendar

__all__ = [
    "DEFAULT_PAUSE_ON",
    "TARGETS",
    "Pause",
    "SlaPolicy",
    "TargetState",
    "active_seconds",
    "breach_time",
    "clock",
    "match_policy",
    "target_state",
]

TARGETS = ("first_response", "next_response", "resolution")
DEFAULT_PAUSE_ON = frozenset({"pending", "on_hold"})

Pause = tuple[float, float | None]
"""A paused interval in epoch seconds; an end of None means still paused."""
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class SlaPolicy:
    """Targets for the tickets it matches; a None match field matches anything.

    >>> SlaPolicy("urgent", match_priority=frozenset({"urgent"}),
    ...           first_response=timedelta(minutes=30), resolution=timedelta(hours=4),
    ...           at_risk=timedelta(minutes=10))
    """

    name: str
    match_priority: frozenset[str] | None = None
    match_queue: frozenset[str] | None = None
    match_channel: frozenset[str] | None = None
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None
    at_risk: timedelta = timedelta(0)
    calendar: Calendar = TWENTY_FOUR_SEVEN
    pause_on: frozenset[str] = DEFAULT_PAUSE_ON
    frt_excludes_paused: bool = False

    def matches(self, priority: str, queue: str, channel: str) -> bool:
        """Return whether a ticket with these attributes falls under this policy."""
        return (
            (self.match_priority is None or priority in self.match_priority)
            and (self.match_queue is None or queue in self.match_queue)
            and (self.match_channel is None or channel in self.match_channel)
        )

    @cached_property
    def targets_us(self) -> tuple[tuple[str, int], ...]:
        """Return (name, duration in microseconds) of each target this policy sets."""
        set_ = ((name, self.target(name)) for name in TARGETS)
        return tuple((name, d // _US) for name, d in set_ if d is not None)

    def target(self, name: str) -> timedelta | None:
        """Return the duration of target ``name``, None if this policy does not set it."""
        if name not in TARGETS:
            raise ValueError(f"unknown SLA target {name!r}, expected one of {TARGETS}")
        duration: timedelta | None = getattr(self, name)
        return duration


def match_policy(
    policies: Iterable[SlaPolicy], priority: str, queue: str, channel: str
) -> SlaPolicy | None:
    """Return the first policy matching the ticket, None if none does."""
    return next((p for p in policies if p.matches(priority, queue, channel)), None)


@dataclass(frozen=True)
class TargetState:
    """One SLA target of one ticket as of an instant."""

    target: str
    started_at: float
    due_at: float | None
    remaining_paused: float | None
    met_at: float | None
    breached: bool

    @property
    def paused(self) -> bool:
        """Whether the clock is stopped (so nothing is due)."""
        return self.remaining_paused is not None

    def seconds_to_breach(self, now: float) -> float | None:
        """Return real seconds until due (negative once past), None if met or paused."""
        if self.met_at is not None or self.due_at is None:
            return None
        return self.due_at - now

    def at_risk(self, now: float, horizon: timedelta) -> bool:
        """Return whether the target is open, not breached and due within ``horizon``."""
        left = self.seconds_to_breach(now)
        return left is not None and not self.breached and left <= horizon.total_seconds()


def target_state(
    calendar: Calendar,
    target_name: str,
    start: float,
    duration: timedelta,
    pauses: Sequence[Pause],
    met_at: float | None,
    now: float,
) -> TargetState:
    """Return the target's state as of ``now``; events after ``now`` are not yet known."""
    if target_name not in TARGETS:
        raise ValueError(f"unknown SLA target {target_name!r}, expected one of {TARGETS}")
    if duration < timedelta(0):
        raise ValueError(f"negative SLA target {duration}")
    due, remaining, met, breached = clock(calendar, start, duration // _US, pauses, met_at, now)
    return TargetState(target_name, start, due, remaining, met, breached)


def clock(
    calendar: Calendar,
    start: float,
    duration_us: int,
    pauses: Sequence[Pause],
    met_at: float | None,
    now: float,
) -> tuple[float | None, float | None, float | None, bool]:
    """Return `target_state`'s (due_at, remaining_paused, met_at, breached), unchecked."""
    met = met_at if met_at is not None and met_at <= now else None
    # The clock stops when the target is met: later pauses cannot move the due instant.
    until = now if met is None else met
    if pauses:
        pauses = _clip(pauses, start, until)
    due, remaining = _walk(calendar, start, duration_us, pauses)
    return due, remaining, met, due is not None and due < until


def breach_time(
    calendar: Calendar,
    start: float,
    duration: timedelta,
    pauses: Sequence[Pause],
    met_at: float | None,
    now: float,
) -> float | None:
    """Return when the target breached, or will if nothing changes; None if it never does."""
    state = target_state(calendar, "resolution", start, duration, pauses, met_at, now)
    if state.met_at is not None and not state.breached:
        return None
    return state.due_at


def active_seconds(start: float, end: float, pauses: Sequence[Pause]) -> float:
    """Return real seconds in ``[start, end]`` outside the pauses (FRT excluding paused time)."""
    total = max(0.0, end - start)
    for pause_start, pause_end in _clip(pauses, start, end):
        stop = end if pause_end is None else pause_end
        total -= max(0.0, stop - pause_start)
    return total


def _clip(pauses: Sequence[Pause], start: float, until: float) -> list[Pause]:
    """Return the pauses seen by a clock running from ``start`` as of ``until``, merged.

    A pause that began after ``until`` is unknown yet; one still going at ``until`` is open.
    """
    merged: list[Pause] = []
    for pause_start, pause_end in sorted(pauses, key=lambda p: p[0]):
        if pause_start > until or (pause_end is not None and pause_end <= start):
            continue
        begin = max(pause_start, start)
        end = None if pause_end is None or pause_end > until else pause_end
        if end is not None and end <= begin:
            continue
        if merged:
            last_begin, last_end = merged[-1]
            if last_end is None:
                break  # already paused for good: later pauses are inside it
            if begin <= last_end:
                merged[-1] = (last_begin, None if end is None else max(end, last_end))
                continue
        merged.append((begin, end))
    return merged


def _walk(
    calendar: Calendar, start: float, duration: int, pauses: Sequence[Pause]
) -> tuple[float | None, float | None]:
    """Return (due instant, business seconds left if paused) running the clock between pauses.

    The walk is in whole microseconds (`duration` too), as it was over datetimes.
    """
    cursor, remaining = _us(start), duration
    for pause_start, pause_end in pauses:
        due = calendar.add_us(cursor, remaining)
        paused_at = _us(pause_start)
        if due <= paused_at:
            return due / 1_000_000, None  # due (or breached) before this pause began
        remaining -= calendar.elapsed_us(cursor, paused_at)
        if pause_end is None:
            return None, remaining / 1_000_000
        cursor = _us(pause_end)
    return calendar.add_us(cursor, remaining) / 1_000_000, None


def _us(t: float) -> int:
    """Return epoch seconds `t` in whole microseconds, rounded as `datetime.fromtimestamp`."""
    frac, whole = math.modf(t)
    return int(whole) * 1_000_000 + round(frac * 1e6)  # half to even, as CPython rounds
