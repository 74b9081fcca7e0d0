"""One queue's current-state KPIs: open tickets, SLA clocks, waiting calls, agents.

c = CurrentState()
c.update(view, remove=False)     # the entity's newest view
list(c.samples("billing", now))  # gauges as of `now`
"""

from __future__ import annotations

import heapq
import math
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
    """The active entities of one queue, by id.

    The gauges a sample reads are kept as they change, not recounted from every open
    ticket: `open_cp` counts open tickets by labels at each update, and the SLA counts
    (`SlaCounts`) move only for the tickets updated since and the clocks that crossed
    an edge. An alert round every 500 ms on a queue of 100,000 open tickets costs
    what changed, not 100,000 tuples read twice.
    """

    def __init__(self) -> None:
        self.open_tickets: dict[str, Open] = {}  # by key (stage 2's view key, or id)
        self.open_cp: Counter[Pair] = Counter()  # open tickets by (channel, priority)
        self.waiting: dict[str, float] = {}
        self.agents: dict[str, tuple[str, float | None]] = {}  # id → (status, since)
        self.seen_cp: set[Pair] = set()  # (channel, priority) ever seen: keep series at 0
        self.seen_pt: set[Pair] = set()  # (priority, target)
        self.seen_targets: set[str] = set()
        self.sla = SlaCounts(self.open_tickets)

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
            old = self.open_tickets.pop(k, None)
            if old is not None:
                self.open_cp[(old[0], old[1])] -= 1
            if not remove and v.active:
                o = _open(v)
                self.open_tickets[k] = o
                self.open_cp[(o[0], o[1])] += 1
            if old is not None or k in self.open_tickets:
                self.sla.dirty.add(k)
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

    def samples(
        self, q: str, now: float, want: frozenset[str] | None = None
    ) -> Iterator[KpiSample]:
        """Yield the current-state samples of queue `q` as of `now` (only `want`, if given)."""
        if want is None or "open_tickets" in want:
            open_cp = self.open_cp
            for ch, pr in sorted(self.seen_cp):
                labels = {"queue": q, "channel": ch, "priority": pr}
                yield KpiSample("open_tickets", labels, float(open_cp[(ch, pr)]))
        risk = want is None or "sla_at_risk" in want
        breached = want is None or "sla_breached" in want
        soon = want is None or "sla_breaching_soon" in want
        if risk or breached or soon:
            counts = self.sla.at(now)
            for pr, target in sorted(self.seen_pt) if risk or breached else ():
                labels = {"queue": q, "priority": pr, "target": target}
                if risk:
                    yield KpiSample("sla_at_risk", labels, float(counts[("risk", pr, target)]))
                if breached:
                    value = float(counts[("breached", pr, target)])
                    yield KpiSample("sla_breached", labels, value)
            for target in sorted(self.seen_targets) if soon else ():
                for within, _ in BREACHING_SOON:
                    labels = {"queue": q, "target": target, "within": within}
                    value = float(counts[("soon", target, within)])
                    yield KpiSample("sla_breaching_soon", labels, value)
        if want is None or "calls_waiting" in want:
            yield KpiSample("calls_waiting", {"queue": q}, float(len(self.waiting)))
        if want is None or "longest_wait" in want:
            oldest = min(self.waiting.values(), default=None)
            wait = max(0.0, now - oldest) if oldest is not None else 0.0
            yield KpiSample("longest_wait", {"queue": q}, wait)
        statuses = [s for s in AGENT_STATUSES if want is None or f"agents_{s}" in want]
        if statuses:
            by_status = Counter(status for status, _ in self.agents.values())
            for status in statuses:
                labels = {"queue": q, "status": status}
                yield KpiSample(f"agents_{status}", labels, float(by_status[status]))


Count = tuple[str, str, str]  # ("risk" | "breached", priority, target) or ("soon", target, within)


class SlaCounts:
    """One queue's SLA gauges as counts, moved by the tickets updated and the edges crossed.

    Each open ticket's part is what it counts for (at risk, breached, breaching soon per
    target) as of the time it was last counted; it changes only when the ticket's entry
    does (`dirty`, filled by `CurrentState.update`) or when one of its clocks crosses an
    edge (a heap, lazily deleted: an entry counts while the ticket still holds the very
    entry pushed). An earlier `now` than the last one (the clock moved back: replay and
    live clocks switched) counts everything again.
    """

    def __init__(self, tickets: dict[str, Open]) -> None:
        self.tickets = tickets
        self.counts: Counter[Count] = Counter()
        self.held: dict[str, tuple[Open, tuple[Count, ...]]] = {}  # key → entry, its part
        self.dirty: set[str] = set()
        self.heap: list[tuple[float, int, str, Open]] = []  # (next edge, seq, key, entry)
        self.last = -math.inf
        self._seq = 0
        self._names: dict[Count, Count] = {}  # one tuple per count name, shared by tickets

    def at(self, now: float) -> Counter[Count]:
        """Return the counts as of `now`."""
        if now < self.last:
            self.counts.clear()
            self.held.clear()
            self.heap.clear()
            self.dirty = set(self.tickets)
        self.last = now
        tickets = self.tickets
        for key in self.dirty:
            entry = tickets.get(key)
            held = self.held.get(key)
            if held is not None and held[0] is entry:
                continue
            self._count(key, held, entry, now)
        self.dirty.clear()
        heap = self.heap
        while heap and heap[0][0] <= now:
            _, _, key, entry = heapq.heappop(heap)
            held = self.held.get(key)
            if held is not None and held[0] is entry:
                self._count(key, held, entry, now)
        if len(heap) > 64 + 4 * len(self.held):
            live = self.held
            self.heap = [x for x in heap if (h := live.get(x[2])) is not None and h[0] is x[3]]
            heapq.heapify(self.heap)
        return self.counts

    def next_edge(self) -> float:
        """Return the soonest instant after the last `at` when a count may change (inf: none).

        Call it right after `at`: tickets updated since are not counted yet.
        """
        heap, held = self.heap, self.held
        while heap:
            edge, _, key, entry = heap[0]
            h = held.get(key)
            if h is not None and h[0] is entry:
                return edge
            heapq.heappop(heap)
        return math.inf

    def _count(
        self, key: str, held: tuple[Open, tuple[Count, ...]] | None, entry: Open | None, now: float
    ) -> None:
        counts = self.counts
        if held is not None:
            for name in held[1]:
                counts[name] -= 1
        if entry is None:
            self.held.pop(key, None)
            return
        part, edge = _part(entry, now)
        names = self._names
        shared = tuple([names.setdefault(n, n) for n in part])
        for name in shared:
            counts[name] += 1
        self.held[key] = (entry, shared)
        if edge < math.inf:
            self._seq += 1
            heapq.heappush(self.heap, (edge, self._seq, key, entry))


def _part(o: Open, now: float) -> tuple[list[Count], float]:
    """Return what one open ticket counts for at `now`, and when next that may change.

    A clock `left = due_at - now` seconds from its due instant is breached when
    `left < 0`, at risk when `0 <= left <= horizon` (the policy's `at_risk`), breaching
    soon within 15m / 1h when `0 <= left <=` 900 / 3600 s; a paused clock (no due
    instant) is breached when its remaining business time is ≤ 0, and stays so.
    """
    priority, part, edge = o[1], [], math.inf
    for i in range(2, len(o), 4):
        target, due_at, remaining, at_risk = o[i], o[i + 1], o[i + 2], o[i + 3]
        if due_at is None:
            if remaining is not None and remaining <= 0:
                part.append(("breached", priority, target))
            continue
        left = due_at - now
        if left < 0:
            part.append(("breached", priority, target))
            continue
        edge = min(edge, due_at)
        if left <= at_risk:
            part.append(("risk", priority, target))
        else:
            edge = min(edge, due_at - at_risk)
        for within, horizon in BREACHING_SOON:
            if left <= horizon:
                part.append(("soon", target, within))
            else:
                edge = min(edge, due_at - horizon)
    # an edge that rounding puts at `now` or before is crossed just after it: count again
    return part, edge if edge > now else math.nextafter(now, math.inf)


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
