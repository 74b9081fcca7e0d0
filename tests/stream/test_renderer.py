"""The Renderer: byte for byte `generate_latest`, render after render, while label sets
come and go, and it keeps only the series texts its last render used."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    Exemplar,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from alerts.metrics import AlertStatesCollector, NotifyMetrics
from alerts.snapshot import KpiSample, KpiSnapshot
from stream.kpis.catalogue import KPIS
from stream.metrics import KpiCollector, broker_collector, catching_up_collector, lag_collector
from stream.render import Renderer
from tests.stream.pipeline.test_queue_limit import _pipeline, _queue

ODD = ["billing", 'we"ird', "back\\slash", "new\nline", "ünï", "", 'all\\"\n']
VALUES = [
    0.0,
    -0.0,
    1.0,
    0.1,
    -2.5,
    1e-7,
    1234567.0,
    12345678.0,
    1e22,
    math.nan,
    math.inf,
    -math.inf,
]
FRT = {"window": "1h", "channel": "chat", "priority": ""}  # what frt samples carry


class _Families(Collector):
    """Every family type the client has, its label sets and values from one render step."""

    def __init__(self, queues: list[str], step: int) -> None:
        self.queues, self.step = queues, step

    def collect(self) -> Iterator[Metric]:
        v = VALUES[self.step % len(VALUES)]
        c = CounterMetricFamily("k_events", "Events\\ seen\nby queue.", labels=["queue", "type"])
        g = GaugeMetricFamily("k_depth", "Depth.", labels=["queue"])
        h = HistogramMetricFamily("k_lag_seconds", "Lag.", labels=["queue"])
        s = SummaryMetricFamily("k_wait", "Wait.", labels=["queue"])
        gh = GaugeHistogramMetricFamily("k_backlog", "Backlog.", labels=["queue"])
        for i, q in enumerate(self.queues):
            c.add_metric([q, "a"], i + self.step, created=1_700_000_000.5 + i)
            g.add_metric([q], v, timestamp=1_700_000_000.123 + self.step)
            h.add_metric([q], [("0.5", 1.0, Exemplar({"trace": q}, 0.2)), ("+Inf", 2.0 + i)], 3.5)
            h.add_sample("k_lag_seconds_created", {"queue": q}, 1.25)
            s.add_metric([q], count_value=i, sum_value=v)
            s.add_sample("k_wait_created", {"queue": q}, 2.0)
            gh.add_metric([q], [("1.0", 4.0), ("+Inf", 5.0)], gsum_value=v)
        yield from (c, g, h, s, gh)
        yield InfoMetricFamily("k_build", "Build.", value={"version": self.queues[0]})
        yield StateSetMetricFamily("k_mode", "Mode.", value={"live": self.step % 2 == 0})
        untyped = Metric("k_other", "Other.", "untyped")
        untyped.add_sample("k_other", {"z": "1", "a": self.queues[-1]}, v)
        yield untyped
        yield GaugeMetricFamily("k_empty", "No samples.")


def test_families_match_generate_latest_as_label_sets_change() -> None:
    renderer = Renderer()
    steps = [ODD[:3], ODD[1:5], ODD, ["billing"], ODD[4:], ODD[:3]]  # queues come and go
    for step, queues in enumerate(steps):
        families = _Families(queues, step)
        assert renderer.families(families.collect()) == generate_latest(families)
        fresh = Renderer()
        fresh.families(families.collect())
        assert renderer.kept() == fresh.kept()  # only what this render used


def test_a_kpi_metric_has_one_set_of_label_names() -> None:
    """What the snapshot's series keys rely on (metric and label values)."""
    metrics = [d.metric for name, d in KPIS.items() if not name.startswith("agents_")]
    assert len(metrics) == len(set(metrics))


def _kpi_samples(queues: list[str], step: int) -> list[KpiSample]:
    """Return a sample of every catalogue KPI (and agents, and an unknown KPI) per queue."""
    out: list[KpiSample] = []
    for i, q in enumerate(queues):
        v = VALUES[(step + i) % len(VALUES)]
        for name, d in KPIS.items():
            labels = {k: "x" for k in d.labels} | {"queue": q}
            for stat in (*d.stats, "p99") if d.stats else ():  # p99: skipped by both
                out.append(KpiSample(name, {**labels, "stat": stat}, v, i + step))
            out.append(KpiSample(name, labels, v if (i + step) % 3 else None, i or None))
        out.append(KpiSample("agents_away", {"status": "away", "queue": q}, v))
        out.append(KpiSample("not_a_kpi", {"queue": q}, 1.0))
    return out


def _same_as_collector(renderer: Renderer, snapshot: KpiSnapshot) -> None:
    registry = CollectorRegistry()
    registry.register(KpiCollector(lambda: snapshot))
    assert renderer.snapshot(snapshot) == generate_latest(registry)
    fresh = Renderer()
    fresh.snapshot(snapshot)
    assert renderer.kept() == fresh.kept()  # label sets gone were dropped


def test_kpi_text_matches_the_collector_as_queues_come_and_go() -> None:
    renderer = Renderer()
    steps = [ODD[:3], ODD[1:5], ODD, ["billing"], [], ODD[4:], ODD[:3]]
    for step, queues in enumerate(steps):
        at = datetime.fromtimestamp(1_800_000_000.25 + step, UTC)
        _same_as_collector(renderer, KpiSnapshot(at, tuple(_kpi_samples(queues, step))))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(ODD), st.sampled_from(VALUES), st.integers(0, 3))),
        min_size=1,
        max_size=4,
    )
)
def test_kpi_text_matches_the_collector_for_any_renders(
    renders: list[list[tuple[str, float, int]]],
) -> None:
    renderer = Renderer()
    for step, series in enumerate(renders):
        samples = [
            KpiSample(kpi, {**FRT, "queue": q, "stat": stat}, v, n)
            for q, v, n in series
            for kpi, stat in [("abandon_rate", ""), ("frt", "mean"), ("frt", "p90")]
        ]
        at = datetime.fromtimestamp(1_800_000_000 + step, UTC)
        _same_as_collector(renderer, KpiSnapshot(at, tuple(samples)))


def test_the_worker_collectors_and_kpis_over_renders() -> None:
    p, registry = _pipeline(1000, 1)
    lags = {("tickets", 0): 3}
    registry.register(lag_collector(lambda: lags))
    registry.register(broker_collector(lambda: True))
    registry.register(catching_up_collector(lambda: False))
    notify = NotifyMetrics(registry)  # what the alert engine registers
    states: dict[str, dict[str, int]] = {}
    registry.register(AlertStatesCollector(lambda: states, lambda: {"hook": len(states)}))
    renderer, kpis = Renderer(), Renderer()
    for step, queues in enumerate([["a", 'b"'], ["a", 'b"', "c\\"], ["c\\"], ["d\n"]]):
        for q in queues:
            _queue(p, q, 0, call=f"c-{q}-{step}")
        p.metrics.state_writes.labels(f"stage{step}").inc()
        lags[("calls", step)] = step
        notify.sent.labels(f'hook "{step}"').inc()
        notify.failed.labels("hook", "timeout\\n" if step % 2 else "5xx").inc()
        notify.duration.labels("slack").observe(step / 7)
        states[f"rule{step}"] = {"firing": step}
        assert renderer.families(registry.collect()) == generate_latest(registry)
        snapshot = p.snapshot()
        # queues that left: their samples are not in this snapshot
        kept = KpiSnapshot(snapshot.at, tuple(s for s in snapshot if s.labels["queue"] in queues))
        assert b'queue="' in kpis.snapshot(snapshot)
        _same_as_collector(kpis, kept)
