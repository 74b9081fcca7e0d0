"""A ticket's SLA targets: clocks for the gauges, conclusions for compliance.

Each target runs in cycles: `first_response` and `resolution` have one (from
`ticket.created`), `next_response` one per oldest unanswered customer reply
after the first agent reply. A cycle concludes when it is met (the fact is at
the met instant) or when it breaches (the fact is at the due instant, which may
still be in the future: stage 2 holds such a fact until its clock gets there).

    views, facts = sla_of(ticket_facts, policy, now=log.last_ts)
    facts   # [("sla:first_response", met_at, 1.0), ("sla:resolution", due_at, 0.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stream.entities.views import Fact, SlaView
from stream.sla.policy import Pause, SlaPolicy, clock

CLOSED = frozenset({"solved", "closed"})
SLA_FACT = "sla:"  # fact name prefix; value 1.0 = met, 0.0 = breached


@dataclass(frozen=True, slots=True)
class SlaInput:
    """What the SLA clocks need of a ticket (times are epoch seconds)."""

    created: float
    history: Sequence[tuple[float, str]]  # (at, status), "new" at created first
    replies: Sequence[tuple[float, str, str]]  # (at, author, status at that time), public only
    solved: float | None  # when it last became solved/closed, None while open


def pauses(history: Sequence[tuple[float, str]], pause_on: frozenset[str]) -> list[Pause]:
    """Return the intervals the status history spent in `pause_on`."""
    out: list[Pause] = []
    start: float | None = None
    for ts, status in history:
        if status in pause_on and start is None:
            start = ts
        elif status not in pause_on and start is not None:
            out.append((start, ts))
            start = None
    if start is not None:
        out.append((start, None))
    return out


def _first_agent_reply(t: SlaInput) -> float | None:
    for ts, author, _ in t.replies:
        if author == "agent":
            return ts
    return None


def next_response_cycles(t: SlaInput) -> list[tuple[float, float | None]]:
    """Return (oldest unanswered customer reply, answered at or None) cycles.

    Cycles start only after the first agent reply (before it, first_response
    covers the wait) and never on a closed ticket; solving a ticket answers an
    open cycle.
    """
    cycles: list[tuple[float, float | None]] = []
    start: float | None = None
    replied = False
    for ts, author, status in t.replies:
        if author == "agent":
            if start is not None:
                cycles.append((start, ts))
                start = None
            replied = True
        elif replied and start is None and status not in CLOSED:
            start = ts
    if start is not None:
        met = t.solved if t.solved is not None and t.solved >= start else None
        cycles.append((start, met))
    return cycles


def _cycles(t: SlaInput, name: str) -> list[tuple[float, float | None]]:
    if name == "first_response":
        first = _first_agent_reply(t)
        return [(t.created, first if first is not None else t.solved)]
    if name == "resolution":
        return [(t.created, t.solved)]
    return next_response_cycles(t)


def sla_of(t: SlaInput, policy: SlaPolicy, now: float) -> tuple[tuple[SlaView, ...], list[Fact]]:
    """Return the current clock of each target and the conclusion facts of all cycles."""
    views: list[SlaView] = []
    facts: list[Fact] = []
    horizon = policy.at_risk.total_seconds()
    calendar = policy.calendar
    paused = pauses(t.history, policy.pause_on)
    for name, duration in policy.targets_us:
        ps = paused
        if name == "resolution":
            # solved time stops the resolution clock, so a reopened ticket resumes where it was
            ps = pauses(t.history, policy.pause_on | CLOSED)
        st = None
        for start, met in _cycles(t, name):
            st = due, _, met_at, breached = clock(calendar, start, duration, ps, met, now)
            if met_at is not None and not breached:
                facts.append((SLA_FACT + name, met_at, 1.0))
            elif due is not None:
                facts.append((SLA_FACT + name, due, 0.0))
        if st is not None:
            views.append(SlaView(name, st[0], st[1], st[2], horizon))
    return tuple(views), facts
