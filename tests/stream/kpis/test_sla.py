"""SLA compliance, next response, breaching-soon gauge and the reopened resolution target."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stream.entities.tickets import TicketKind
from stream.sla.policy import SlaPolicy
from tests.stream.entities.feed import views_of
from tests.stream.kpis.harness import T0, Ev, Harness, ticket

URGENT = SlaPolicy(
    "urgent",
    first_response=timedelta(minutes=30),
    next_response=timedelta(hours=1),
    resolution=timedelta(hours=4),
    at_risk=timedelta(minutes=10),
)


def _created(id_: str, t: float = 0) -> Ev:
    return ticket(id_, "ticket.created", t, queue="q", channel="email", priority="urgent")


def _reply(id_: str, t: float, author: str = "agent") -> Ev:
    return ticket(id_, "ticket.replied", t, author=author)


def _status(id_: str, t: float, status: str) -> Ev:
    return ticket(id_, "ticket.status_changed", t, status=status)


def _compliance(
    h: Harness, target: str, now: float, window: str = "24h"
) -> tuple[float | None, int | None]:
    return h.value(
        "sla_compliance", now, queue="q", priority="urgent", target=target, window=window
    )


@pytest.fixture
def day() -> Harness:
    h = Harness([URGENT])
    h.replay(
        # s1: every target met
        _created("s1"),
        _reply("s1", 600),
        _reply("s1", 1000, "customer"),
        _reply("s1", 2000),
        _status("s1", 3000, "solved"),
        # s2: no reply: first response breaches at 1800
        _created("s2"),
        # s3: first reply at 2400, after the 1800 due: breached (at 1800), not met
        _created("s3"),
        _reply("s3", 2400),
    )
    return h


# (target, now, value, samples)
CASES = [
    ("first_response", 4000, 1 / 3, 3),
    ("next_response", 4000, 1.0, 1),
    ("resolution", 4000, 1.0, 1),  # s2 and s3 are due at 14400: not concluded yet
    ("resolution", 14500, 1 / 3, 3),  # now they are, breached
]


@pytest.mark.parametrize(("target", "now", "value", "samples"), CASES)
def test_sla_compliance(day: Harness, target: str, now: float, value: float, samples: int) -> None:
    assert _compliance(day, target, now) == (pytest.approx(value), samples)


def test_breach_concludes_at_due_time_not_before() -> None:
    h = Harness([URGENT])
    h.replay(_created("a"), _reply("a", 600), _created("b"))
    assert _compliance(h, "first_response", 1000) == (1.0, 1)  # b is not due until 1800
    assert _compliance(h, "first_response", 1801) == (0.5, 2)


def test_reply_before_due_replaces_the_pending_breach() -> None:
    h = Harness([URGENT])
    h.replay(_created("a"))
    assert _compliance(h, "first_response", 1000) == (None, 0)
    h.send(_reply("a", 1700))
    assert _compliance(h, "first_response", 1900) == (1.0, 1)


def test_breach_counted_then_late_reply_changes_nothing() -> None:
    h = Harness([URGENT])
    h.replay(_created("a"))
    assert _compliance(h, "first_response", 1900) == (0.0, 1)
    h.send(_reply("a", 2000))
    assert _compliance(h, "first_response", 2100) == (0.0, 1)


def test_gauges_at_risk_breached_and_breaching_soon() -> None:
    h = Harness([URGENT])
    h.replay(_created("a"))  # first response due 1800, resolution due 14400

    def gauges(now: float) -> tuple[float | None, ...]:
        fr = {"queue": "q", "target": "first_response"}
        return (
            h.value("sla_at_risk", now, priority="urgent", **fr)[0],
            h.value("sla_breached", now, priority="urgent", **fr)[0],
            h.value("sla_breaching_soon", now, within="15m", **fr)[0],
            h.value("sla_breaching_soon", now, within="1h", **fr)[0],
            h.value("sla_breaching_soon", now, queue="q", target="resolution", within="1h")[0],
        )

    assert gauges(0) == (0.0, 0.0, 0.0, 1.0, 0.0)
    assert gauges(1000) == (0.0, 0.0, 1.0, 1.0, 0.0)  # 800 s left: > 10m at_risk, < 15m
    assert gauges(1300) == (1.0, 0.0, 1.0, 1.0, 0.0)
    assert gauges(1801) == (0.0, 1.0, 0.0, 0.0, 0.0)  # breached is no longer "soon"
    assert gauges(11000) == (0.0, 1.0, 0.0, 0.0, 1.0)  # resolution due in 3400 s


def test_paused_ticket_is_not_breaching_soon() -> None:
    h = Harness([URGENT])
    h.replay(_created("a"), _status("a", 100, "pending"))
    assert h.value(
        "sla_breaching_soon", 1500, queue="q", target="first_response", within="15m"
    ) == (0.0, None)


def _view(*events: Ev) -> dict[str, tuple[float | None, float | None]]:
    (view,) = views_of(TicketKind([URGENT]), events, "t")
    return {
        s.target: (
            None if s.due_at is None else s.due_at - T0,
            None if s.met_at is None else s.met_at - T0,
        )
        for s in view.sla
    }


def test_reopened_ticket_gets_its_resolution_target_back() -> None:
    # resolution clock ran 0-3600, stopped while solved, resumes at the reopen (7200)
    sla = _view(
        _created("t"), _reply("t", 60), _status("t", 3600, "solved"), _status("t", 7200, "open")
    )
    assert sla["resolution"] == (7200 + 4 * 3600 - 3600, None)


NEXT_RESPONSE = [
    # (id, events after created + first reply at 60, expected (due, met) of next_response)
    ("no customer reply: no cycle", [], None),
    (
        "oldest unanswered reply starts it",
        [_reply("t", 100, "customer"), _reply("t", 200, "customer")],
        (3700.0, None),
    ),
    ("agent reply meets it", [_reply("t", 100, "customer"), _reply("t", 500)], (3700.0, 500.0)),
    (
        "second cycle is the current one",
        [_reply("t", 100, "customer"), _reply("t", 500), _reply("t", 900, "customer")],
        (4500.0, None),
    ),
    (
        "pending pauses it",
        [_reply("t", 100, "customer"), _status("t", 200, "pending")],
        (None, None),
    ),
]


@pytest.mark.parametrize(
    ("events", "expected"), [pytest.param(e, x, id=i) for i, e, x in NEXT_RESPONSE]
)
def test_next_response_cycles(events: list[Ev], expected: tuple[float | None, ...] | None) -> None:
    sla = _view(_created("t"), _reply("t", 60), *events)
    assert sla.get("next_response") == expected


def test_customer_reply_before_first_response_is_not_a_next_response() -> None:
    assert "next_response" not in _view(_created("t"), _reply("t", 10, "customer"))
