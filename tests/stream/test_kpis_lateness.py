"""Event-time policy of QueueKpis: live, late and future (pending) facts."""

from __future__ import annotations

import pytest

from stream.kpis.facts import KpiOptions
from stream.kpis.queue import QueueKpis
from stream.kpis.windows import SlidingWindow
from stream.views import Fact, View


def kpis() -> QueueKpis:
    return QueueKpis("q", {"24h": SlidingWindow(86400.0)}, KpiOptions(allowed_lateness=600.0))


def call(id_: str, t: float, *facts: Fact, version: int = 1, waiting: float | None = None) -> View:
    return View(
        "call", id_, "q", version, t, active=waiting is not None, since=waiting, facts=facts
    )


def value(q: QueueKpis, kpi: str, now: float) -> tuple[float | None, int | None]:
    (s,) = [s for s in q.samples(now) if s.kpi == kpi and s.labels.get("window") in (None, "24h")]
    return s.value, s.samples


def test_fact_within_allowed_lateness_updates_its_window() -> None:
    q = kpis()
    assert q.apply(None, call("a", 10_000, ("answered", 10_000, 5.0))) == 0
    assert q.apply(None, call("b", 9_500, ("answered", 9_400, 7.0))) == 0  # 600 s behind
    assert value(q, "calls_answered", 10_000) == (2.0, None)


def test_fact_beyond_allowed_lateness_is_late_and_current_state_only() -> None:
    q = kpis()
    q.apply(None, call("a", 10_000, ("answered", 10_000, 5.0)))
    late = call("b", 9_000, ("abandoned", 9_000, 60.0))
    assert q.apply(None, late) == 1
    assert value(q, "calls_abandoned", 10_000) == (0.0, None)
    # current state still sees a late view: a late-arriving queued call is waiting
    assert q.apply(None, call("c", 5_000, waiting=5_000)) == 0
    assert value(q, "calls_waiting", 10_000) == (1.0, None)
    # retracting a late fact retracts nothing
    q.apply(late, call("b", 9_000, version=2))
    assert value(q, "calls_abandoned", 10_000) == (0.0, None)


def test_restoring_from_the_changelog_has_no_late_facts() -> None:
    q = kpis()
    q.apply(None, call("a", 10_000, ("answered", 10_000, 5.0)), restoring=True)
    assert q.apply(None, call("b", 1_000, ("answered", 1_000, 5.0)), restoring=True) == 0
    assert value(q, "calls_answered", 10_000) == (2.0, None)


def test_future_fact_waits_for_its_time_and_can_be_withdrawn() -> None:
    q = kpis()
    v1 = call("a", 100, ("aht", 700, 60.0))  # ended + wrapup timeout
    q.apply(None, v1)
    assert value(q, "aht", 699) == (None, 0)
    v2 = call("a", 300, ("aht", 300, 90.0), version=2)  # the wrap-up came in time
    q.apply(v1, v2)
    assert value(q, "aht", 800) == (pytest.approx(90.0), 1)
