"""Replay history through the KPI core on an event-time clock.

    replay = Replay(config)
    replay.run(in_time_order(records, reorder), start, end, on_tick)
    replay.counts, replay.bad                  # what was applied, what was not

Events are applied in event-time order; every `worker.evaluation_interval` of
event time (the live cadence) `on_tick(at, samples)` receives every KPI sample
as of that instant. Events before `start` only warm the KPIs up: no tick is
evaluated before `start`. Eviction runs every minute of event time, as on the
worker, so memory is bounded by the state, not by the length of the history.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alerts.snapshot import KpiSample
from stream.backtest.sources import Bad
from stream.config.root import Config
from stream.core import build_stages
from stream.events.models import Event

log = logging.getLogger("kpiwatch.backtest")

OnTick = Callable[[datetime, list[KpiSample]], None]
EVICT_EVERY = 60.0  # seconds of event time, as the worker's retention sweep
FIRST_REASONS = 10


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

    def __init__(self, config: Config, step: float | None = None) -> None:
        self.config = config
        self.entity, self.queues = build_stages(config, config.limits.max_queues)
        # the live cadence unless the caller trades exactness for speed (`--step`)
        self.interval = step or config.worker.evaluation_interval.total_seconds()
        self.counts: Counter[str] = Counter()
        self.bad = BadRecords()
        self._n = 0  # the next tick to evaluate is at _n × interval
        self._next_evict = 0.0

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
            _, late = self.queues.apply(0, view.encode())
            self.counts["late"] += len(late)

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
        """Apply `events` and call `on_tick` at every tick in [start, end]."""
        self._n = math.ceil(start / self.interval)  # tick n is at n × interval: no drift
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
                self._next_evict = ts + EVICT_EVERY
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
            on_tick(datetime.fromtimestamp(tick, UTC), self.samples(tick))
            self._n += 1
            if tick >= self._next_evict:
                self._next_evict = tick + EVICT_EVERY
                self._evict()
                progress(tick)

    def _evict(self) -> None:
        for stage in self.entity.values():
            stage.evict()
            stage.take_dirty()  # nothing persists a replay: only keep memory bounded
        self.queues.evict()
        self.queues.take_dirty()
