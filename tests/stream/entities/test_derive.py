"""Entity derivation: out-of-order and duplicate events give the same views."""

from __future__ import annotations

from datetime import timedelta
from itertools import permutations
from typing import Any

import pytest

from stream.entities.agents import AgentKind
from stream.entities.calls import CallKind
from stream.entities.tickets import TicketKind
from stream.entities.views import View
from stream.sla.policy import SlaPolicy
from tests.stream.entities.feed import state_of, views_of
from tests.stream.kpis.harness import T0, Ev, agent, call, ticket


def facts(view: View) -> list[tuple[str, float, float]]:
    return [(n, at - T0, v) for n, at, v in view.facts]


CALL = [
    call("c", "call.queued", 0, queue="q"),
    call("c", "call.answered", 12, agent_id="a"),
    call("c", "call.ended", 100),
    call("c", "call.wrapup_completed", 130),
    call("c", "survey.responded", 200, survey="csat", score=4),
]


@pytest.mark.parametrize("order", list(permutations(range(len(CALL))))[::17])
def test_call_view_is_order_independent(order: tuple[int, ...]) -> None:
    (view,) = views_of(CallKind(), [CALL[i] for i in order], "c")
    assert (view.queue, view.version, view.active) == ("q", 5, False)
    assert facts(view) == [("aht", 130.0, 118.0), ("answered", 12.0, 12.0), ("csat", 200.0, 4.0)]


def test_duplicate_event_is_refused_by_the_state() -> None:
    kind = CallKind()
    st = state_of(kind, CALL)
    assert not st.add(T0, CALL[0]["event_id"], ("call.queued", "q"), kind)
    assert st.version == len(CALL)


CALL_CASES = [
    ("waiting", [CALL[0]], {"active": True, "since": 0.0, "facts": []}),
    (
        "abandoned",
        [CALL[0], call("c", "call.abandoned", 4)],
        {"active": False, "since": None, "facts": [("abandoned", 4.0, 4.0)]},
    ),
    (
        "second answer ignored",
        [*CALL[:2], call("c", "call.answered", 50, "x", agent_id="b")],
        {"active": False, "since": None, "facts": [("answered", 12.0, 12.0)]},
    ),
    (
        "no wrap-up: ACW 0 at ended + timeout",
        CALL[:3],
        {"active": False, "since": None, "facts": [("aht", 700.0, 88.0), ("answered", 12.0, 12.0)]},
    ),
]


@pytest.mark.parametrize(("events", "want"), [pytest.param(e, w, id=i) for i, e, w in CALL_CASES])
def test_call_cases(events: list[Ev], want: dict[str, Any]) -> None:
    (view,) = views_of(CallKind(600.0), events, "c")
    since = None if view.since is None else view.since - T0
    assert {"active": view.active, "since": since, "facts": facts(view)} == want


def test_survey_before_queued_uses_survey_queue_then_the_call_queue() -> None:
    survey = call("c", "survey.responded", 5, survey="nps", score=9, queue="other")
    (alone,) = views_of(CallKind(), [survey], "c")
    assert (alone.queue, facts(alone)) == ("other", [("nps", 5.0, 9.0)])
    (both,) = views_of(CallKind(), [survey, CALL[0]], "c")
    assert both.queue == "q"


TICKET = [
    ticket("t", "ticket.created", 0, queue="q", channel="chat", priority="high"),
    ticket("t", "ticket.replied", 30, author="agent"),
    ticket("t", "ticket.escalated", 40),
    ticket("t", "ticket.status_changed", 100, status="solved"),
]


@pytest.mark.parametrize("order", list(permutations(range(len(TICKET)))))
def test_ticket_view_is_order_independent(order: tuple[int, ...]) -> None:
    (view,) = views_of(TicketKind(), [TICKET[i] for i in order], "t")
    assert (view.channel, view.priority, view.active) == ("chat", "high", False)
    assert facts(view) == [
        ("created", 0.0, 0.0),
        ("escalated", 40.0, 0.0),
        ("fcr", 100.0, 1.0),
        ("frt", 30.0, 30.0),
        ("solved", 100.0, 100.0),
    ]


def test_ticket_replies_before_created_are_kept_for_later() -> None:
    assert views_of(TicketKind(), TICKET[1:], "t") == []
    (view,) = views_of(TicketKind(), TICKET[1:] + TICKET[:1], "t")
    assert ("frt", 30.0, 30.0) in facts(view)


def test_transfer_moves_the_ticket_to_its_new_queue() -> None:
    moved = [*TICKET[:2], ticket("t", "ticket.updated", 50, queue="sales", priority="low")]
    (view,) = views_of(TicketKind(), moved, "t")
    assert (view.queue, view.priority) == ("sales", "low")


def test_agent_runs_become_time_spans_per_queue() -> None:
    events = [
        agent("a", "available", 0, ["q"]),
        agent("a", "busy", 60, ["q", "r"]),
        agent("a", "busy", 90, ["q", "r"]),  # same status again: one run
        agent("a", "away", 120, ["q"]),
    ]
    views = {v.queue: v for v in views_of(AgentKind(), events, "a")}
    assert facts(views["q"]) == [("occ_available", 0.0, 60.0), ("occ_busy", 60.0, 60.0)]
    assert facts(views["r"]) == [("occ_busy", 60.0, 60.0)]
    assert (views["q"].status, views["q"].since) == ("away", T0 + 120)
    assert (views["r"].status, views["r"].active) == ("", False)  # left r


def test_agent_runs_older_than_retention_are_dropped() -> None:
    events = [agent("a", "busy", 0), agent("a", "available", 100), agent("a", "busy", 1000)]
    (view,) = views_of(AgentKind(500.0), events, "a")
    assert facts(view) == [("occ_available", 100.0, 900.0)]


def test_sla_clocks_are_reused_while_their_inputs_stay_the_same() -> None:
    policy = SlaPolicy("all", first_response=timedelta(hours=1), resolution=timedelta(hours=8))
    kind = TicketKind([policy])
    events = [
        ticket("t", "ticket.created", 0, queue="q", channel="email", priority="low"),
        ticket("t", "ticket.assigned", 60, agent_id="a"),  # no SLA input changes
        ticket("t", "ticket.replied", 120, author="agent", public=True),
        ticket("t", "ticket.escalated", 180),
    ]
    for n in range(1, len(events) + 1):
        (memo_view,) = views_of(kind, events[:n], "t")
        (fresh_view,) = views_of(TicketKind([policy]), events[:n], "t")
        assert memo_view == fresh_view
    before = kind.memo["t"]
    (view,) = views_of(kind, events, "t")  # the same inputs again: the same clocks object
    assert kind.memo["t"] == before and view.sla is before[1]
    (view,) = views_of(
        kind, [*events, ticket("t", "ticket.status_changed", 240, status="solved")], "t"
    )
    assert kind.memo["t"] is not before and view.sla[1].met_at == T0 + 240
