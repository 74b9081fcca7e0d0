"""The KPI collector: summaries with and without observations in a window, promtool-clean."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from alerts.snapshot import KpiSnapshot
from stream.metrics import KpiCollector, lag_of
from tests.deploy.tools import require
from tests.stream.kpis.harness import Harness, ticket

FRT = "kpiwatch_first_response_seconds"
LABELS = {"queue": "q", "channel": "email", "priority": "normal"}


def _registry(h: Harness, now: float) -> CollectorRegistry:
    registry = CollectorRegistry()
    snapshot = KpiSnapshot(datetime.now(UTC), tuple(h.samples(now)))
    registry.register(KpiCollector(lambda: snapshot))
    return registry


@pytest.fixture
def answered() -> Harness:
    """One ticket created at 0 s and first answered at 100 s (FRT 100 s)."""
    h = Harness()
    h.send(
        ticket("t", "ticket.created", 0, queue="q", channel="email", priority="normal"),
        ticket("t", "ticket.replied", 100, author="agent"),
    )
    return h


# (now, window, _count, _sum, p50) at 1100 s the reply has left 15m but not 1h
CASES = [
    (1100, "1h", 1.0, 100.0, pytest.approx(100.0, rel=0.01)),
    (1100, "15m", 0.0, 0.0, None),  # no observation: _count 0, _sum 0, no quantile
    (1100, "24h", 1.0, 100.0, pytest.approx(100.0, rel=0.01)),
    (2 * 86400, "1h", None, None, None),  # no window holds it any more: no series at all
]


@pytest.mark.parametrize(("now", "window", "count", "total", "p50"), CASES)
def test_summary_series(
    answered: Harness,
    now: float,
    window: str,
    count: float | None,
    total: float | None,
    p50: object,
) -> None:
    registry = _registry(answered, now)
    labels = {**LABELS, "window": window}
    got = (
        registry.get_sample_value(FRT + "_count", labels),
        registry.get_sample_value(FRT + "_sum", labels),
        registry.get_sample_value(FRT, {**labels, "quantile": "0.5"}),
    )
    assert got == (count, total, p50)


def test_exposition_passes_promtool(answered: Harness) -> None:
    promtool = require("promtool", apt="prometheus")
    body = generate_latest(_registry(answered, 1100))
    assert b'window="15m"} 0.0' in body  # the empty summary is there
    done = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("offsets", "ends", "lag"),
    [
        ({("t", 0): (10, 160)}, {("t", 0): 5010}, {("t", 0): 5000}),  # fetch frozen: the probe's
        ({("t", 0): (10, 160)}, {}, {("t", 0): 150}),  # not probed yet: the last fetch's
        ({("t", 0): (10, 160)}, {("t", 0): 159}, {("t", 0): 150}),  # Tansu's short end
        ({("t", 0): (10, None)}, {("t", 0): 12}, {("t", 0): 2}),  # nothing fetched yet
        ({("t", 0): (10, None)}, {}, {}),  # nothing known: no series
        ({("t", 0): (10, 8)}, {}, {("t", 0): 0}),  # never negative
    ],
)
def test_lag_takes_the_furthest_known_end(
    offsets: dict[tuple[str, int], tuple[int, int | None]],
    ends: dict[tuple[str, int], int],
    lag: dict[tuple[str, int], int],
) -> None:
    assert lag_of(offsets, ends) == lag
