"""One queue's current-state gauges from the entities' newest views."""

from __future__ import annotations

import pytest

from stream.entities.views import SlaView, View
from stream.kpis.current import CurrentState

NOW = 10_000.0


def ticket(id_: str, *sla: SlaView, active: bool = True, pr: str = "high") -> View:
    return View("ticket", id_, "q", 1, 0.0, channel="email", priority=pr, active=active, sla=sla)


def call(id_: str, since: float | None, active: bool = True) -> View:
    return View("call", id_, "q", 1, 0.0, active=active, since=since)


def agent(id_: str, status: str, since: float | None = 0.0) -> View:
    return View("agent", id_, "q", 1, 0.0, status=status, since=since)


def sla(due: float | None, *, met: float | None = None, remaining: float | None = None) -> SlaView:
    return SlaView("resolution", due, remaining, met, horizon=1800.0)


def gauges(views: list[View], remove: tuple[str, ...] = ()) -> dict[tuple[str, ...], float | None]:
    c = CurrentState()
    for v in views:
        c.update(v, remove=v.id in remove)
    return {(s.kpi, *sorted(s.labels.values())): s.value for s in c.samples("q", NOW)}


SLA_CASES = [
    # (the one target's clock, at_risk, breached, breaching within 15m, within 1h)
    ("far", sla(NOW + 7200), 0, 0, 0, 0),
    ("within the horizon and the hour", sla(NOW + 1800), 1, 0, 0, 1),
    ("within 15m", sla(NOW + 600), 1, 0, 1, 1),
    ("past due", sla(NOW - 1), 0, 1, 0, 0),
    ("met", sla(NOW - 1, met=NOW - 100), 0, 0, 0, 0),
    ("paused with time left", sla(None, remaining=60.0), 0, 0, 0, 0),
    ("paused after breaching", sla(None, remaining=0.0), 0, 1, 0, 0),
]


@pytest.mark.parametrize(("case", "clock", "risk", "breached", "m15", "h1"), SLA_CASES,
                         ids=[c[0] for c in SLA_CASES])  # fmt: skip
def test_sla_gauges(case: str, clock: SlaView, risk: int, breached: int, m15: int, h1: int) -> None:
    g = gauges([ticket("t1", clock)])
    assert g[("sla_at_risk", "high", "q", "resolution")] == risk
    assert g[("sla_breached", "high", "q", "resolution")] == breached
    assert g[("sla_breaching_soon", "15m", "q", "resolution")] == m15
    assert g[("sla_breaching_soon", "1h", "q", "resolution")] == h1


def test_open_tickets_keep_their_series_at_zero() -> None:
    g = gauges([ticket("t1"), ticket("t2", pr="low"), ticket("t2", pr="low", active=False)])
    assert g[("open_tickets", "email", "high", "q")] == 1
    assert g[("open_tickets", "email", "low", "q")] == 0  # seen once: reported as 0


CALL_CASES = [
    ("none", [], (), 0, 0.0),
    ("two waiting", [call("c1", NOW - 30), call("c2", NOW - 90)], (), 2, 90.0),
    ("one answered", [call("c1", NOW - 30), call("c1", NOW - 30, active=False)], (), 0, 0.0),
    ("removed", [call("c1", NOW - 30)], ("c1",), 0, 0.0),
    ("no queued time", [call("c1", None)], (), 0, 0.0),
    ("clock behind", [call("c1", NOW + 5)], (), 1, 0.0),
]


@pytest.mark.parametrize(("case", "views", "remove", "waiting", "longest"), CALL_CASES,
                         ids=[c[0] for c in CALL_CASES])  # fmt: skip
def test_waiting_calls(
    case: str, views: list[View], remove: tuple[str, ...], waiting: int, longest: float
) -> None:
    g = gauges(views, remove)
    assert (g[("calls_waiting", "q")], g[("longest_wait", "q")]) == (waiting, longest)


def test_agents_by_status_every_status_reported() -> None:
    g = gauges([agent("a1", "busy"), agent("a2", "busy"), agent("a3", "available"),
                agent("a4", "offline"), agent("a4", "")])  # fmt: skip
    got = {k[0]: v for k, v in g.items() if k[0].startswith("agents_")}
    assert got == {"agents_available": 1, "agents_busy": 2, "agents_after_call_work": 0,
                   "agents_away": 0, "agents_offline": 0}  # fmt: skip


OPEN_RUNS = [
    # (agents, window start) → (busy, available) seconds up to NOW
    ([agent("a", "busy", NOW - 100)], 0.0, (100.0, 0.0)),
    ([agent("a", "after_call_work", NOW - 50)], 0.0, (50.0, 0.0)),
    ([agent("a", "available", NOW - 100)], NOW - 40, (0.0, 40.0)),
    ([agent("a", "away", NOW - 100)], 0.0, (0.0, 0.0)),
    ([agent("a", "busy", None)], 0.0, (0.0, 0.0)),
    ([agent("a", "busy", NOW + 10)], 0.0, (0.0, 0.0)),
]


@pytest.mark.parametrize(("views", "start", "want"), OPEN_RUNS)
def test_open_runs(views: list[View], start: float, want: tuple[float, float]) -> None:
    c = CurrentState()
    for v in views:
        c.update(v, remove=False)
    assert c.open_runs(start, NOW) == want
