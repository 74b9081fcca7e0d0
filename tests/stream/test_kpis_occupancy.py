"""Agent gauges and occupancy: busy (incl. after-call work) ÷ (busy + available) time."""

from __future__ import annotations

import pytest

from tests.stream.kpi_harness import Harness, agent


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
