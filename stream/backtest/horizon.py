"""When a queue's KPI samples can next change with no new event (event time).

    t = next_change(q, now, sampler, watch) # sampler.sample(q, t') == sampler.sample(q, now)
                                            # for every now <= t' < t, absent new views

Between events a queue's samples move only with time: a pending fact comes due,
a window's oldest bucket leaves (windows slide), the local day turns (`today`),
an SLA clock crosses a horizon, a call waits longer, an agent's run grows. The
answer is conservative (earlier is always safe: the tick is just evaluated), and
sampling the queue at any instant before it does nothing but move its clock.
It reads the state of `stream.kpis` (never writes it); the replay's oracle test
(full evaluation every tick) checks the two agree.
"""

from __future__ import annotations

import heapq
import itertools
import math
from datetime import UTC, datetime, time, timedelta
from typing import Any

from stream.backtest.gauges import Sampler
from stream.entities.agents import OCCUPANCY_STATUS
from stream.entities.views import View
from stream.kpis.catalogue import KPIS
from stream.kpis.current import BREACHING_SOON, Open
from stream.kpis.facts import SPAN_FACTS
from stream.kpis.queue import QueueKpis
from stream.kpis.windows import SlidingWindow, TodayWindow

NEVER = math.inf
EPS = 1e-6  # seconds: edges are taken this much early, against float rounding
SLA_KPIS = frozenset({"sla_at_risk", "sla_breached", "sla_breaching_soon"})
# current-state gauges that only an event moves
STILL = frozenset({"open_tickets", "calls_waiting"} | {k for k in KPIS if k.startswith("agents_")})


def tick_at(n: int, interval: float) -> datetime:
    """Return the instant of tick n of the replay's clock (n × interval)."""
    return datetime.fromtimestamp(n * interval, UTC)


def next_change(q: QueueKpis, now: float, sampler: Sampler, watch: Watch) -> float:
    """Return the earliest event time after `now` at which `q`'s selected samples may change."""
    t = watch.pending.next(q)
    for name, w in q.windows.items():
        if name in sampler.windowed:
            t = min(t, _window_edge(w, now))
    if sampler.runs and _runs_grow(q):
        return now  # every tick: busy and available time grow with the clock
    for kpi in sampler.gauges:
        if kpi in STILL:
            continue
        if kpi == "longest_wait":
            if q.current.waiting:
                return now
        elif kpi in SLA_KPIS:
            t = min(t, watch.sla.next(q, now))
        else:
            return now  # a gauge this module does not know: evaluate every tick
    return t


def _window_edge(w: SlidingWindow | TodayWindow, now: float) -> float:
    if isinstance(w, TodayWindow):
        day = datetime.fromtimestamp(now, w.tz).date() + timedelta(days=1)
        return datetime.combine(day, time(), w.tz).timestamp() - EPS
    if not w.buckets:
        return NEVER
    # bucket i leaves when now - span >= (i + 1) * res; a hair early against rounding
    return (min(w.buckets) + 1) * w.res + w.span - EPS


def _runs_grow(q: QueueKpis) -> bool:
    return any(
        since is not None and status in OCCUPANCY_STATUS
        for status, since in q.current.agents.values()
    )


class Watch:
    """What one queue's next change is computed from, fed every view applied to it."""

    def __init__(self) -> None:
        self.sla = SlaEdges()
        self.pending = PendingFacts()

    def add(self, view: View, q: QueueKpis) -> None:
        """Note a view just applied to `q`."""
        self.sla.add(view, q)
        self.pending.add(view, q)


class PendingFacts:
    """The queue's pending facts (`QueueKpis.pending`) by due time: a lazy heap."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, tuple[Any, ...]]] = []  # (due, pending slot)

    def add(self, view: View, q: QueueKpis) -> None:
        """Push the facts of a view just applied that `q` holds back as pending."""
        if not view.gone:
            for fact in view.facts:
                if fact[0] not in SPAN_FACTS and fact[1] > q.clock:
                    heapq.heappush(self.heap, (fact[1], (view.key, *fact)))

    def next(self, q: QueueKpis) -> float:
        """Return when the soonest fact still pending in `q` comes due."""
        pending = q.pending
        if len(self.heap) > 64 + 4 * len(pending):
            self.heap = [(slot[2], slot) for slot in pending]
            heapq.heapify(self.heap)
        heap = self.heap
        while heap:
            at, slot = heap[0]
            if slot in pending:
                return at
            heapq.heappop(heap)
        return NEVER


class SlaEdges:
    """The instants the open tickets' SLA clocks cross a counted horizon, soonest first.

    edges.add(view, q)          # every ticket view just applied to the queue
    edges.next(q, now)          # the next crossing after `now` of a ticket still open

    A heap with lazy deletion: an entry counts while its ticket is open as it was
    when pushed (the very entry of `CurrentState.open_tickets`); the heap is
    rebuilt from the open tickets when stale entries outnumber live ones.
    """

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, str, Open]] = []  # (edge, seq, view key, entry)
        self._seq = itertools.count()

    def add(self, view: View, q: QueueKpis) -> None:
        """Push the edges of a ticket view just applied (a closed one is dropped lazily)."""
        if view.kind == "ticket" and (o := q.current.open_tickets.get(view.key)) is not None:
            for edge in _edges(o):
                heapq.heappush(self.heap, (edge, next(self._seq), view.key, o))

    def next(self, q: QueueKpis, now: float) -> float:
        """Return the next edge after `now` of a ticket open in `q` (taken EPS early)."""
        tickets = q.current.open_tickets
        if len(self.heap) > 64 + 32 * len(tickets):
            seq = self._seq
            self.heap = [(e, next(seq), k, o) for k, o in tickets.items() for e in _edges(o)]
            heapq.heapify(self.heap)
        heap = self.heap
        while heap:
            edge, _, key, o = heap[0]
            # an edge a hair before `now` may still be ahead (rounding, or `left < 0`
            # turning true only after the instant itself): evaluate the next tick too
            if tickets.get(key) is o and edge + EPS > now:
                return edge - EPS
            heapq.heappop(heap)
        return NEVER


def _edges(o: Open) -> list[float]:
    """Return the SLA edges of an open ticket entry (see `stream.kpis.current.Open`)."""
    out: list[float] = []
    for i in range(2, len(o), 4):
        due_at, at_risk = o[i + 1], o[i + 3]
        if due_at is not None:
            out += (due_at - at_risk, due_at, *(due_at - h for _, h in BREACHING_SOON))
    return out
