"""A queue's samples as a replay needs them: only the (KPI, window) pairs its rules read.

    sampler = Sampler(rules)
    sampler.sample(q, now, pending_due)       # the selected samples of `q` as of `now`

The same samples, in the same order, as `QueueKpis.samples(now)` filtered to the pairs
(the replay's oracle test checks it), for less: no other KPI, window or stat is computed, the
pending facts are promoted only once one is due.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerts.config import Rule
from alerts.snapshot import KpiSample
from stream.kpis.aggregations import Aggregation, Occupancy, Summary, Totals
from stream.kpis.catalogue import KPIS, WINDOWED, Selection
from stream.kpis.queue import QueueKpis

NOTHING = Selection(frozenset())  # sampling with it only promotes and moves the clock


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
        return list(q.current.samples(q.queue, now, self.gauges))


def _any(aggs: list[tuple[str, Aggregation]], kind: type) -> bool:
    return any(isinstance(a, kind) for _, a in aggs)
