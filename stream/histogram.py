"""A Prometheus histogram fed a batch of values at a time (no metric call per value).

`prometheus_client.Histogram.observe` takes a lock and walks the buckets for every
value; the pipeline observes one processing lag per event, so it counts a batch's
values into buckets first and adds them once. The exposition is the client library's
own (`HistogramMetricFamily`), the same text a `Histogram` renders (tested).

    lag = BatchHistogram("kpiwatch_event_processing_lag_seconds", "…", (0.1, 1, 10), registry)
    lag.observe_many([0.2, 0.4, 12.0])
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString


class BatchHistogram(Collector):
    """A label-less histogram whose values arrive in batches."""

    def __init__(
        self, name: str, documentation: str, buckets: Sequence[float], registry: CollectorRegistry
    ) -> None:
        self.name, self.documentation = name, documentation
        self._bounds = tuple(float(b) for b in buckets if float(b) != INF)
        self._les = [floatToGoString(b) for b in (*self._bounds, INF)]  # type: ignore[no-untyped-call]
        self._counts = [0] * (len(self._bounds) + 1)  # the last: above every bound (+Inf)
        self._sum = 0.0
        self._lock = threading.Lock()  # scrapes render in a thread
        registry.register(self)

    def observe_many(self, values: Sequence[float]) -> None:
        """Count `values` (a value equal to a bound falls in that bound's bucket)."""
        if not values:
            return
        bounds, counts = self._bounds, [0] * len(self._counts)
        for v in values:
            counts[bisect_left(bounds, v)] += 1
        total = sum(values)
        with self._lock:
            mine = self._counts
            for i, c in enumerate(counts):
                if c:
                    mine[i] += c
            self._sum += total

    def observe(self, value: float) -> None:
        """Count one value."""
        self.observe_many((value,))

    def collect(self) -> Iterator[Metric]:
        """Yield the histogram with cumulative buckets, as `Histogram` exposes it."""
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative, buckets = 0, []
        for le, c in zip(self._les, counts, strict=True):
            cumulative += c
            buckets.append((le, float(cumulative)))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets, sum_value=total)
