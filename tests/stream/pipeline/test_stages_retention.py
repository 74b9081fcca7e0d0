"""Retention: concluded entities and expired views are forgotten, KPIs unchanged."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from stream.entities.agents import AgentKind
from stream.entities.calls import CallKind
from stream.entities.state import REORDER, EntityState, Fold
from stream.entities.tickets import TicketKind
from stream.entities.views import View
from stream.kpis.params import KpiParams
from stream.kpis.windows import RollingWindow, SlidingWindow
from stream.pipeline.stages import EntityStage, QueueStage

DAY = 86400.0


def ev(eid: str, type_: str, ts: float, entity: str, **fields: Any) -> SimpleNamespace:
    base = {
        "queue": None,
        "channel": None,
        "priority": None,
        "author": None,
        "public": True,
        "status": None,
        "hold_seconds": None,
        "survey": None,
        "score": None,
        "queues": None,
    }
    return SimpleNamespace(event_id=eid, type=type_, ts=ts, entity_id=entity, **{**base, **fields})


def windows() -> dict[str, RollingWindow]:
    return {"1h": SlidingWindow(3600.0)}


def test_concluded_call_is_forgotten_after_retention_and_open_ticket_is_kept() -> None:
    calls = EntityStage(CallKind(), retention=DAY)
    tickets = EntityStage(TicketKind(), retention=DAY)
    calls.apply(0, ev("q1", "call.queued", 0.0, "c1", queue="billing"))
    calls.apply(0, ev("a1", "call.answered", 10.0, "c1"))
    calls.apply(0, ev("q2", "call.queued", 5.0, "c2", queue="billing"))  # still waiting
    tickets.apply(
        0, ev("t1", "ticket.created", 0.0, "t1", queue="billing", channel="email", priority="low")
    )
    calls.take_dirty()
    tickets.take_dirty()
    assert calls.evict() == 0  # nothing is old yet
    calls.apply(0, ev("q3", "call.queued", 2 * DAY, "c3", queue="billing"))
    tickets.apply(
        0,
        ev("t2", "ticket.created", 2 * DAY, "t2", queue="billing", channel="email", priority="low"),
    )
    calls.take_dirty()
    assert calls.evict() == 1  # c1 concluded and idle for > 1 day; c2 is still waiting
    assert set(calls.parts[0]) == {"c2", "c3"}
    assert calls.take_dirty() == [(0, "c1", None)]  # a tombstone for the changelog
    assert tickets.evict() == 0  # t1 is open: kept however old


def test_expired_views_are_dropped_without_moving_a_kpi() -> None:
    stage = QueueStage(windows, KpiParams(), retention=2 * 3600.0)
    calls = EntityStage(CallKind())
    for e in (
        ev("q1", "call.queued", 0.0, "c1", queue="billing"),
        ev("a1", "call.answered", 30.0, "c1"),
        ev("q9", "call.queued", 5 * 3600.0, "c9", queue="billing"),
    ):
        for view in calls.apply(0, e) or []:
            stage.apply(0, view.encode())
    stage.take_dirty()
    before = [(s.kpi, dict(s.labels), s.value) for s in stage.samples(lambda q, top: q)]
    assert stage.evict() == 1
    after = [(s.kpi, dict(s.labels), s.value) for s in stage.samples(lambda q, top: q)]
    assert after == before
    assert [k.split("\x1f")[2] for _, k, v in stage.take_dirty() if v is None] == ["c1"]


def test_agent_state_is_bounded_but_its_version_keeps_growing() -> None:
    agents = EntityStage(AgentKind(3600.0))
    versions = []
    n_events = REORDER + 72
    for n in range(n_events):  # a status change every 2 minutes
        status = "busy" if n % 2 else "available"
        e = ev(f"e{n}", "agent.status_changed", n * 120.0, "a1", status=status, queues=["billing"])
        views = agents.apply(0, e)
        assert views is not None
        versions.append(views[0].version)
    st = agents.parts[0]["a1"]
    assert versions == list(range(1, n_events + 1))  # monotonic: stage 2 ignores no newer view
    assert len(st.recent) == REORDER  # the newest events only
    (view,) = AgentKind(3600.0).views(st, "a1")
    assert len(view.facts) == 31  # the closed runs that ended in the last hour (ends included)
    again = EntityState.decode(st.encode(), AgentKind(3600.0))
    assert AgentKind(3600.0).views(again, "a1") == [view]


def test_an_event_at_or_before_the_floor_is_refused_like_a_duplicate() -> None:
    calls = EntityStage(CallKind())
    for n in range(REORDER + 1):
        e = ev(f"s{n}", "survey.responded", 10.0 + n, "c1", survey="csat", score=5, queue="q")
        assert calls.apply(0, e) is not None
    st = calls.parts[0]["c1"]
    assert st.floor == 10.0  # the oldest survey left the reorder window
    assert calls.apply(0, ev("late", "call.queued", 10.0, "c1", queue="q")) is None
    assert calls.apply(0, ev("s1", "survey.responded", 11.0, "c1", survey="csat", score=5)) is None
    assert calls.apply(0, ev("q", "call.queued", 10.5, "c1", queue="q")) is not None


def test_queue_changelog_holds_the_applied_view_bytes() -> None:
    stage = QueueStage(windows, KpiParams(), retention=2 * 3600.0)
    calls = EntityStage(CallKind())
    sent = []
    for e in (
        ev("q1", "call.queued", 0.0, "c1", queue="billing"),
        ev("a1", "call.answered", 30.0, "c1"),
    ):
        for view in calls.apply(0, e) or []:
            sent.append(view.encode())
            stage.apply(0, sent[-1])
    stage.apply(0, sent[0])  # a replayed older view changes nothing
    [(part, key, value)] = stage.take_dirty()
    assert (part, key, value) == (0, "billing\x1fcall\x1fc1", sent[-1])  # the newest only
    assert value is not None and View.decode(value).encode() == value
    assert stage.take_dirty() == []


class _Leaving:
    """Calls in billing until their second event, then in no queue; counts its derivations.

    A wrapper, not a subclass: the compiled core's classes take no interpreted subclass.
    """

    def __init__(self) -> None:
        self.calls = CallKind()
        self.name = self.calls.name
        self.derived: list[str] = []

    def fold(self, dumped: Any = None) -> Fold:
        return self.calls.fold(dumped)

    def views(self, state: EntityState, call_id: str) -> list[View]:
        self.derived.append(call_id)
        if call_id.startswith("leave") and state.version >= 2:
            return []
        return self.calls.views(state, call_id)

    def queues(self, state: EntityState, call_id: str) -> tuple[str, ...]:
        return tuple(v.queue for v in self.views(state, call_id))


def test_an_entity_that_leaves_every_queue_gets_tombstones_keyed_like_its_views() -> None:
    stage = EntityStage(_Leaving())
    (first,) = stage.apply(0, ev("e1", "call.queued", 0.0, "leave1", queue="billing")) or []
    (gone,) = stage.apply(0, ev("e2", "call.answered", 1.0, "leave1")) or []
    assert gone.gone and gone.key == first.key  # so stage 2 drops the view it holds


def test_an_old_open_entity_is_derived_once_per_version_by_the_retention_sweep() -> None:
    kind = _Leaving()
    calls = EntityStage(kind, retention=DAY)
    calls.apply(0, ev("q1", "call.queued", 0.0, "c1", queue="billing"))  # waits for ever
    calls.apply(0, ev("q2", "call.queued", 2 * DAY, "c2", queue="billing"))
    kind.derived.clear()
    assert (calls.evict(), calls.evict(), kind.derived) == (0, 0, ["c1"])
    calls.apply(0, ev("x1", "call.abandoned", 2 * DAY + 1, "c1"))  # a new version …
    calls.apply(0, ev("q3", "call.queued", 4 * DAY, "c3", queue="billing"))
    kind.derived.clear()
    assert calls.evict() == 1  # c1's new version is judged again: concluded, forgotten
    assert set(calls.parts[0]) == {"c2", "c3"} and kind.derived == ["c1", "c2"]  # c2: first sweep
