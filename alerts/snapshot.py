"""The KPI snapshot: the one thing the stream side hands to alerting.

`alerts/` never imports `stream/`; the stream side builds these plain values
and passes them in.

    snap = KpiSnapshot(at=now, samples=(
        KpiSample("abandon_rate", {"queue": "billing", "window": "15m"}, 0.12, 40),
        KpiSample("calls_waiting", {"queue": "billing"}, 7.0, None),
    ))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class KpiSample:
    """One KPI value for one label set.

    `kpi` is a KPI name of SPEC §2 (`abandon_rate`, `frt`, ...). `labels` holds
    the bounded dimensions (queue, window, channel, priority, target, status)
    and, for `frt`/`resolution_time`, `stat` (mean, p50, p90). `value` is None
    when a windowed KPI has no observation yet. `samples` is the number of
    observations behind a windowed ratio or mean, None for current-state gauges.
    """

    kpi: str
    labels: Mapping[str, str]
    value: float | None
    samples: int | None = None


@dataclass(frozen=True, slots=True)
class KpiSnapshot:
    """All KPI samples one worker owns, as of `at` (the KPI clock)."""

    at: datetime
    samples: tuple[KpiSample, ...] = field(default_factory=tuple)

    def __iter__(self) -> Iterator[KpiSample]:
        return iter(self.samples)

    def of(self, kpi: str) -> list[KpiSample]:
        """Return the samples of one KPI."""
        return [s for s in self.samples if s.kpi == kpi]
