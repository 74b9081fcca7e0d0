"""Event-time policy of QueueKpis: any arrival order, late per window, future facts pending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import pytest
from prometheus_client import CollectorRegistry

from stream.app import build_pipeline
from stream.config.root import Config
from stream.entities.views import Fact, View
from stream.kpis.params import KpiParams
from stream.kpis.queue import QueueKpis
from stream.kpis.windows import SlidingWindow

MIN = 60.0
T = 100_000.0


def kpis() -> QueueKpis:
    windows = {"15m": SlidingWindow(900.0), "24h": SlidingWindow(86400.0)}
    return QueueKpis("q", windows, KpiParams())


def call(id_: str, t: float, *facts: Fact, version: int = 1, waiting: float | None = None) -> View:
    return View(
        "call", id_, "q", version, t, active=waiting is not None, since=waiting, facts=facts
    )


def ticket(id_: str, t: float, *facts: Fact) -> View:
    return View("ticket", id_, "q", 1, t, "email", "normal", active=True, facts=facts)


def agent(id_: str, t: float, *facts: Fact) -> View:
    return View("agent", id_, "q", 1, t, facts=facts)


def value(
    q: QueueKpis, kpi: str, now: float, window: str = "24h"
) -> tuple[float | None, int | None]:
    (s,) = [s for s in q.samples(now) if s.kpi == kpi and s.labels.get("window") in (None, window)]
    return s.value, s.samples


def test_a_fact_hours_behind_the_newest_counts_in_the_windows_that_cover_it() -> None:
    q = kpis()
    q.apply(None, call("a", T, ("answered", T, 5.0)))
    list(q.samples(T))  # the windows have moved to T
    assert q.apply(None, call("b", T - 5 * 3600, ("answered", T - 5 * 3600, 7.0))) == [
        ("answered", "15m")
    ]
    assert value(q, "calls_answered", T) == (2.0, None)
    assert value(q, "calls_answered", T, "15m") == (1.0, None)


def test_a_fact_older_than_every_bucket_of_a_window_is_late_there_only() -> None:
    q = kpis()
    list(q.samples(T))
    assert q.apply(None, call("b", T - 25 * 3600, ("abandoned", T - 25 * 3600, 60.0))) == [
        ("abandoned", "15m"),
        ("abandoned", "24h"),
    ]
    assert value(q, "calls_abandoned", T) == (0.0, None)
    # current state still sees it: a call queued long ago and still waiting
    q.apply(None, call("c", T - 25 * 3600, waiting=T - 25 * 3600))
    assert value(q, "calls_waiting", T) == (1.0, None)


# Views of one queue in any order give the same windows (no watermark-based drop).
ORDERS = [
    pytest.param(
        [ticket("t1", T, ("created", T, 0.0)), call("c1", T - 30 * MIN, ("answered", T - 1800, 5))],
        id="calls-behind-tickets",
    ),
    pytest.param(
        [
            call("c1", T, ("answered", T, 5)),
            call("c2", T - 60 * MIN, ("abandoned", T - 3600, 30)),
            agent("a1", T - 30 * MIN, ("occ_busy", T - 40 * MIN, 600)),
            ticket("t2", T - 11 * MIN, ("created", T - 11 * MIN, 0.0), ("frt", T - 11 * MIN, 9)),
        ],
        id="every-source-behind",
    ),
]


@pytest.mark.parametrize("views", ORDERS)
def test_arrival_order_changes_no_value_and_nothing_is_late(views: list[View]) -> None:
    def run(order: list[View]) -> list[tuple[str, dict[str, str], float | None]]:
        q = kpis()
        assert [q.apply(None, v) for v in order] == [[] for _ in order]
        return [(s.kpi, dict(s.labels), s.value) for s in q.samples(T)]

    assert run(views) == run(list(reversed(views)))


def test_retracting_a_fact_its_window_no_longer_holds_changes_nothing() -> None:
    q = kpis()
    old = call("a", T - 3600, ("answered", T - 3600, 5.0))
    q.apply(None, old)
    list(q.samples(T))  # 15m has passed it, 24h holds it
    q.apply(old, call("a", T - 3600, version=2))
    assert value(q, "calls_answered", T) == (0.0, None)
    assert value(q, "calls_answered", T, "15m") == (0.0, None)


def test_restoring_from_the_changelog_reports_nothing_late() -> None:
    q = kpis()
    list(q.samples(T))
    assert q.apply(None, call("b", 1_000, ("answered", 1_000, 5.0)), restoring=True) == []


def test_future_fact_waits_for_its_time_and_can_be_withdrawn() -> None:
    q = kpis()
    v1 = call("a", 100, ("aht", 700, 60.0))  # ended + wrapup timeout
    q.apply(None, v1)
    assert value(q, "aht", 699) == (None, 0)
    v2 = call("a", 300, ("aht", 300, 90.0), version=2)  # the wrap-up came in time
    q.apply(v1, v2)
    assert value(q, "aht", 800) == (pytest.approx(90.0), 1)


@dataclass
class Rec:
    topic: str
    value: bytes
    partition: int = 0
    offset: int = 0
    key: bytes | None = None


def _call_event(id_: str, type_: str, at: float, **f: object) -> Rec:
    body = {
        "event_id": f"{id_}:{type_}",
        "type": type_,
        "call_id": id_,
        "occurred_at": datetime.fromtimestamp(at, UTC).isoformat(),
        **f,
    }
    return Rec("calls.in", orjson.dumps(body))


def test_late_metric_counts_per_source_topic_fact_and_window() -> None:
    registry = CollectorRegistry()
    config = Config.model_validate({"kafka": {"topics": {"calls": "calls.in"}}})
    pipeline = build_pipeline(config, registry)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()
    pipeline.clock = lambda: now

    def feed(*events: Rec) -> None:
        views = pipeline.process_events("calls", events).views
        pipeline.process_views(Rec("kpiwatch-views", v.encode()) for v in views)
        pipeline.snapshot()  # the windows move to `now`

    feed(
        _call_event("c1", "call.queued", now - 60, queue="billing"),
        _call_event("c1", "call.answered", now - 50, agent_id="a1"),
    )
    feed(
        _call_event("c2", "call.queued", now - 3600, queue="billing"),
        _call_event("c2", "call.abandoned", now - 3000),  # 50 min ago: 15m has passed it
    )

    def late(type_: str, window: str) -> float | None:
        labels = {"topic": "calls.in", "type": type_, "window": window}
        return registry.get_sample_value("kpiwatch_events_late_total", labels)

    assert (late("abandoned", "15m"), late("abandoned", "1h"), late("answered", "15m")) == (
        1.0,
        None,
        None,
    )
