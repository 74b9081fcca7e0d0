"""Prometheus metrics of alerting, registered in an injected registry.

    metrics = NotifyMetrics(registry)
    registry.register(AlertStatesCollector(engine.rule_state_counts))

| metric | type | labels |
|---|---|---|
| kpiwatch_notifications_sent_total | counter | receiver |
| kpiwatch_notifications_failed_total | counter | receiver, reason (each failed attempt) |
| kpiwatch_notification_retries_total | counter | receiver |
| kpiwatch_notifications_dead_lettered_total | counter | receiver, reason |
| kpiwatch_notification_duration_seconds | histogram | receiver (one HTTP attempt) |
| kpiwatch_notification_queue_length | gauge | receiver |
| kpiwatch_alerts | gauge | rule, state (pending, firing) |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ALERT_STATES = ("pending", "firing")


class NotifyMetrics:
    """Counters and histogram of the notification pipeline."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter(
            "kpiwatch_notifications_sent",
            "Notifications delivered, by receiver.",
            ["receiver"],
            registry=registry,
        )
        self.failed = Counter(
            "kpiwatch_notifications_failed",
            "Failed delivery attempts, by receiver and reason.",
            ["receiver", "reason"],
            registry=registry,
        )
        self.retries = Counter(
            "kpiwatch_notification_retries",
            "Delivery attempts that were retries, by receiver.",
            ["receiver"],
            registry=registry,
        )
        self.dead_lettered = Counter(
            "kpiwatch_notifications_dead_lettered",
            "Notifications given up and sent to the dead-letter topic, by receiver and reason.",
            ["receiver", "reason"],
            registry=registry,
        )
        self.duration = Histogram(
            "kpiwatch_notification_duration_seconds",
            "Duration of one delivery attempt, by receiver.",
            ["receiver"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )


class AlertStatesCollector(Collector):
    """Expose alert counts by rule and state, read at scrape time."""

    def __init__(
        self,
        counts: Callable[[], Mapping[str, Mapping[str, int]]],
        queue_lengths: Callable[[], Mapping[str, int]],
    ) -> None:
        self._counts = counts
        self._queue_lengths = queue_lengths

    def collect(self) -> Iterator[Metric]:
        """Yield the alert-state and queue-length gauges."""
        alerts = GaugeMetricFamily(
            "kpiwatch_alerts", "Alert instances by rule and state.", labels=["rule", "state"]
        )
        for rule, by_state in sorted(self._counts().items()):
            for state in ALERT_STATES:
                alerts.add_metric([rule, state], by_state.get(state, 0))
        yield alerts
        queues = GaugeMetricFamily(
            "kpiwatch_notification_queue_length",
            "Notifications waiting in a receiver's queue.",
            labels=["receiver"],
        )
        for receiver, length in sorted(self._queue_lengths().items()):
            queues.add_metric([receiver], length)
        yield queues

    def describe(self) -> Iterator[Metric]:
        """Describe nothing: metric families vary with the config."""
        return iter(())
