"""Event-time policy of QueueKpis: live, late and future (pending) facts, per source."""

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


def kpis() -> QueueKpis:
    return QueueKpis("q", {"24h": SlidingWindow(86400.0)}, KpiParams(allowed_lateness=600.0))


def call(id_: str, t: float, *facts: Fact, version: int = 1, waiting: float | None = None) -> View:
    return View(
        "call", id_, "q", version, t, active=waiting is not None, since=waiting, facts=facts
    )


def ticket(id_: str, t: float, *facts: Fact) -> View:
    return View("ticket", id_, "q", 1, t, "email", "normal", active=True, facts=facts)


def agent(id_: str, t: float, *facts: Fact) -> View:
    return View("agent", id_, "q", 1, t, facts=facts)


def value(q: QueueKpis, kpi: str, now: float) -> tuple[float | None, int | None]:
    (s,) = [s for s in q.samples(now) if s.kpi == kpi and s.labels.get("window") in (None, "24h")]
    return s.value, s.samples


def test_fact_within_allowed_lateness_updates_its_window() -> None:
    q = kpis()
    assert q.apply(None, call("a", 10_000, ("answered", 10_000, 5.0))) == []
    assert q.apply(None, call("b", 9_500, ("answered", 9_400, 7.0))) == []  # 600 s behind
    assert value(q, "calls_answered", 10_000) == (2.0, None)


def test_fact_beyond_allowed_lateness_is_late_and_current_state_only() -> None:
    q = kpis()
    q.apply(None, call("a", 10_000, ("answered", 10_000, 5.0)))
    late = call("b", 9_000, ("abandoned", 9_000, 60.0))
    assert q.apply(None, late) == ["abandoned"]
    assert value(q, "calls_abandoned", 10_000) == (0.0, None)
    # current state still sees a late view: a late-arriving queued call is waiting
    assert q.apply(None, call("c", 5_000, waiting=5_000)) == []
    assert value(q, "calls_waiting", 10_000) == (1.0, None)
    # retracting a late fact retracts nothing
    q.apply(late, call("b", 9_000, version=2))
    assert value(q, "calls_abandoned", 10_000) == (0.0, None)


# Each source topic has its own watermark: a backlog read unevenly (tickets an hour
# ahead of calls) must not make call facts late. (views in order, late facts' names)
T = 100_000.0
PER_SOURCE = [
    pytest.param(
        [ticket("t1", T, ("created", T, 0.0)), call("c1", T - 30 * MIN, ("answered", T - 1800, 5))],
        [[], []],
        id="calls-30min-behind-tickets-not-late",
    ),
    pytest.param(
        [
            ticket("t1", T, ("created", T, 0.0)),
            call("c1", T - 30 * MIN, ("answered", T - 1800, 5)),
            call("c2", T - 60 * MIN, ("abandoned", T - 3600, 30)),  # 30 min behind calls
        ],
        [[], [], ["abandoned"]],
        id="call-30min-behind-calls-watermark-is-late",
    ),
    pytest.param(
        [call("c1", T, ("answered", T, 5)), call("c2", T - 30 * MIN, ("answered", T - 1800, 5))],
        [[], ["answered"]],
        id="same-source-30min-behind-is-late",
    ),
    pytest.param(
        [
            call("c1", T, ("answered", T, 5)),
            agent("a1", T - 30 * MIN, ("occ_busy", T - 40 * MIN, 600)),  # ends T - 30 min
            ticket("t1", T - 20 * MIN, ("created", T - 20 * MIN, 0.0)),
        ],
        [[], [], []],
        id="agents-and-tickets-behind-calls-not-late",
    ),
    pytest.param(
        [
            ticket("t1", T, ("created", T, 0.0)),
            ticket("t2", T - 11 * MIN, ("created", T - 11 * MIN, 0.0), ("frt", T - 11 * MIN, 9)),
        ],
        [[], ["created", "frt"]],
        id="each-late-fact-named",
    ),
]


@pytest.mark.parametrize(("views", "late"), PER_SOURCE)
def test_lateness_is_judged_per_source(views: list[View], late: list[list[str]]) -> None:
    q = kpis()
    assert [q.apply(None, v) for v in views] == late


def test_call_behind_tickets_counts_in_its_window() -> None:
    q = kpis()
    q.apply(None, ticket("t1", T, ("created", T, 0.0)))
    q.apply(None, call("c1", T - 30 * MIN, ("answered", T - 1800, 5)))
    assert value(q, "calls_answered", T) == (1.0, None)
    assert q.watermark == T  # the windows' clock is still the newest of any source


def test_restoring_from_the_changelog_has_no_late_facts() -> None:
    q = kpis()
    q.apply(None, call("a", 10_000, ("answered", 10_000, 5.0)), restoring=True)
    assert q.apply(None, call("b", 1_000, ("answered", 1_000, 5.0)), restoring=True) == []
    assert value(q, "calls_answered", 10_000) == (2.0, None)


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


def test_late_metric_counts_per_source_topic_and_fact() -> None:
    registry = CollectorRegistry()
    config = Config.model_validate({"kafka": {"topics": {"calls": "calls.in"}}})
    pipeline = build_pipeline(config, registry)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()
    pipeline.clock = lambda: now
    events = [
        _call_event("c1", "call.queued", now - 60, queue="billing"),
        _call_event("c1", "call.answered", now - 50, agent_id="a1"),
        _call_event("c2", "call.queued", now - 3600, queue="billing"),
        _call_event("c2", "call.abandoned", now - 3000),  # 49 min behind the calls topic
    ]
    views = pipeline.process_events("calls", events).views
    pipeline.process_views(Rec("kpiwatch-views", v.encode()) for v in views)

    def late(type_: str) -> float | None:
        labels = {"topic": "calls.in", "type": type_}
        return registry.get_sample_value("kpiwatch_events_late_total", labels)

    assert (late("abandoned"), late("answered")) == (1.0, None)
