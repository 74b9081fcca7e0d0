"""A simulator stepped only where something can change: fresh samples or a due timer.

    inc = Incremental(sim, interval)
    due = inc.step(n, fresh)      # fresh: the samples of the queues sampled at tick n
    inc.finish(last_n)            # the KPI series up to the last tick

The same decisions as `Simulator.step` at every tick (the test oracle), for less:
a series whose queue was not sampled, or whose sample did not change (value and
sample count), keeps its evaluation, and its alert moves
only when a timer comes due (`for`, `keep_firing_for`, staleness, a group's
flush, retention), so only those are stepped. `step` returns when the next
timer is due; what the skipped ticks would have done is caught up lazily: an
alert's `last_seen` when its series goes away, the KPI series when it changes.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts import lifecycle
from alerts.config import Rule
from alerts.fingerprint import fingerprint
from alerts.lifecycle import AlertState
from alerts.rules import Condition, Evaluation
from alerts.snapshot import KpiSample
from alerts.store import told_firing
from stream.backtest.horizon import NEVER, tick_at
from stream.backtest.simulate import RESOLVED_RETENTION, STALE_AFTER, Simulator

TOLD_RETENTION = timedelta(days=1)


@dataclass(slots=True)
class Seen:
    """A series present in its queue's last sample: its evaluation, and when last recorded."""

    rule: Rule
    ev: Evaluation
    n: int  # the last tick its value was recorded at


class Incremental:
    """Step a `Simulator` on the ticks where something can change."""

    def __init__(self, sim: Simulator, interval: float) -> None:
        self.sim = sim
        self.interval = interval
        self.present: dict[str, dict[str, Seen]] = {}  # queue → fingerprint → series
        self.seen: dict[str, Seen] = {}  # fingerprint → series, every queue
        # (kpi, evaluator, *sample labels) → its series' fingerprint, None: not watched
        self.known: dict[tuple[Any, ...], str | None] = {}

    def step(self, n: int, fresh: Mapping[str, list[KpiSample]]) -> float:
        """Evaluate the fresh samples and the due timers at tick n; return the next due."""
        sim, now = self.sim, tick_at(n, self.interval)
        by_kpi: dict[str, list[tuple[str, KpiSample]]] = defaultdict(list)
        for queue, samples in fresh.items():
            for s in samples:
                by_kpi[s.kpi].append((queue, s))
        now_in: dict[str, dict[str, Seen]] = {queue: {} for queue in fresh}
        stepped: set[str] = set()
        known = self.known
        for kpi, evaluators in sim.evaluators.items():  # in the order of `Simulator.step`
            items = by_kpi.get(kpi, ())
            for i, evaluator in enumerate(evaluators):
                rule = evaluator.rule
                for queue, sample in items:
                    key = (kpi, i, *sample.labels.items())
                    fp = known.get(key, "")
                    if fp is None:
                        continue  # a series this rule does not watch
                    old = self.seen.get(fp) if fp else None
                    if (
                        old is not None
                        and old.ev.value == sample.value
                        and old.ev.samples == sample.samples
                    ):
                        now_in[queue][fp] = old  # unchanged: only its timers move it
                        continue
                    if not fp and not evaluator.selects(sample):
                        known[key] = None
                        continue
                    ev = evaluator.evaluate_sample(sample)
                    if not fp:
                        fp = known[key] = fingerprint(ev.labels)
                        old = self.seen.get(fp)
                    if old is not None:
                        self._record(fp, old, n - 1)
                    now_in[queue][fp] = self.seen[fp] = Seen(rule, ev, n)
                    stepped.add(fp)
                    sim.recorder.observe(rule, fp, ev.labels, now, ev.value)
                    prev = sim.store.get(fp)
                    sim.put(rule, prev, lifecycle.step(prev, ev, rule, now), ev.value, now)
        for queue, series in now_in.items():
            for fp, old in self.present.get(queue, {}).items():
                if fp not in series:
                    self._gone(fp, old, n)
            self.present[queue] = series
        t = now.timestamp()
        for state in sim.store:
            fp = state.fingerprint
            seen = self.seen.get(fp)
            if seen is not None and fp not in stepped and _timer(state, seen, now) <= t:
                rule = seen.rule
                sim.put(rule, state, lifecycle.step(state, seen.ev, rule, now), seen.ev.value, now)
        for state in sim.store:
            absent = state.fingerprint not in self.seen and state.state != "resolved"
            if absent and now - state.last_seen >= STALE_AFTER:
                rule = sim.rules[state.rule]
                sim.put(rule, state, lifecycle.expire(state, now), state.value, now)
        sim.tick(now)
        return self.next_due(now)

    def _record(self, fp: str, seen: Seen, last: int) -> None:
        """Record the series' unchanged value at the ticks since it was last recorded."""
        labels = seen.ev.labels
        ticks = (seen.n + 1, last, self.interval)
        self.sim.recorder.hold(seen.rule, fp, labels, seen.ev.value, ticks)
        seen.n = max(seen.n, last)

    def _gone(self, fp: str, old: Seen, n: int) -> None:
        """A series left its queue at tick n: it was last seen at tick n - 1."""
        self._record(fp, old, n - 1)
        del self.seen[fp]
        state = self.sim.store.get(fp)
        before = tick_at(n - 1, self.interval)
        if state is not None and state.last_seen < before:
            self.sim.store.put(fp, dataclasses.replace(state, last_seen=before))

    def next_due(self, now: datetime) -> float:
        """Return when the next timer of an alert or a group comes due (event time)."""
        sim = self.sim
        group = sim.groups.next_due()
        due = group.timestamp() if group is not None else NEVER
        for state in sim.store:
            fp = state.fingerprint
            seen = self.seen.get(fp)
            if seen is None and state.state != "resolved":
                due = min(due, (state.last_seen + STALE_AFTER).timestamp())
            elif seen is not None:
                due = min(due, _timer(state, seen, now))
            if state.state == "resolved" and state.resolved_at is not None:
                told = any(told_firing(state, r) for r in sim.rules[state.rule].receivers)
                keep = max(RESOLVED_RETENTION, TOLD_RETENTION) if told else RESOLVED_RETENTION
                due = min(due, (state.resolved_at + keep).timestamp())
        return due

    def finish(self, last: int) -> None:
        """Record the present series up to tick `last` (the end of the replay)."""
        for fp, seen in self.seen.items():
            self._record(fp, seen, last)


def _timer(state: AlertState, seen: Seen, now: datetime) -> float:
    """Return when a present series' alert moves with its evaluation unchanged."""
    rule, ev = seen.rule, seen.ev
    if state.state == "pending" and ev.breach is Condition.TRUE and state.active_at:
        return (state.active_at + rule.for_).timestamp()
    if state.state == "firing" and ev.holding is Condition.FALSE:
        return ((state.recovering_since or now) + rule.keep_firing_for).timestamp()
    return NEVER
