"""When a queue's KPI samples can next change with no new event (event time).

    t = next_change(q, now, sampler)        # sampler.sample(q, t') == sampler.sample(q, now)
                                            # for every now <= t' < t, absent new views

Between events a queue's samples move only with time: a pending fact comes due,
a window's oldest bucket leaves (windows slide), the local day turns (`today`),
an SLA clock crosses a horizon, a call waits longer, an agent's run grows. The
answer is conservative (earlier is always safe: the tick is just evaluated), and
sampling the queue at any instant before it does nothing but move its clock.
It reads the state of `stream.kpis` and changes none of it (it only brings a queue's
SLA counts to `now`, where the sample just taken left them); the replay's oracle test
(full evaluation every tick) checks the two agree.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

from stream.backtest.gauges import Sampler
from stream.entities.agents import OCCUPANCY_STATUS
from stream.kpis.catalogue import KPIS
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


def next_change(q: QueueKpis, now: float, sampler: Sampler) -> float:
    """Return the earliest event time after `now` at which `q`'s selected samples may change."""
    t = q.next_due()
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
            q.current.sla.at(now)  # counted as of `now` (the sample just taken did)
            # an edge a hair before `now` may still be ahead (rounding): the tick before it
            t = min(t, q.current.sla.next_edge() - EPS)
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
