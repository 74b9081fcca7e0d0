"""Ticket and survey KPIs from events, hand-computed: CSAT, NPS, CES, FCR, rates, times."""

from __future__ import annotations

import pytest

from tests.stream.kpis.harness import Ev, Harness, ticket


def _created(
    id_: str, t: float, channel: str = "email", priority: str = "normal", queue: str = "q"
) -> Ev:
    return ticket(id_, "ticket.created", t, queue=queue, channel=channel, priority=priority)


def _reply(id_: str, t: float, author: str = "agent", public: bool = True) -> Ev:
    return ticket(id_, "ticket.replied", t, author=author, public=public)


def _status(id_: str, t: float, status: str) -> Ev:
    return ticket(id_, "ticket.status_changed", t, status=status)


def _survey(id_: str, t: float, kind: str, score: int, **f: str) -> Ev:
    return ticket(id_, "survey.responded", t, f"{id_}:{kind}:{t}", survey=kind, score=score, **f)


@pytest.fixture
def day() -> Harness:
    h = Harness()
    h.replay(
        # t1: one reply, solved: FCR yes; FRT 100, resolution 1000
        _created("t1", 0),
        _reply("t1", 100),
        _status("t1", 1000, "solved"),
        _survey("t1", 1100, "csat", 5),
        _survey("t1", 1100, "nps", 10),
        _survey("t1", 1100, "ces", 2),
        # t2: two replies (and an internal note, not counted): FCR no; FRT 200
        _created("t2", 0),
        _reply("t2", 150, public=False),
        _reply("t2", 200),
        _reply("t2", 300),
        _status("t2", 2000, "solved"),
        _survey("t2", 2100, "csat", 3),
        _survey("t2", 2100, "nps", 7),
        _survey("t2", 2100, "ces", 4),
        # t3 chat/high: solved, reopened, solved again: FCR no, one reopen, escalated
        _created("t3", 0, "chat", "high"),
        _reply("t3", 50),
        _status("t3", 500, "solved"),
        _status("t3", 600, "open"),
        ticket("t3", "ticket.escalated", 650),
        _reply("t3", 700),
        _status("t3", 800, "solved"),
        _survey("t3", 900, "csat", 4),
        _survey("t3", 900, "nps", 2),
        # t4: open, escalated (a second escalation is the same escalation)
        _created("t4", 10),
        ticket("t4", "ticket.escalated", 20, level=1),
        ticket("t4", "ticket.escalated", 30, level=2),
        _survey("t4", 40, "csat", 1),
        _survey("t4", 40, "nps", 9),
    )
    return h


# (kpi, value, samples) in the 1h window at 3000 s
CASES = [
    ("tickets_created", 4.0, None),
    ("tickets_solved", 3.0, None),
    ("fcr", 1 / 3, 3),  # t1 only
    ("reopen_rate", 1 / 3, 3),  # t3 reopened once, 3 solved
    ("escalation_rate", 2 / 4, 4),
    ("csat", 2 / 4, 4),  # 5 and 4 are satisfied, 3 and 1 are not
    ("nps", 100 * (2 - 1) / 4, 4),  # promoters 10, 9; detractor 2; passive 7
    ("ces", (2 + 4) / 2, 2),
]


@pytest.mark.parametrize(("kpi", "value", "samples"), CASES)
def test_ticket_kpis(day: Harness, kpi: str, value: float, samples: int | None) -> None:
    assert day.value(kpi, 3000, queue="q", window="1h") == (pytest.approx(value), samples)


# (kpi, channel, priority, stat, value, samples); sketch quantiles are within 1 %
SUMMARIES = [
    ("frt", "email", "normal", "mean", 150.0, 2),
    ("frt", "email", "normal", "p50", 100.0, 2),  # lower rank, as DDSketch
    ("frt", "chat", "high", "p90", 50.0, 1),
    ("resolution_time", "email", "normal", "mean", 1500.0, 2),
    ("resolution_time", "email", "normal", "p90", 1000.0, 2),
    ("resolution_time", "chat", "high", "mean", 800.0, 1),  # from created to the last solve
]


@pytest.mark.parametrize(("kpi", "channel", "priority", "stat", "value", "samples"), SUMMARIES)
def test_time_summaries(
    day: Harness, kpi: str, channel: str, priority: str, stat: str, value: float, samples: int
) -> None:
    got = day.value(
        kpi, 3000, queue="q", window="1h", channel=channel, priority=priority, stat=stat
    )
    assert got == (pytest.approx(value, rel=0.01), samples)


def test_open_tickets_gauge(day: Harness) -> None:
    assert day.value("open_tickets", 3000, queue="q", channel="email", priority="normal") == (
        1.0,
        None,
    )
    assert day.value("open_tickets", 3000, queue="q", channel="chat", priority="high") == (
        0.0,
        None,
    )


def test_reopened_ticket_is_not_solved_until_solved_again() -> None:
    h = Harness()
    h.send(_created("t", 0), _reply("t", 10), _status("t", 20, "solved"))
    assert h.value("tickets_solved", 100, queue="q", window="1h") == (1.0, None)
    h.send(_status("t", 50, "open"))
    assert h.value("tickets_solved", 100, queue="q", window="1h") == (0.0, None)
    assert h.value("reopen_rate", 100, queue="q", window="1h") == (None, 0)


SURVEY_CASES = [
    # (events, queue expected to get the csat response)
    ([_created("t", 0, queue="billing"), _survey("t", 10, "csat", 5, queue="other")], "billing"),
    ([_survey("t", 10, "csat", 5, queue="other")], "other"),  # ticket never seen: survey's queue
    (
        [_survey("t", 10, "csat", 5, queue="other"), _created("t", 20, queue="billing")],
        "billing",
    ),  # created arrives later: the response moves to the ticket's queue
    (
        [
            _created("t", 0, queue="billing"),
            ticket("t", "ticket.updated", 5, queue="sales"),
            _survey("t", 10, "csat", 5),
        ],
        "sales",
    ),
]


@pytest.mark.parametrize(("events", "queue"), SURVEY_CASES)
def test_survey_attribution(events: list[Ev], queue: str) -> None:
    h = Harness()
    h.send(*events)
    got = {s.labels["queue"] for s in h.samples(100) if s.kpi == "csat" and s.samples}
    assert got == {queue}


def test_survey_without_queue_on_unknown_ticket_is_not_counted() -> None:
    h = Harness()
    h.send(_survey("t", 10, "csat", 5))
    assert [s for s in h.samples(100) if s.kpi == "csat"] == []
