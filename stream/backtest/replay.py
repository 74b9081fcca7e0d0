"""Replay history through the KPI core on an event-time clock.

    replay = Replay(config, rules=rules)       # rules=None: every KPI, every tick
    replay.run(in_time_order(records, reorder), start, end, on_tick)
    replay.counts, replay.bad                  # what was applied, what was not

Events are applied in event-time order; tick n is at n × `worker.evaluation_interval`
of event time (the live cadence). Events before `start` only warm the KPIs up: no
tick is evaluated before `start`. Eviction runs every minute of event time, as on
the worker, so memory is bounded by the state, not by the length of the history.

`on_tick(n, fresh)` gets the samples of the queues sampled at tick n and returns
the event time its rules next need a tick at with no KPI change (timers). With
`rules`, a queue is sampled (what they read, `gauges.Sampler`) when a view reached
it since its last sample or when its samples move with time
(`horizon.next_change`); a tick with neither, and no rule timer due, is skipped in
O(1). Without `rules` (the test oracle) every queue is sampled in full at every tick.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from alerts.config import Rule
from alerts.snapshot import KpiSample
from stream.backtest.gauges import Sampler
from stream.backtest.horizon import NEVER, next_change
from stream.backtest.sources import Bad
from stream.config.root import Config
from stream.core import build_stages
from stream.events.models import Event
from stream.kpis.catalogue import Selection
from stream.kpis.queue import QueueKpis

log = logging.getLogger("kpiwatch.backtest")

OnTick = Callable[[int, dict[str, list[KpiSample]]], float]
# A retention sweep every 1/16 of the shortest retention (event time): state stays within
# 17/16 of what the worker keeps, and a sweep, which reads every view, costs little (every
# minute, as the worker sweeps, it took a tenth of a replay)
EVICT_SHARE = 16
FIRST_REASONS = 10
NOTHING = Selection(frozenset())  # sampling with it only moves a queue's clock


@dataclass
class BadRecords:
    """Rejected records: how many, by reason, and the first few with where they were."""

    total: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    first: list[Bad] = field(default_factory=list)

    def add(self, bad: Bad) -> None:
        """Count one bad record."""
        self.total += 1
        reason = bad.reason if len(self.reasons) < 100 or bad.reason in self.reasons else "other"
        self.reasons[reason] += 1
        if len(self.first) < FIRST_REASONS:
            self.first.append(bad)


class Replay:
    """The entity and queue stages of one config, driven by history."""

    def __init__(
        self, config: Config, step: float | None = None, rules: Iterable[Rule] | None = None
    ) -> None:
        self.config = config
        self.entity, self.queues = build_stages(config, config.limits.max_queues)
        # the live cadence unless the caller trades exactness for speed (`--step`)
        self.interval = step or config.worker.evaluation_interval.total_seconds()
        rules = None if rules is None else list(rules)
        self.sampler = None if rules is None else Sampler(rules)
        self.counts: Counter[str] = Counter()
        self.bad = BadRecords()
        self.ticks = 0  # ticks evaluated (the others were skipped)
        self.first_n = 0  # the first tick of the run
        self.last_n = -1  # the last tick passed
        self._n = 0  # the next tick to evaluate is at _n × interval
        self._next_evict = 0.0
        shortest = min([self.queues.retention, *(s.retention for s in self.entity.values())])
        self.evict_every = max(60.0, shortest / EVICT_SHARE)
        self._changed: set[str] = set()  # the queues a view reached since their last sample
        self._moves: dict[str, float] = {}  # queue → when its samples next move by themselves
        self._rules_due = NEVER  # when the rules next need a tick (their timers)

    def apply(self, ev: Event) -> None:
        """Apply one event to its entity stage and the views it changes to the queue stage."""
        try:
            views = self.entity[ev.stream].apply(0, ev)
        except Exception as exc:  # a bug must not stop the replay: count the record
            log.exception("failed to apply %s %s", ev.type, ev.event_id)
            self.bad.add(Bad(f"event {ev.event_id}", f"internal error: {exc!r}"))
            return
        if views is None:
            self.counts["duplicate"] += 1
            return
        self.counts["accepted"] += 1
        if not views:
            self.counts["unplaced"] += 1
        for view in views:
            q = self.queues.kpis.get(0, {}).get(view.queue)
            if q is not None:
                self._catch_up(q)
            _, late = self.queues.apply(0, view.encode())
            self.counts["late"] += len(late)
            self._changed.add(view.queue)

    def _catch_up(self, q: QueueKpis) -> None:
        """Move a queue's clock to the last tick passed, as sampling it there would have."""
        if self.last_n >= 0 and q.clock < (at := self.last_n * self.interval):
            for _ in q.samples(at, NOTHING):
                pass  # nothing was due there (else it was sampled): only the clock moves

    def samples(self, at: float) -> list[KpiSample]:
        """Return every KPI sample as of event time `at`."""
        return self.queues.samples(lambda _queue_mark, _top: at)

    def run(
        self,
        events: Iterable[Event | Bad],
        start: float,
        end: float,
        on_tick: OnTick,
        progress: Callable[[float], None] = lambda _t: None,
    ) -> None:
        """Apply `events` and evaluate the ticks in [start, end] (see the module doc)."""
        self._n = self.first_n = math.ceil(start / self.interval)  # tick n at n × interval
        self._next_evict = float("-inf")
        for item in events:
            if isinstance(item, Bad):
                self.bad.add(item)
                continue
            ts = item.ts
            if ts > end:
                self.counts["after_end"] += 1
                break  # in time order: the rest is later still
            if ts < start and ts >= self._next_evict:  # a long warm-up stays bounded too
                self._next_evict = ts + self.evict_every
                self._evict()
            self._advance(ts, False, on_tick, progress)
            self.apply(item)
        self._advance(end, True, on_tick, progress)
        progress(end)

    def _advance(
        self, until: float, inclusive: bool, on_tick: OnTick, progress: Callable[[float], None]
    ) -> None:
        """Evaluate the ticks before `until` (and at it, if `inclusive`)."""
        while (tick := self._n * self.interval) < until or (inclusive and tick == until):
            if self.sampler is None:
                fresh = {q.queue: list(q.samples(tick)) for q in self.queues.queues()}
            else:
                due = [
                    q
                    for q in self.queues.queues()
                    if q.queue in self._changed or self._moves.get(q.queue, NEVER) <= tick
                ]
                if not due and self._rules_due > tick:
                    self._skip(min(until, self._rules_due, self._next_evict, *self._moves.values()))
                    self._evict_after(self.last_n * self.interval, progress)
                    continue
                fresh = {q.queue: self._sample(q, tick, self.sampler) for q in due}
            self.ticks += 1
            self._rules_due = on_tick(self._n, fresh)
            self.last_n = self._n
            self._n += 1
            self._evict_after(tick, progress)

    def _evict_after(self, tick: float, progress: Callable[[float], None]) -> None:
        """Evict after the tick `evict_every` of event time after the last eviction."""
        if tick >= self._next_evict:
            self._next_evict = tick + self.evict_every
            self._evict()
            progress(tick)

    def _skip(self, until: float) -> None:
        """Pass in O(1) the ticks before `until` (at least one): nothing moves there."""
        n = self._n + 1
        if until > n * self.interval:  # (also: never ceil an infinity)
            n = math.ceil(until / self.interval)
        self.last_n, self._n = n - 1, n

    def _sample(self, q: QueueKpis, tick: float, sampler: Sampler) -> list[KpiSample]:
        name = q.queue
        self._changed.discard(name)
        samples = sampler.sample(q, tick, q.next_due())
        self._moves[name] = next_change(q, tick, sampler)
        return samples

    def _evict(self) -> None:
        for stage in self.entity.values():
            stage.evict()
            stage.take_dirty()  # nothing persists a replay: only keep memory bounded
        for q in self.queues.queues():
            self._catch_up(q)
        if self.queues.evict():
            self._changed.update(q.queue for q in self.queues.queues())
        self.queues.take_dirty()
