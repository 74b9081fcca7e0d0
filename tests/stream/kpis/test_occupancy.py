"""Agent gauges and occupancy: busy (incl. after-call work) ÷ (busy + available) time."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest
from prometheus_client import CollectorRegistry

from stream.app import build_pipeline
from stream.config.root import Config
from tests.stream.kpis.harness import T0, Ev, Harness, agent


@pytest.fixture
def day() -> Harness:
    h = Harness()
    h.replay(
        # a1: available 0-600, busy 600-900, ACW 900-1000, available 1000-1500, then away
        agent("a1", "available", 0),
        agent("a1", "busy", 600),
        agent("a1", "after_call_work", 900),
        agent("a1", "available", 1000),
        agent("a1", "away", 1500),
        # a2: busy since 1200 and still busy: counted up to "now"
        agent("a2", "busy", 1200),
    )
    return h


# (window, now, busy seconds, staffed seconds)
CASES = [
    ("1h", 1800, 400 + 600, 1500 + 600),
    ("15m", 1800, 100 + 600, 600 + 600),  # window starts at 900: ACW 100, available 500
    ("today", 1800, 400 + 600, 1500 + 600),
]


@pytest.mark.parametrize(("window", "now", "busy", "staffed"), CASES)
def test_occupancy(day: Harness, window: str, now: float, busy: float, staffed: float) -> None:
    got = day.value("occupancy", now, queue="q", window=window)
    assert got == (pytest.approx(busy / staffed), int(staffed))


def test_agent_gauges(day: Harness) -> None:
    by_status = {
        s.labels["status"]: s.value for s in day.samples(1800) if s.kpi.startswith("agents_")
    }
    assert by_status == {"available": 0, "busy": 1, "after_call_work": 0, "away": 1, "offline": 0}


def test_agent_leaving_a_queue_keeps_its_past_time_there() -> None:
    h = Harness()
    h.replay(agent("a", "busy", 0, ["q"]), agent("a", "available", 100, ["other"]))
    assert h.value("occupancy", 200, queue="q", window="1h") == (1.0, 100)
    assert h.value("occupancy", 200, queue="other", window="1h") == (0.0, 100)
    assert {
        s.labels["status"]
        for s in h.samples(200)
        if s.kpi.startswith("agents_") and s.labels["queue"] == "q" and s.value
    } == set()


def _no_queues(id_: str, status: str, t: float) -> Ev:
    """Return an agent status event without the optional `queues`."""
    ev = agent(id_, status, t)
    del ev["queues"]
    return ev


# (events, agents per (queue, status) with a non-zero count at 1000 s)
NO_QUEUES = [
    pytest.param(
        [agent("a", "available", 0, ["q", "r"]), _no_queues("a", "busy", 100)],
        {("q", "busy"): 1, ("r", "busy"): 1},
        id="keeps-previous-queues",
    ),
    pytest.param(
        [_no_queues("a", "busy", 100), agent("a", "available", 0, ["q"])],
        {("q", "busy"): 1},
        id="previous-in-event-time-not-arrival",
    ),
    pytest.param(
        [agent("a", "available", 0, ["q"]), agent("a", "offline", 100, [])],
        {("q", "offline"): 1},
        id="empty-list-is-the-same-as-absent",
    ),
    pytest.param([_no_queues("a", "busy", 100)], {}, id="never-known-counted-nowhere"),
    pytest.param(
        [_no_queues("a", "busy", 100), agent("a", "available", 200, ["q"])],
        {("q", "available"): 1},
        id="placed-once-queues-known",
    ),
]


@pytest.mark.parametrize(("events", "want"), NO_QUEUES)
def test_status_without_queues(events: list[Ev], want: dict[tuple[str, str], int]) -> None:
    h = Harness()
    h.send(*events)
    got = {
        (s.labels["queue"], s.labels["status"]): s.value
        for s in h.samples(1000)
        if s.kpi.startswith("agents_") and s.value
    }
    assert got == want


@dataclass
class Rec:
    value: bytes
    topic: str = "support.agents"
    partition: int = 0
    offset: int = 0
    key: bytes | None = None


def test_agent_in_no_known_queue_is_counted_as_unplaced() -> None:
    registry = CollectorRegistry()
    pipeline = build_pipeline(Config.model_validate({}), registry)
    pipeline.clock = lambda: T0 + 1000
    events = [_no_queues("a", "busy", 100), _no_queues("a", "away", 200)]
    out = pipeline.process_events("agents", [Rec(orjson.dumps(ev)) for ev in events])
    assert out.views == []
    labels = {"topic": "support.agents", "type": "agent.status_changed"}
    assert registry.get_sample_value("kpiwatch_events_unplaced_total", labels) == 2.0
    assert registry.get_sample_value("kpiwatch_events_accepted_total", labels) == 2.0
    pipeline.process_events("agents", [Rec(orjson.dumps(agent("a", "busy", 300, ["q"])))])
    assert registry.get_sample_value("kpiwatch_events_unplaced_total", labels) == 2.0
