"""The evaluate stage: rules over a KPI snapshot step each alert's lifecycle.

    Evaluate(rules, store, stale_after).run(snapshot)

Lifecycle transitions run on the KPI clock (`snapshot.at`). An alert whose
series left the snapshot for `stale_after` resolves (`lifecycle.expire`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from alerts import lifecycle
from alerts.fingerprint import fingerprint
from alerts.rulebook import RuleBook
from alerts.snapshot import KpiSample, KpiSnapshot
from alerts.store import AlertStore


class Evaluate:
    """Step every selected series' alert; expire alerts whose series went away."""

    def __init__(self, rules: RuleBook, store: AlertStore, stale_after: timedelta) -> None:
        self._rules = rules
        self._store = store
        self.stale_after = stale_after

    def run(self, snapshot: KpiSnapshot) -> None:
        """Evaluate every rule against `snapshot`, storing the new alert states."""
        now, store = snapshot.at, self._store
        by_kpi: dict[str, list[KpiSample]] = defaultdict(list)
        for sample in snapshot.samples:
            by_kpi[sample.kpi].append(sample)
        seen: set[str] = set()
        for kpi, evaluators in self._rules.evaluators.items():
            for evaluator in evaluators:
                for sample in by_kpi.get(kpi, ()):
                    if not evaluator.selects(sample):
                        continue
                    ev = evaluator.evaluate_sample(sample)
                    fp = fingerprint(ev.labels)
                    seen.add(fp)
                    store.put(fp, lifecycle.step(store.get(fp), ev, evaluator.rule, now))
        for state in store:
            absent = state.fingerprint not in seen and state.state != "resolved"
            if absent and now - state.last_seen >= self.stale_after:
                store.put(state.fingerprint, lifecycle.expire(state, now))
