"""Prometheus exposition: the KPI snapshot collector and pipeline self-metrics.

    registry = CollectorRegistry()
    registry.register(KpiCollector(lambda: snapshot))
    pm = PipelineMetrics(registry)

KPI series come from the snapshot at scrape time; the catalogue says which
metric, labels and type each KPI has. A windowed ratio with no observation is
left out (its `_samples` series says 0) rather than exposed as NaN; a summary
with no observation in its window keeps `_sum 0` and `_count 0` and has no
`quantile` samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alerts.snapshot import KpiSample, KpiSnapshot
from stream.histogram import BatchHistogram
from stream.kpis.catalogue import KPIS, KpiDef, KpiKind

LabelValues = TypeVar("LabelValues", bound=tuple[str, ...])
_QUANTILE = {"p50": "0.5", "p90": "0.9"}
_AGENTS = "kpiwatch_agents"


class KpiCollector(Collector):
    """Expose the KPI snapshot returned by `snapshot()` at each scrape."""

    def __init__(self, snapshot: Callable[[], KpiSnapshot]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        """Yield one metric family per KPI metric."""
        families: dict[str, Metric] = {}
        snap = self.snapshot()
        clock = GaugeMetricFamily(
            "kpiwatch_kpi_time_seconds",
            "The instant the KPI values of this scrape are evaluated at (Unix time): the"
            " wall clock when live, the newest event time when replaying history.",
        )
        clock.add_metric([], snap.at.timestamp())
        families[clock.name] = clock
        for s in snap:
            if s.kpi.startswith("agents_"):
                self._agents(families, s)
                continue
            d = KPIS.get(s.kpi)
            if d is None:
                continue
            if d.kind is KpiKind.SUMMARY:
                self._summary(families, d, s)
            else:
                self._gauge(families, d, s)
        yield from families.values()

    @staticmethod
    def _family(families: dict[str, Metric], name: str, doc: str, kind: str) -> Metric:
        fam = families.get(name)
        if fam is None:
            fam = families[name] = Metric(name, doc, kind)
        return fam

    def _gauge(self, families: dict[str, Metric], d: KpiDef, s: KpiSample) -> None:
        labels = {k: s.labels[k] for k in d.labels}
        if s.value is not None:
            self._family(families, d.metric, d.help, "gauge").add_sample(d.metric, labels, s.value)
        if d.samples_metric and s.samples is not None:
            fam = self._family(
                families,
                d.samples_metric,
                f"Observations behind {d.metric} in the window.",
                "gauge",
            )
            fam.add_sample(d.samples_metric, labels, float(s.samples))

    def _summary(self, families: dict[str, Metric], d: KpiDef, s: KpiSample) -> None:
        labels = {k: s.labels[k] for k in d.labels}
        fam = self._family(families, d.metric, d.help, "summary")
        stat = s.labels.get("stat")
        if stat == "mean" and s.samples is not None:  # 0 observations: _sum 0, _count 0
            total = s.value * s.samples if s.value is not None else 0.0
            fam.add_sample(d.metric + "_sum", labels, total)
            fam.add_sample(d.metric + "_count", labels, float(s.samples))
        elif stat in _QUANTILE and s.value is not None:
            fam.add_sample(d.metric, {**labels, "quantile": _QUANTILE[stat]}, s.value)

    def _agents(self, families: dict[str, Metric], s: KpiSample) -> None:
        fam = families.get(_AGENTS)
        if fam is None:
            fam = families[_AGENTS] = GaugeMetricFamily(
                _AGENTS, "Agents per queue by current status.", labels=["queue", "status"]
            )
        fam.add_sample(_AGENTS, dict(s.labels), s.value or 0.0)


class PipelineMetrics:
    """The worker's own health: events, lag, batches, state writes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        tt = ["topic", "type"]
        self.accepted = Counter(
            "kpiwatch_events_accepted", "Events applied to KPI state.", tt, registry=registry
        )
        self.rejected = Counter(
            "kpiwatch_events_rejected",
            "Events rejected to the dead-letter topic.",
            tt,
            registry=registry,
        )
        self.duplicate = Counter(
            "kpiwatch_events_duplicate",
            "Events ignored as duplicates of an earlier event_id.",
            tt,
            registry=registry,
        )
        self.late = Counter(
            "kpiwatch_events_late",
            "Observations (type) that arrived after `window` had passed their time:"
            " older than its oldest live bucket, so not in it (longer windows count them).",
            [*tt, "window"],
            registry=registry,
        )
        self.unplaced = Counter(
            "kpiwatch_events_unplaced",
            "Events applied whose entity is in no queue (yet): an agent with no known"
            " queues, a ticket event before its ticket.created.",
            tt,
            registry=registry,
        )
        self.lag = BatchHistogram(  # one observation per event: counted a batch at a time
            "kpiwatch_event_processing_lag_seconds",
            "Processing time minus event time (occurred_at).",
            (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
            registry,
        )
        self.views = Counter(
            "kpiwatch_views_applied", "Entity views applied to queue KPIs.", registry=registry
        )
        self.state_writes = Counter(
            "kpiwatch_state_writes",
            "Changelog records written (coalesced per batch).",
            ["stage"],
            registry=registry,
        )
        self.batch = Histogram(
            "kpiwatch_batch_size",
            "Records per processed batch.",
            ["stage"],
            buckets=(1, 10, 100, 500, 1000, 2000, 5000),
            registry=registry,
        )
        self.ready = Gauge(
            "kpiwatch_worker_ready",
            "1 once partitions are assigned and state is recovered.",
            registry=registry,
        )
        self.queue_limit = Counter(
            "kpiwatch_views_over_queue_limit",
            "Views of queues beyond limits.max_queues, dead-lettered instead of kept.",
            registry=registry,
        )
        self.dead_letters = Counter(
            "kpiwatch_dead_letters",
            "Records written to the dead-letter topic.",
            ["source"],
            registry=registry,
        )

    def count(self, counter: Counter, tallies: Mapping[LabelValues, int]) -> None:
        """Add per-batch tallies keyed by their label values to a labelled counter."""
        for labels, n in tallies.items():
            counter.labels(*labels).inc(n)


def lag_of(
    offsets: Mapping[tuple[str, int], tuple[int, int | None]],
    ends: Mapping[tuple[str, int], int],
) -> dict[tuple[str, int], int]:
    """Return end − committed per partition from (committed, high-water) and probed ends."""
    # the end: the larger of the consumer's high-water mark (from its last fetch, frozen
    # while it cannot fetch) and `ends`, the broker's answer to the last probe (on Tansu
    # the last batch's base offset + 1: never past the true end)
    out: dict[tuple[str, int], int] = {}
    for tp, (done, hw) in offsets.items():
        end = max(hw if hw is not None else -1, ends.get(tp, -1))
        if end >= 0:
            out[tp] = max(0, end - done)
    return out


def lag_collector(lags: Callable[[], dict[tuple[str, int], int]]) -> Collector:
    """Return a collector exposing consumer lag per topic partition."""

    class _Lag(Collector):
        def collect(self) -> Iterator[Metric]:
            fam = GaugeMetricFamily(
                "kpiwatch_consumer_lag_records",
                "Records not yet processed (end offset − committed offset); the end is"
                " the broker's, asked every 2 s (last known while kpiwatch_broker_up is 0).",
                labels=["topic", "partition"],
            )
            for (topic, part), n in sorted(lags().items()):
                fam.add_metric([topic, str(part)], float(n))
            yield fam

    return _Lag()


def broker_collector(up: Callable[[], bool]) -> Collector:
    """Return a collector exposing whether the broker answered the worker's last probe."""

    class _Broker(Collector):
        def collect(self) -> Iterator[Metric]:
            fam = GaugeMetricFamily(
                "kpiwatch_broker_up",
                "1 if the broker answered the last connectivity probe (every 2 s), else 0.",
            )
            fam.add_metric([], 1.0 if up() else 0.0)
            yield fam

    return _Broker()


def catching_up_collector(catching_up: Callable[[], bool]) -> Collector:
    """Return a collector exposing whether the worker is catching up on a backlog."""

    class _CatchingUp(Collector):
        def collect(self) -> Iterator[Metric]:
            fam = GaugeMetricFamily(
                "kpiwatch_catching_up",
                "1 while the worker reads a backlog (records behind, or replaying history):"
                " alerts step on event time but notify nobody; 0 once live.",
            )
            fam.add_metric([], 1.0 if catching_up() else 0.0)
            yield fam

    return _CatchingUp()
