"""A batch's views derived once per entity (`step` … `flush`) equal per-event coalescing."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream.entities.agents import AgentKind
from stream.entities.calls import CallKind
from stream.entities.tickets import TicketKind
from stream.entities.views import View
from stream.pipeline.stages import EntityStage
from tests.stream.entities.feed import Ev, event_of
from tests.stream.entities.test_incremental import (
    POLICIES,
    agent_events,
    call_events,
    redelivered,
    ticket_events,
)


def _per_event(stage: EntityStage, batch: list[Any]) -> tuple[list[View], list[bool | None]]:
    """What process_events emitted before `flush`: each event's views, newest per key."""
    newest: dict[str, View] = {}
    placed: list[bool | None] = []
    for e in batch:
        views = stage.apply(0, e, e.ts)
        placed.append(None if views is None else bool(views))
        for view in views or ():
            newest.pop(view.key, None)
            newest[view.key] = view
    return list(newest.values()), placed


def _check(kind: Callable[[], Any], events: list[Ev], cuts: list[int]) -> None:
    decoded = [event_of(ev) for ev in events]
    bounds = [0, *sorted({c % (len(decoded) + 1) for c in cuts}), len(decoded)]
    old, new = EntityStage(kind()), EntityStage(kind())
    for lo, hi in pairwise(bounds):
        batch = decoded[lo:hi]
        want, want_placed = _per_event(old, batch)
        placed = [new.step(0, e, e.ts) for e in batch]
        got, failed = new.flush()
        assert (got, placed, failed) == (want, want_placed, [])


def _mixed(draw: st.DrawFn, events: list[Ev], field: str) -> list[Ev]:
    """Return `events` redelivered, with a second entity's copy of them interleaved."""
    two = [*events, *({**ev, field: "o", "event_id": ev["event_id"] + "o"} for ev in events)]
    return draw(redelivered(two))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.lists(st.integers(0, 40), max_size=4))
def test_tickets(data: st.DataObject, cuts: list[int]) -> None:
    events = _mixed(data.draw, data.draw(ticket_events()), "ticket_id")
    _check(lambda: TicketKind(POLICIES), events, cuts)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.lists(st.integers(0, 40), max_size=4))
def test_calls(data: st.DataObject, cuts: list[int]) -> None:
    _check(CallKind, _mixed(data.draw, data.draw(call_events()), "call_id"), cuts)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.lists(st.integers(0, 40), max_size=4))
def test_agents(data: st.DataObject, cuts: list[int]) -> None:
    # a short retention, so closed runs age out and agents leave queues
    _check(
        lambda: AgentKind(retention=600.0),
        _mixed(data.draw, data.draw(agent_events()), "agent_id"),
        cuts,
    )
