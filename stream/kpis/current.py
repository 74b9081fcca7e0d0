"""One queue's current-state KPIs: open tickets, SLA clocks, waiting calls, agents.

c = CurrentState()
c.update(view, remove=False)     # the entity's newest view
list(c.samples("billing", now))  # gauges as of `now`
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from sys import intern
from typing import Any

from alerts.snapshot import KpiSample
from stream.entities.agents import OCCUPANCY_STATUS
from stream.entities.views import View

AGENT_STATUSES = ("available", "busy", "after_call_work", "away", "offline")
BREACHING_SOON = (("15m", 900.0), ("1h", 3600.0))
"""The `within` horizons of `sla_breaching_soon`."""

Pair = tuple[str, str]
Open = tuple[Any, ...]
"""An open ticket, compactly: (channel, priority, then per unmet SLA target: target,
due_at, remaining, horizon). Stage 2 holds one per open ticket: no `View` is kept."""


class CurrentState:
    """The active entities of one queue, by id."""

    def __init__(self) -> None:
        self.open_tickets: dict[str, Open] = {}  # by key (stage 2's view key, or id)
        self.waiting: dict[str, float] = {}
        self.agents: dict[str, tuple[str, float | None]] = {}  # id → (status, since)
        self.seen_cp: set[Pair] = set()  # (channel, priority) ever seen: keep series at 0
        self.seen_pt: set[Pair] = set()  # (priority, target)
        self.seen_targets: set[str] = set()

    def update(self, v: View, remove: bool, key: str = "") -> None:
        """Forget (`remove`) or record the entity's view (`key`: a unique name of it, its id)."""
        k = key or v.id
        if v.kind == "ticket":
            if not remove:
                # series stay at 0 once a ticket with these labels was seen, open or not:
                # stage 1 may coalesce a ticket opened and solved in one batch into one view
                self.seen_cp.add((v.channel, v.priority))
                self.seen_pt.update((v.priority, s.target) for s in v.sla)
                self.seen_targets.update(s.target for s in v.sla)
            if remove or not v.active:
                self.open_tickets.pop(k, None)
            else:
                self.open_tickets[k] = _open(v)
        elif v.kind == "call":
            if remove or not v.active or v.since is None:
                self.waiting.pop(k, None)
            else:
                self.waiting[k] = v.since
        elif v.kind == "agent":
            if remove or not v.status:
                self.agents.pop(k, None)
            else:
                self.agents[k] = (v.status, v.since)

    def open_runs(self, start: float, now: float) -> tuple[float, float]:
        """Return (busy, available) seconds of the agents' ongoing runs within [start, now]."""
        busy = avail = 0.0
        for status, since in self.agents.values():
            name = OCCUPANCY_STATUS.get(status)
            if name is None or since is None:
                continue
            seconds = max(0.0, now - max(since, start))
            if name == "occ_busy":
                busy += seconds
            else:
                avail += seconds
        return busy, avail

    def samples(self, q: str, now: float) -> Iterator[KpiSample]:
        """Yield the current-state samples of queue `q` as of `now`."""
        open_cp = Counter(o[:2] for o in self.open_tickets.values())
        for ch, pr in sorted(self.seen_cp):
            labels = {"queue": q, "channel": ch, "priority": pr}
            yield KpiSample("open_tickets", labels, float(open_cp[(ch, pr)]))
        risk, breached, soon = self._sla_counts(now)
        for pr, target in sorted(self.seen_pt):
            labels = {"queue": q, "priority": pr, "target": target}
            yield KpiSample("sla_at_risk", labels, float(risk[(pr, target)]))
            yield KpiSample("sla_breached", labels, float(breached[(pr, target)]))
        for target in sorted(self.seen_targets):
            for within, _ in BREACHING_SOON:
                labels = {"queue": q, "target": target, "within": within}
                yield KpiSample("sla_breaching_soon", labels, float(soon[(target, within)]))
        yield KpiSample("calls_waiting", {"queue": q}, float(len(self.waiting)))
        oldest = min(self.waiting.values(), default=None)
        wait = max(0.0, now - oldest) if oldest is not None else 0.0
        yield KpiSample("longest_wait", {"queue": q}, wait)
        by_status = Counter(status for status, _ in self.agents.values())
        for status in AGENT_STATUSES:
            labels = {"queue": q, "status": status}
            yield KpiSample(f"agents_{status}", labels, float(by_status[status]))

    def _sla_counts(self, now: float) -> tuple[Counter[Pair], Counter[Pair], Counter[Pair]]:
        risk: Counter[Pair] = Counter()
        breached: Counter[Pair] = Counter()
        soon: Counter[Pair] = Counter()
        for o in self.open_tickets.values():
            priority = o[1]
            for i in range(2, len(o), 4):
                target, due_at, remaining, at_risk = o[i : i + 4]
                key = (priority, target)
                if due_at is None:  # paused: breached only if it was before the pause
                    if remaining is not None and remaining <= 0:
                        breached[key] += 1
                    continue
                left = due_at - now
                if left < 0:
                    breached[key] += 1
                    continue
                if left <= at_risk:
                    risk[key] += 1
                for within, horizon in BREACHING_SOON:
                    if left <= horizon:
                        soon[(target, within)] += 1
        return risk, breached, soon


def _open(v: View) -> Open:
    """Return what the gauges read of an open ticket (its met targets count no more).

    Its labels are interned: a decoded view's strings are its own (~55 B each), and
    a worker holds one of these per open ticket.
    """
    clocks = [
        x
        for s in v.sla
        if s.met_at is None
        for x in (intern(s.target), s.due_at, s.remaining, s.horizon)
    ]
    return (intern(v.channel), intern(v.priority), *clocks)
