"""A queue's samples as a replay needs them: only the (KPI, window) pairs its rules read.

    sampler = Sampler(rules)
    sampler.touch(view)                       # every view applied to the queue stage
    sampler.sample(q, now, pending_due)       # the selected samples of `q` as of `now`

The same samples, in the same order, as `QueueKpis.samples(now)` filtered to the pairs
(the replay's oracle test checks it), for less: no other KPI, window or stat is computed, the
pending facts are promoted only once one is due, and the SLA gauges are counts kept
per queue, changed for the tickets a view touched and those whose clock crossed an
edge, instead of a scan of every open ticket at each sample.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from alerts.config import Rule
from alerts.snapshot import KpiSample
from stream.entities.views import View
from stream.kpis.aggregations import Aggregation, Occupancy, Summary, Totals
from stream.kpis.catalogue import KPIS, WINDOWED, Selection
from stream.kpis.current import AGENT_STATUSES, BREACHING_SOON, Open
from stream.kpis.queue import QueueKpis

NOTHING = Selection(frozenset())  # sampling with it only promotes and moves the clock
SLA_GAUGES = frozenset({"sla_at_risk", "sla_breached", "sla_breaching_soon"})
Count = tuple[str, str, str]  # ("risk" | "breached", priority, target) or ("soon", target, within)


class Sampler:
    """The samples of the (KPI, window) pairs some rules read, queue by queue."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        rules = list(rules)
        # a rule selects the samples of its KPI with its window label (none for a gauge)
        pairs = {(r.kpi, r.window) for r in rules}
        self.gauges = frozenset(
            k for k, w in pairs if w is None and k in KPIS and not KPIS[k].windowed
        )
        # window → its selected aggregations, in catalogue order
        self.windowed: dict[str, list[tuple[str, Aggregation]]] = {}
        for kpi, agg in WINDOWED:
            for w in sorted(w for k, w in pairs if k == kpi and w is not None):
                self.windowed.setdefault(w, []).append((kpi, agg))
        # (kpi, window) → the stats its rules read (None: a rule reads every stat)
        self.stats: dict[tuple[str, str], frozenset[str] | None] = {}
        for r in rules:
            if r.window is None:
                continue
            had = self.stats.get((r.kpi, r.window), frozenset())
            wanted = None if r.stat is None or had is None else had | {r.stat}
            self.stats[(r.kpi, r.window)] = wanted
        self.runs = {w for w, aggs in self.windowed.items() if _any(aggs, Occupancy)}
        self.summaries = any(_any(aggs, Summary) for aggs in self.windowed.values())
        self.sla: dict[str, SlaCounts] = {}  # queue → its SLA gauges

    def touch(self, view: View) -> None:
        """Note a view just applied to the queue stage."""
        if view.kind == "ticket" and (c := self.sla.get(view.queue)) is not None:
            c.dirty.add(view.key)

    def resync(self) -> None:
        """Recount the SLA gauges from the open tickets (after an eviction)."""
        self.sla.clear()

    def sample(self, q: QueueKpis, now: float, pending_due: float) -> list[KpiSample]:
        """Return the selected samples of `q` as of `now`; `pending_due`: its soonest fact."""
        if pending_due <= now:
            for _ in q.samples(now, NOTHING):
                pass  # promotes the facts due and advances the windows
        else:
            q.clock = max(q.clock, now)
            for w in q.windows.values():
                w.advance(now)
        out = self._gauges(q, now) if self.gauges else []
        if not self.windowed:
            return out
        summaries: set[Any] = set()
        if self.summaries:
            summaries = {key for w in q.windows.values() for key in w.total.sketches}
        pairs = q.current.seen_pt
        for name, w in q.windows.items():
            aggs = self.windowed.get(name)
            if not aggs:
                continue
            acc = w.total
            runs = q.current.open_runs(w.start(), now) if name in self.runs else (0.0, 0.0)
            totals = Totals(acc, runs, pairs, sorted(set(acc.sketches).union(summaries)))
            base = {"queue": q.queue, "window": name}
            for kpi, agg in aggs:
                if isinstance(agg, Summary):  # only the stats its rules read
                    values = agg.result(totals, self.stats.get((kpi, name)))
                else:
                    values = agg.result(totals)
                for labels, value, n in values:
                    out.append(
                        KpiSample(kpi, base if labels is None else {**base, **labels}, value, n)
                    )
        return out

    def _gauges(self, q: QueueKpis, now: float) -> list[KpiSample]:
        """`CurrentState.samples` of the selected gauges."""
        want, cur, name = self.gauges, q.current, q.queue
        out: list[KpiSample] = []
        if "open_tickets" in want:
            open_cp = Counter(o[:2] for o in cur.open_tickets.values())
            for ch, pr in sorted(cur.seen_cp):
                labels = {"queue": name, "channel": ch, "priority": pr}
                out.append(KpiSample("open_tickets", labels, float(open_cp[(ch, pr)])))
        if want & SLA_GAUGES:
            c = self.sla.get(name)
            if c is None or c.q is not q:
                c = self.sla[name] = SlaCounts(q)
            counts = c.at(now)
            risk, breached = "sla_at_risk" in want, "sla_breached" in want
            if risk or breached:
                for pr, target in sorted(cur.seen_pt):
                    labels = {"queue": name, "priority": pr, "target": target}
                    if risk:
                        out.append(
                            KpiSample("sla_at_risk", labels, float(counts[("risk", pr, target)]))
                        )
                    if breached:
                        value = float(counts[("breached", pr, target)])
                        out.append(KpiSample("sla_breached", labels, value))
            if "sla_breaching_soon" in want:
                for target in sorted(cur.seen_targets):
                    for within, _ in BREACHING_SOON:
                        labels = {"queue": name, "target": target, "within": within}
                        value = float(counts[("soon", target, within)])
                        out.append(KpiSample("sla_breaching_soon", labels, value))
        if "calls_waiting" in want:
            out.append(KpiSample("calls_waiting", {"queue": name}, float(len(cur.waiting))))
        if "longest_wait" in want:
            oldest = min(cur.waiting.values(), default=None)
            wait = max(0.0, now - oldest) if oldest is not None else 0.0
            out.append(KpiSample("longest_wait", {"queue": name}, wait))
        agents = [s for s in AGENT_STATUSES if f"agents_{s}" in want]
        if agents:
            by_status = Counter(status for status, _ in cur.agents.values())
            for status in agents:
                labels = {"queue": name, "status": status}
                out.append(KpiSample(f"agents_{status}", labels, float(by_status[status])))
        return out


class SlaCounts:
    """One queue's SLA gauges as counts, moved by the tickets touched and the edges crossed.

    Each open ticket's part is what `CurrentState._sla_counts` adds for it at the time it
    was last counted; it changes only when the ticket's entry does (a view) or when its
    clock crosses an edge (a heap, lazily deleted: an entry counts while the ticket
    still holds the very entry pushed).
    """

    def __init__(self, q: QueueKpis) -> None:
        self.q = q
        self.counts: Counter[Count] = Counter()
        self.held: dict[str, tuple[Open, list[Count]]] = {}  # ticket key → entry, its part
        self.dirty: set[str] = set(q.current.open_tickets)
        self.heap: list[tuple[float, int, str, Open]] = []  # (next edge, seq, key, entry)
        self._seq = itertools.count()

    def at(self, now: float) -> Counter[Count]:
        """Return the counts as of `now` (never earlier than the last call)."""
        tickets = self.q.current.open_tickets
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
        if len(heap) > 64 + 8 * len(self.held):
            self.heap = [(e, s, k, o) for e, s, k, o in heap if self.held.get(k, (None,))[0] is o]
            heapq.heapify(self.heap)
        return self.counts

    def _count(
        self, key: str, held: tuple[Open, list[Count]] | None, entry: Open | None, now: float
    ) -> None:
        counts = self.counts
        if held is not None:
            counts.subtract(held[1])
        if entry is None:
            self.held.pop(key, None)
            return
        part, edge = _part(entry, now)
        counts.update(part)
        self.held[key] = (entry, part)
        if edge < math.inf:
            heapq.heappush(self.heap, (edge, next(self._seq), key, entry))


def _part(o: Open, now: float) -> tuple[list[Count], float]:
    """Return what `CurrentState._sla_counts` counts for one ticket at `now`, and when next
    that may change (after `now`)."""
    priority, part, edge = o[1], [], math.inf
    for i in range(2, len(o), 4):
        target, due_at, remaining, at_risk = o[i : i + 4]
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
    # an edge rounding puts at `now` or before is crossed after it: count again then
    return part, edge if edge > now else math.nextafter(now, math.inf)


def _any(aggs: list[tuple[str, Aggregation]], kind: type) -> bool:
    return any(isinstance(a, kind) for _, a in aggs)
