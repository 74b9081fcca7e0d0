"""What `kpiwatch backtest` does: replay once per KPI core, simulate every variant.

    doc = backtest(Plan(config, start, end, open_records), progress=print)

The candidate config, the baseline and every sweep value are simulated on the
same ticks; configs whose KPI definitions differ get a replay each.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alerts.config import Rule
from alerts.snapshot import KpiSample
from stream.backtest import report
from stream.backtest.core import core_key, warmup_seconds
from stream.backtest.horizon import NEVER, tick_at
from stream.backtest.incremental import Incremental
from stream.backtest.record import Recorder
from stream.backtest.replay import Replay
from stream.backtest.simulate import Simulator
from stream.backtest.sources import Raw, in_time_order
from stream.backtest.sweep import Sweep
from stream.config.root import Config

OpenRecords = Callable[[float], Iterable[Raw]]  # records from (at least) this event time on
Progress = Callable[[float, float, float], None]  # (done, total, events) in seconds


@dataclass
class Plan:
    """Everything one backtest needs."""

    config: Config
    start: datetime
    end: datetime
    records: OpenRecords
    baseline: Config | None = None
    rules: frozenset[str] = frozenset()
    queue: str | None = None
    sweeps: Sequence[Sweep] = ()
    flap_window: timedelta = timedelta(minutes=15)
    step: timedelta | None = None  # evaluation cadence; None: worker.evaluation_interval
    labels: dict[str, str] = field(default_factory=dict)  # config file names, for the report
    oracle: bool = False  # every KPI, every rule, every tick: what the incremental path must equal


@dataclass
class _Variant:
    name: str
    config: Config
    rules: list[Rule]
    recorder: Recorder
    sim: Simulator
    inc: Incremental


def _variant(name: str, config: Config, rules: list[Rule], plan: Plan, series: bool) -> _Variant:
    rec = Recorder(plan.start, plan.end, plan.flap_window, series=series)
    sim = Simulator(rules, config.receivers, config.silences, config.inhibit_rules, rec)
    interval = (plan.step or config.worker.evaluation_interval).total_seconds()
    return _Variant(name, config, rules, rec, sim, Incremental(sim, interval))


def _variants(plan: Plan) -> list[_Variant]:
    out = [_variant("candidate", plan.config, list(plan.config.rules), plan, True)]
    if plan.baseline is not None:
        out.append(_variant("baseline", plan.baseline, list(plan.baseline.rules), plan, False))
    for i, sweep in enumerate(plan.sweeps):
        for value, rules in sweep.variants(plan.config.rules):
            out.append(_variant(f"sweep{i}={value}", plan.config, rules, plan, False))
    return out


def _replay(
    config: Config, variants: list[_Variant], plan: Plan, progress: Progress | None
) -> Replay:
    rules = None if plan.oracle else [r for v in variants for r in v.rules]
    replay = Replay(config, plan.step.total_seconds() if plan.step else None, rules)
    start, end = plan.start.timestamp(), plan.end.timestamp()
    since = start - warmup_seconds(config)
    # sort history within this much event time (allowed_lateness is retired; the windows
    # take any order, this only bounds the replay's own reordering buffer)
    reorder = config.replay_threshold.total_seconds()

    def on_tick(n: int, fresh: dict[str, list[KpiSample]]) -> float:
        if not plan.oracle:
            return min(v.inc.step(n, fresh) for v in variants)
        by_kpi: dict[str, list[KpiSample]] = defaultdict(list)
        for samples in fresh.values():
            for s in samples:
                by_kpi[s.kpi].append(s)
        at = tick_at(n, replay.interval)
        for v in variants:
            v.sim.step(at, by_kpi)
        return NEVER

    def moved(t: float) -> None:
        if progress is not None:
            progress(max(0.0, t - start), end - start, float(replay.counts["accepted"]))

    replay.run(in_time_order(plan.records(since), reorder), start, end, on_tick, moved)
    for v in variants:
        v.inc.finish(replay.last_n)
        v.recorder.close(plan.end)
    return replay


def backtest(plan: Plan, progress: Progress | None = None) -> dict[str, Any]:
    """Run the plan; return the report document."""
    began = time.monotonic()
    variants = _variants(plan)
    cores: dict[str, list[_Variant]] = defaultdict(list)
    for v in variants:
        cores[core_key(v.config)].append(v)
    replays = [_replay(vs[0].config, vs, plan, progress) for vs in cores.values()]
    main = replays[0]
    by_name = {v.name: v for v in variants}
    cand = by_name["candidate"]
    names, queue = plan.rules, plan.queue
    doc: dict[str, Any] = {
        "version": report.SCHEMA_VERSION,
        "period": {
            "from": plan.start.isoformat(),
            "to": plan.end.isoformat(),
            "warmup_s": warmup_seconds(plan.config),
            "evaluation_interval_s": main.interval,
            "exact": main.interval == plan.config.worker.evaluation_interval.total_seconds(),
        },
        "files": plan.labels,
        "filters": {"rules": sorted(names), "queue": queue},
        "replay": {
            "events": dict(sorted(main.counts.items())),
            "bad": {
                "total": main.bad.total,
                "reasons": dict(main.bad.reasons.most_common(20)),
                "first": [{"origin": b.origin, "reason": b.reason} for b in main.bad.first],
            },
            "seconds": round(time.monotonic() - began, 3),
            "ticks": {"total": main.last_n - main.first_n + 1, "evaluated": main.ticks},
            "replays": len(replays),
        },
        "rules": report.rules_report(cand.rules, cand.recorder, names, queue),
        "notifications": _log(cand.recorder.log, names, queue),
        "baseline": None,
        "differences": [],
        "sweeps": [],
    }
    if "baseline" in by_name:
        base = by_name["baseline"]
        doc["baseline"] = report.rules_report(base.rules, base.recorder, names, queue, False)
        doc["differences"] = report.differences(
            report.rules_report(cand.rules, cand.recorder, names, queue, False), doc["baseline"]
        )
    for i, sweep in enumerate(plan.sweeps):
        rows = []
        for value in sweep.values:
            v = by_name[f"sweep{i}={value}"]
            rule = [r for r in v.rules if r.name == sweep.rule]
            totals = report.rules_report(rule, v.recorder, None, queue, False)[0]["totals"]
            rows.append((value, sweep.label(value), totals))
        current = _current(plan.config.rules, sweep)
        doc["sweeps"].append(
            {
                "rule": sweep.rule,
                "param": sweep.param,
                "current": current,
                "rows": report.sweep_rows(rows),
            }
        )
    return doc


def _current(rules: Sequence[Rule], sweep: Sweep) -> float | None:
    for r in rules:
        if r.name == sweep.rule:
            values = {
                "threshold": r.threshold,
                "recovery_threshold": r.recovery,
                "min_samples": float(r.min_samples),
                "for": r.for_.total_seconds(),
                "keep_firing_for": r.keep_firing_for.total_seconds(),
            }
            return values[sweep.param]
    return None


def _log(log: list[dict[str, Any]], names: frozenset[str], queue: str | None) -> list[Any]:
    out = []
    for n in log:
        alerts = [
            a
            for a in n["alerts"]
            if (not names or a["labels"].get("alertname") in names)
            and (queue is None or a["labels"].get("queue") == queue)
        ]
        if alerts:
            out.append({**n, "alerts": alerts})
    return out
