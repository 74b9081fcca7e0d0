"""Retention: concluded entities and expired views are forgotten, KPIs unchanged."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from stream.entities.calls import derive_call
from stream.entities.tickets import derive_ticket
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
    calls = EntityStage(derive_call, retention=DAY)
    tickets = EntityStage(lambda log, i: derive_ticket(log, i, []), retention=DAY)
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
    calls = EntityStage(derive_call)
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


def test_agent_log_is_trimmed_but_its_version_keeps_growing() -> None:
    from stream.entities.agents import derive_agent
    from stream.entities.log import EntityLog

    agents = EntityStage(lambda log, i: derive_agent(log, i, 3600.0), trim=3600.0)
    versions = []
    for n in range(10):  # a status change every 20 minutes for 3 hours
        status = "busy" if n % 2 else "available"
        views = agents.apply(
            0,
            ev(
                f"e{n}", "agent.status_changed", n * 1200.0, "a1", status=status, queues=["billing"]
            ),
        )
        assert views is not None
        versions.append(views[0].version)
    log = agents.parts[0]["a1"]
    assert versions == list(range(1, 11))  # monotonic: stage 2 never ignores a newer view
    # the last hour (from 7200 s) plus the last event before it, which gives the status then
    assert [e[0] for e in log.events] == [6000.0, 7200.0, 8400.0, 9600.0, 10800.0]
    again = EntityLog.decode(log.encode())
    assert (again.version, again.events) == (10, log.events)


def test_queue_changelog_holds_the_applied_view_bytes() -> None:
    from stream.entities.views import View

    stage = QueueStage(windows, KpiParams(), retention=2 * 3600.0)
    calls = EntityStage(derive_call)
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


def test_an_entity_that_leaves_every_queue_gets_tombstones_keyed_like_its_views() -> None:
    from stream.entities.log import EntityLog
    from stream.entities.views import View

    def derive(log: EntityLog, eid: str) -> list[View]:  # in billing until its 2nd event
        return [View("ticket", eid, "billing", log.version, log.last_ts)] if log.version < 2 else []

    stage = EntityStage(derive)
    (first,) = stage.apply(0, ev("e1", "ticket.created", 0.0, "t1", queue="billing")) or []
    (gone,) = stage.apply(0, ev("e2", "ticket.updated", 1.0, "t1")) or []
    assert gone.gone and gone.key == first.key  # so stage 2 drops the view it holds


def test_an_old_open_entity_is_derived_once_per_version_by_the_retention_sweep() -> None:
    derived: list[str] = []

    def derive(log: Any, eid: str) -> list[Any]:
        derived.append(eid)
        return derive_call(log, eid)

    calls = EntityStage(derive, retention=DAY)
    calls.apply(0, ev("q1", "call.queued", 0.0, "c1", queue="billing"))  # waits for ever
    calls.apply(0, ev("q2", "call.queued", 2 * DAY, "c2", queue="billing"))
    derived.clear()
    assert (calls.evict(), calls.evict(), derived) == (0, 0, ["c1"])
    calls.apply(0, ev("x1", "call.abandoned", 2 * DAY + 1, "c1"))  # a new version …
    calls.apply(0, ev("q3", "call.queued", 4 * DAY, "c3", queue="billing"))
    derived.clear()
    assert calls.evict() == 1  # c1's new version is judged again: concluded, forgotten
    assert set(calls.parts[0]) == {"c2", "c3"} and derived == ["c1", "c2"]  # c2: first sweep
