"""Which policy applies: re-evaluation on a priority change, and FRT with or without pauses."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from stream.entities.tickets import TicketKind
from stream.sla.policy import SlaPolicy
from tests.stream.entities.feed import views_of
from tests.stream.kpis.harness import T0, Ev, Harness, ticket

H = 3600.0
URGENT = SlaPolicy(
    "urgent",
    match_priority=frozenset({"urgent"}),
    first_response=timedelta(minutes=30),
    resolution=timedelta(hours=4),
    at_risk=timedelta(minutes=10),
)
NORMAL = SlaPolicy(
    "normal",
    first_response=timedelta(hours=8),
    resolution=timedelta(hours=24),
    at_risk=timedelta(hours=1),
)
POLICIES = [URGENT, NORMAL]  # first match wins: NORMAL takes everything else


def _created(priority: str, t: float = 0) -> Ev:
    return ticket("t", "ticket.created", t, queue="q", channel="email", priority=priority)


def _priority(t: float, priority: str) -> Ev:
    return ticket("t", "ticket.updated", t, priority=priority)


def _status(t: float, status: str) -> Ev:
    return ticket("t", "ticket.status_changed", t, status=status)


def _reply(t: float) -> Ev:
    return ticket("t", "ticket.replied", t, author="agent")


def _due(*events: Ev) -> tuple[str, dict[str, float | None]]:
    """Return the ticket's priority and each target's due instant (s after T0)."""
    (view,) = views_of(TicketKind(POLICIES), events, "t")
    due = {s.target: None if s.due_at is None else s.due_at - T0 for s in view.sla}
    return view.priority, due


# (events, priority, first_response due, resolution due); clocks run from creation
REEVALUATION = [
    pytest.param([_created("normal")], "normal", 8 * H, 24 * H, id="normal"),
    pytest.param([_created("normal"), _priority(600, "urgent")], "urgent", 0.5 * H, 4 * H, id="up"),
    pytest.param(
        [_created("urgent"), _priority(600, "normal")], "normal", 8 * H, 24 * H, id="down"
    ),
    pytest.param(  # raised after the urgent first response was already due
        [_created("normal"), _priority(2 * H, "urgent")], "urgent", 0.5 * H, 4 * H, id="late-up"
    ),
    pytest.param(  # arrival order does not matter: the update arrives before created
        [_priority(600, "urgent"), _created("normal", 0)], "urgent", 0.5 * H, 4 * H, id="ooo"
    ),
    pytest.param(  # a transfer alone keeps the priority and the policy
        [_created("urgent"), ticket("t", "ticket.updated", 600, queue="q")],
        "urgent",
        0.5 * H,
        4 * H,
        id="no-priority",
    ),
]


@pytest.mark.parametrize(("events", "priority", "first", "resolution"), REEVALUATION)
def test_priority_change_reevaluates_the_targets(
    events: list[Ev], priority: str, first: float, resolution: float
) -> None:
    assert _due(*events) == (priority, {"first_response": first, "resolution": resolution})


def test_raised_priority_breaches_under_the_new_policy() -> None:
    h = Harness(POLICIES)
    h.replay(_created("normal"), _priority(600, "urgent"))
    labels = {"queue": "q", "target": "first_response"}
    assert h.value("sla_breached", 1900, priority="urgent", **labels) == (1.0, None)
    assert h.value("sla_breached", 1900, priority="normal", **labels) == (0.0, None)
    assert h.value("sla_compliance", 1900, priority="urgent", window="1h", **labels) == (0.0, 1)


def test_lowered_priority_withdraws_the_pending_urgent_breach() -> None:
    h = Harness(POLICIES)
    h.replay(_created("urgent"), _priority(600, "normal"))
    labels = {"queue": "q", "target": "first_response", "window": "1h"}
    assert h.value("sla_compliance", 1900, priority="urgent", **labels) == (None, 0)
    assert h.value("sla_compliance", 1900, priority="normal", **labels) == (None, 0)


# FRT = first agent reply − created, minus paused time only if the policy says so.
# (frt_excludes_paused, pause_on, events after created at 0, expected FRT)
PAUSED = [
    pytest.param(False, None, [_status(100, "pending"), _status(700, "open")], 1000.0, id="off"),
    pytest.param(True, None, [_status(100, "pending"), _status(700, "open")], 400.0, id="on"),
    pytest.param(
        True,
        None,
        [_status(100, "on_hold"), _status(400, "open"), _status(500, "pending")],
        1000.0 - 300 - 500,  # still pending at the reply (500 → 1000)
        id="on-two-pauses",
    ),
    pytest.param(
        True,
        frozenset({"on_hold"}),
        [_status(100, "pending"), _status(700, "open")],
        1000.0,  # pending does not pause this policy
        id="on-other-status",
    ),
    pytest.param(True, None, [], 1000.0, id="on-never-paused"),
]


@pytest.mark.parametrize(("excludes", "pause_on", "events", "frt"), PAUSED)
def test_frt_excludes_paused(
    excludes: bool, pause_on: frozenset[str] | None, events: list[Ev], frt: float
) -> None:
    policy = replace(NORMAL, frt_excludes_paused=excludes)
    if pause_on is not None:
        policy = replace(policy, pause_on=pause_on)
    h = Harness([policy])
    h.replay(_created("normal"), *events, _reply(1000))
    labels = {"queue": "q", "channel": "email", "priority": "normal", "window": "1h"}
    assert h.value("frt", 1100, stat="mean", **labels) == (pytest.approx(frt), 1)


def test_frt_without_a_matching_policy_is_calendar_time() -> None:
    h = Harness([replace(URGENT, frt_excludes_paused=True)])
    h.replay(_created("normal"), _status(100, "pending"), _status(700, "open"), _reply(1000))
    labels = {"queue": "q", "channel": "email", "priority": "normal", "window": "1h"}
    assert h.value("frt", 1100, stat="mean", **labels) == (pytest.approx(1000.0), 1)
