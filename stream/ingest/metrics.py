"""The ingest service's own metrics, on an injected registry.

m = IngestMetrics(CollectorRegistry())
m.requests.labels("zendesk", "200").inc()
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REASONS = ("signature", "unmappable", "rate_limited", "too_large", "unavailable", "disabled")
"""Bounded values of the `reason` label of `kpiwatch_ingest_rejected_total`."""


class IngestMetrics:
    """Requests, events produced, ignored and rejected, dead letters, broker latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "kpiwatch_ingest_requests",
            "HTTP requests to the ingest endpoints, by source and status code.",
            ["source", "code"],
            registry=registry,
        )
        self.produced = Counter(
            "kpiwatch_ingest_events_produced",
            "kpiwatch events written to the input topics (broker-confirmed).",
            ["source", "type"],
            registry=registry,
        )
        self.ignored = Counter(
            "kpiwatch_ingest_events_ignored",
            "Vendor events accepted that mean nothing to kpiwatch (no event produced).",
            ["source"],
            registry=registry,
        )
        self.rejected = Counter(
            "kpiwatch_ingest_rejected",
            "Requests or events refused, by reason (signature, unmappable, rate_limited, ...).",
            ["source", "reason"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "kpiwatch_ingest_dead_letters",
            "Unmappable payloads written to the dead-letter topic with their original body.",
            ["source"],
            registry=registry,
        )
        self.produce_seconds = Histogram(
            "kpiwatch_ingest_produce_seconds",
            "Time from handing records to the producer to the broker's confirmation.",
            ["source"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=registry,
        )
        for source in ("zendesk", "twilio", "connect", "events"):
            for reason in REASONS:
                self.rejected.labels(source, reason)
