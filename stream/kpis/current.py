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
                self.sla.remove(old)
            if not remove and v.active:
                o = _open(v)
                self.open_tickets[k] = o
                self.open_cp[(o[0], o[1])] += 1
                self.sla.add(k, o)
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


STEP_BACK_S = 1.0  # seconds: an instant this much before the last is served as of the last


class SlaCounts:
    """One queue's SLA gauges as counts, moved by the tickets updated and the edges crossed.

    The counts are as of `last`, the latest instant asked for. A ticket's part (at
    risk, breached, breaching soon, per target) stays the same between the edges of
    its clocks, so it is counted once when its entry comes (`add`), taken back when
    the entry goes (`remove`: its part as of `last`, which is what was counted), and
    counted again only when `at(now)` passes one of its edges (a heap of each
    entry's next edge, lazily deleted: an entry counts while the ticket still holds
    it). Nothing is kept per ticket but its heap entry. A `now` up to STEP_BACK_S
    before `last` is answered as of `last`, as the windows do (they only move forward):
    a scrape that took its instant before an alert round that sampled first. Further
    back (replay and live clocks switched) counts everything again, and so does the first
    `at` after `recount()` (state restored in bulk: one count and one heapify then,
    not a heap push per ticket).
    """

    def __init__(self, tickets: dict[str, Open]) -> None:
        self.tickets = tickets
        self.counts: Counter[Count] = Counter()
        self.heap: list[tuple[float, int, str, Open]] = []  # (next edge, seq, key, entry)
        self.last = -math.inf
        self._seq = 0
        self._names: dict[Count, Count] = {}  # one tuple per count name, shared by tickets
        self.stale = False  # counts and heap to be rebuilt at the next `at`

    def recount(self) -> None:
        """Count everything again at the next `at` (meanwhile tickets come and go uncounted)."""
        self.stale = True

    def add(self, key: str, entry: Open) -> None:
        """Count the entry a ticket now holds (`tickets[key]` is `entry`)."""
        if self.stale:
            return
        self._push(key, entry, self._count(entry, self.last, 1))
        if len(self.heap) > 64 + 4 * len(self.tickets):
            self._rebuild_heap()

    def remove(self, entry: Open) -> None:
        """Take back the part of an entry a ticket no longer holds."""
        if self.stale:
            return
        self._count(entry, self.last, -1)

    def at(self, now: float) -> Counter[Count]:
        """Return the counts as of `now`."""
        last, tickets, heap = self.last, self.tickets, self.heap
        if last - STEP_BACK_S <= now < last and not self.stale:
            return self.counts  # as of `last`, a moment later than asked
        if now < last or self.stale:
            self.counts.clear()
            self.last, self.stale = now, False
            heap = self.heap = []
            for key, entry in tickets.items():
                edge = self._count(entry, now, 1)
                if edge < math.inf:
                    self._seq += 1
                    heap.append((edge, self._seq, key, entry))
            heapq.heapify(heap)
            return self.counts
        while heap and heap[0][0] <= now:
            _, _, key, entry = heapq.heappop(heap)
            if tickets.get(key) is entry:
                self._count(entry, last, -1)
                self._push(key, entry, self._count(entry, now, 1))
        self.last = now
        return self.counts

    def next_edge(self) -> float:
        """Return the soonest instant after `last` when a count may change (inf: none)."""
        heap, tickets = self.heap, self.tickets
        while heap:
            edge, _, key, entry = heap[0]
            if tickets.get(key) is entry:
                return edge
            heapq.heappop(heap)
        return math.inf

    def _count(self, entry: Open, at: float, sign: int) -> float:
        """Add (`sign` 1) or take back (-1) the part of `entry` as of `at`; return its next edge."""
        part, edge = _part(entry, at)
        counts, names = self.counts, self._names
        for name in part:
            counts[names.setdefault(name, name)] += sign
        return edge

    def _push(self, key: str, entry: Open, edge: float) -> None:
        if edge < math.inf:
            self._seq += 1
            heapq.heappush(self.heap, (edge, self._seq, key, entry))

    def _rebuild_heap(self) -> None:
        """Drop the stale entries: one per ticket with an edge ahead."""
        self.heap = []
        for key, entry in self.tickets.items():
            self._push(key, entry, _part(entry, self.last)[1])


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


# the policies' at_risk values, one float object each (typed `object`: compiled, a float
# is unboxed, and boxed anew wherever it is stored)
_HORIZONS: dict[object, object] = {}


def _shared(horizon: object) -> object:
    return _HORIZONS.setdefault(horizon, horizon)


def _open(v: View) -> Open:
    """Return what the gauges read of an open ticket (its met targets count no more).

    Its labels are interned: a decoded view's strings are its own (~55 B each), and
    a worker holds one of these per open ticket.
    """
    clocks = [
        x
        for s in v.sla
        if s.met_at is None
        # getattr: read as an object (compiled, `s.horizon` is unboxed and boxed anew)
        for x in (intern(s.target), s.due_at, s.remaining, _shared(getattr(s, "horizon")))  # noqa: B009
    ]
    return (intern(v.channel), intern(v.priority), *clocks)
