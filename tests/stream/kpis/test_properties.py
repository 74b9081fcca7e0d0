"""Properties: event order and duplicates never change a KPI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stream.sla.policy import SlaPolicy
from tests.stream.kpis.harness import Ev, Harness, agent, call, table, ticket

POLICY = SlaPolicy(
    "all",
    first_response=timedelta(seconds=120),
    next_response=timedelta(seconds=60),
    resolution=timedelta(seconds=300),
    at_risk=timedelta(seconds=30),
)
TIME = st.integers(min_value=0, max_value=400)
NOW = 2000.0
EMPTY = ((0.0, None), (None, 0), (0.0, 0))


@st.composite
def call_events(draw: Any, id_: str) -> list[Ev]:
    queued = draw(TIME)
    evs = [call(id_, "call.queued", queued, queue=draw(st.sampled_from(["a", "b"])))]
    outcome = draw(st.sampled_from(["waiting", "abandoned", "answered"]))
    if outcome == "abandoned":
        evs.append(call(id_, "call.abandoned", queued + draw(st.integers(0, 60))))
    elif outcome == "answered":
        answered = queued + draw(st.integers(0, 40))
        evs.append(call(id_, "call.answered", answered, agent_id="x"))
        if draw(st.booleans()):
            evs.append(call(id_, "call.ended", answered + draw(st.integers(0, 150))))
            evs.extend(
                draw(
                    st.lists(
                        st.builds(
                            lambda t: call(id_, "call.wrapup_completed", t, f"{id_}-w{t}"), TIME
                        ),
                        max_size=1,
                    )
                )
            )
    if draw(st.booleans()):
        evs.append(
            call(
                id_,
                "survey.responded",
                draw(TIME),
                survey="csat",
                score=draw(st.integers(1, 5)),
                queue="a",
            )
        )
    return evs


@st.composite
def ticket_events(draw: Any, id_: str) -> list[Ev]:
    evs = [
        ticket(
            id_,
            "ticket.created",
            draw(TIME),
            queue=draw(st.sampled_from(["a", "b"])),
            channel=draw(st.sampled_from(["email", "chat"])),
            priority="high",
        )
    ]
    for i in range(draw(st.integers(0, 6))):
        t = draw(TIME)
        kind = draw(
            st.sampled_from(
                ["agent", "customer", "status", "status", "escalated", "updated", "survey"]
            )
        )
        eid = f"{id_}-{i}"
        if kind in ("agent", "customer"):
            evs.append(ticket(id_, "ticket.replied", t, eid, author=kind))
        elif kind == "status":
            status = draw(st.sampled_from(["open", "pending", "solved", "closed"]))
            evs.append(ticket(id_, "ticket.status_changed", t, eid, status=status))
        elif kind == "escalated":
            evs.append(ticket(id_, "ticket.escalated", t, eid))
        elif kind == "updated":
            evs.append(ticket(id_, "ticket.updated", t, eid, priority="low"))
        else:
            evs.append(
                ticket(
                    id_,
                    "survey.responded",
                    t,
                    eid,
                    survey="nps",
                    score=draw(st.integers(0, 10)),
                    queue="b",
                )
            )
    return evs


@st.composite
def agent_events(draw: Any, id_: str) -> list[Ev]:
    statuses = st.sampled_from(["available", "busy", "after_call_work", "away"])
    times = draw(st.lists(TIME, min_size=1, max_size=5, unique=True))
    return [agent(id_, draw(statuses), t, [draw(st.sampled_from(["a", "b"]))]) for t in times]


@st.composite
def day(draw: Any) -> list[Ev]:
    evs: list[Ev] = []
    for i in range(draw(st.integers(1, 3))):
        evs += draw(call_events(f"c{i}"))
    for i in range(draw(st.integers(1, 3))):
        evs += draw(ticket_events(f"t{i}"))
    evs += draw(agent_events("g"))
    return evs


def kpis(events: list[Ev]) -> dict[Any, Any]:
    """Return the non-empty KPI values at NOW.

    A gauge's label set, once seen, stays exposed at 0 (so a series does not
    vanish when its last ticket closes); which empty series exist may depend on
    the order events came in, so empty series (0 or no observation) are left out.
    """
    h = Harness([POLICY], wrapup_timeout=120.0)
    h.send(*events)
    return {k: v for k, v in table(h.samples(NOW)).items() if v not in EMPTY}


def canonical(events: list[Ev]) -> dict[Any, Any]:
    return kpis(sorted(events, key=lambda e: (e["occurred_at"], e["event_id"])))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_event_order_does_not_change_kpis(data: st.DataObject) -> None:
    events = data.draw(day())
    shuffled = data.draw(st.permutations(events))
    assert kpis(list(shuffled)) == canonical(events)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_duplicates_never_change_a_kpi(data: st.DataObject) -> None:
    events = data.draw(day())
    again = data.draw(st.lists(st.sampled_from(events), min_size=1, max_size=len(events)))
    mixed = data.draw(st.permutations(events + again))
    assert kpis(list(mixed)) == canonical(events)
