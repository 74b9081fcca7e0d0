"""The incremental evaluation decides exactly what evaluating everything every tick does.

`Plan(oracle=True)` samples every KPI of every queue and steps every rule at every
tick (the plain reading of the live engine); the default samples a queue only when
a view reached it or its KPIs move with time, and steps an alert only on a fresh
value or a due timer. The two reports must be equal, byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from stream.backtest.horizon import tick_at
from stream.backtest.record import Series
from stream.backtest.replay import Replay
from stream.backtest.run import Plan, backtest
from stream.backtest.sources import Bad, file_records, in_time_order
from stream.backtest.sweep import parse_sweep
from stream.config.root import load_config
from stream.dev.history_file import write_history
from stream.dev.traffic import Incident
from tests.backtest.helpers import T0, config, write_jsonl
from tests.backtest.test_hand_computed import events

START = datetime(2026, 11, 30, tzinfo=UTC)


def _report(plan: Plan) -> str:
    doc: dict[str, Any] = backtest(plan)
    doc["replay"].pop("seconds")
    doc["replay"].pop("ticks")  # how many were evaluated: what the incremental path saves
    return json.dumps(doc, indent=1, sort_keys=True)


def test_demo_traffic_report_equals_the_full_evaluation(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    span, evaluated = timedelta(minutes=20), timedelta(minutes=5)
    incident = Incident(start_after=span - evaluated, duration=evaluated / 2)
    write_history(path, start=START, duration=span, rate=0.5, seed=7, incident=incident)
    sweeps = [parse_sweep("AbandonRateHigh.for=0s:1m:1m"), parse_sweep("SlaAtRisk.threshold=2:4:2")]

    def plan(oracle: bool) -> Plan:
        return Plan(
            load_config(Path("config/demo.yaml")),
            START + span - evaluated,
            START + span,
            lambda _since: file_records([path]),
            sweeps=sweeps,
            oracle=oracle,
        )

    fast = _report(plan(False))
    assert fast == _report(plan(True))
    doc = json.loads(fast)
    assert sum(r["totals"]["pages"] for r in doc["rules"]) > 0  # the incident pages
    assert any(a.get("series") for r in doc["rules"] for a in r["alerts"])


def test_hand_computed_report_equals_the_full_evaluation(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "day.jsonl", events())
    reports = [
        _report(
            Plan(
                config(keep_firing_for="1m"),
                T0,
                T0 + timedelta(minutes=40),
                lambda _since: file_records([path]),
                oracle=oracle,
            )
        )
        for oracle in (False, True)
    ]
    assert reports[0] == reports[1]


def test_quiet_ticks_are_skipped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "day.jsonl", events())
    cfg = config()
    replay = Replay(cfg)
    quiet = Replay(cfg, rules=cfg.rules)
    start, end = T0.timestamp(), (T0 + timedelta(hours=2)).timestamp()
    for r in (replay, quiet):
        records = (e for e in in_time_order(file_records([path]), 0.0) if not isinstance(e, Bad))
        r.run(records, start, end, lambda _n, _fresh: float("inf"))
    assert replay.ticks == 2 * 3600 / 0.5 + 1
    # events in minutes 6-20, windows of 15m in 15 s buckets: nothing moves after ~36m
    assert quiet.ticks < 40 * 60 / 15 + 50


@pytest.mark.parametrize("bucket", [1.0, 2.4, 7.0, 60.0])
@pytest.mark.parametrize("interval", [0.5, 1.0, 60.0])
def test_series_hold_is_observing_at_every_tick(bucket: float, interval: float) -> None:
    each, held = Series(bucket, True), Series(bucket, True)
    for s in (each, held):
        s.add(tick_at(3, interval).timestamp(), 5.0)
    for n in range(4, 400):
        each.add(tick_at(n, interval).timestamp(), 2.0)
    held.hold(2.0, 4, 399, interval)
    assert held.points == each.points
