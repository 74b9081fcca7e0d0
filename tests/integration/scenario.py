"""A scripted day in the billing queue whose KPI values are computed by hand.

T0 = 2026-01-05 10:00Z. Replay mode (events far older than the wall clock), so
each queue's "now" is its watermark: T0+300 s.

Calls: c1 waits 10 s → answered (within SL 20 s); c2 waits 30 s → answered
(outside SL; its answer arrives before its queued event); c3 abandons after 3 s
(short, excluded); c4 abandons after 60 s; c5, c6 still waiting since T0+100
and T0+200.
  abandon_rate = 1/3, service_level = 1/3, samples 3, calls_waiting 2,
  longest_wait = 300 − 100 = 200 s.
Tickets (urgent policy: first response 30m, at risk 10m):
  t1 email/urgent created T0, agent reply T0+120 (FRT 120 s), solved T0+250;
  t2 chat/urgent created T0+60 (due T0+1860: not at risk);
  t3 chat/urgent created T0−1400 (due T0+400: at risk);
  t4 chat/urgent created T0−2000 (due T0−200: breached);
  t5 email/normal created T0+300 (standard policy, 8h).
  open_tickets chat/urgent 3, email/normal 1, email/urgent 0.
  tickets_created 15m = 3 (t1, t2, t5), 1h = 5.
More: c1 ends T0+130 and wraps up T0+160 → AHT (120 + 30) = 150 s, 1 sample.
  Surveys: csat 2 (c1) and 5 (t1) → CSAT 1/2; nps 10 (c2) and 3 (t2) → NPS 0.
  t1 solved with one agent reply, never reopened → FCR 1/1. t2 escalated →
  escalation rate 1/3 (15m), 1/5 (1h). SLA compliance, urgent first response:
  t1 met (T0+120), t4 breached (at its due time T0−200), t2/t3 not concluded →
  1/2; urgent resolution: t1 met → 1/1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

# The product's defaults: t3 and t4, created 25–35 min before the newest event, count
# in every window that covers them whatever order the partitions are read in.
CONFIG: dict[str, Any] = {}


def at(seconds: float) -> str:
    """Return T0 + seconds as RFC 3339."""
    return (T0 + timedelta(seconds=seconds)).isoformat()


def call(cid: str, eid: str, type_: str, t: float, **kw: Any) -> tuple[str, str, dict[str, Any]]:
    return (
        "calls",
        cid,
        {"event_id": eid, "type": type_, "occurred_at": at(t), "call_id": cid, **kw},
    )


def ticket(tid: str, eid: str, type_: str, t: float, **kw: Any) -> tuple[str, str, dict[str, Any]]:
    return (
        "tickets",
        tid,
        {"event_id": eid, "type": type_, "occurred_at": at(t), "ticket_id": tid, **kw},
    )


def created(tid: str, t: float, channel: str, priority: str) -> tuple[str, str, dict[str, Any]]:
    return ticket(
        tid, f"{tid}-c", "ticket.created", t, queue="billing", channel=channel, priority=priority
    )


EVENTS: list[tuple[str, str, dict[str, Any]]] = [
    call("c1", "c1-q", "call.queued", 0, queue="billing"),
    call("c1", "c1-a", "call.answered", 10, agent_id="a1"),
    call("c2", "c2-a", "call.answered", 30, agent_id="a2"),  # before its queued event
    call("c2", "c2-q", "call.queued", 0, queue="billing"),
    call("c3", "c3-q", "call.queued", 5, queue="billing"),
    call("c3", "c3-x", "call.abandoned", 8),
    call("c4", "c4-q", "call.queued", 10, queue="billing"),
    call("c4", "c4-x", "call.abandoned", 70),
    call("c5", "c5-q", "call.queued", 100, queue="billing"),
    call("c6", "c6-q", "call.queued", 200, queue="billing"),
    created("t1", 0, "email", "urgent"),
    ticket("t1", "t1-r", "ticket.replied", 120, author="agent"),
    ticket("t1", "t1-s", "ticket.status_changed", 250, status="solved"),
    created("t2", 60, "chat", "urgent"),
    created("t3", -1400, "chat", "urgent"),
    created("t4", -2000, "chat", "urgent"),
    created("t5", 300, "email", "normal"),
    call("c1", "c1-e", "call.ended", 130),
    call("c1", "c1-w", "call.wrapup_completed", 160),
    call("c1", "c1-s", "survey.responded", 170, survey="csat", score=2),
    call("c2", "c2-s", "survey.responded", 200, survey="nps", score=10),
    ticket("t1", "t1-v", "survey.responded", 260, survey="csat", score=5),
    ticket("t2", "t2-v", "survey.responded", 220, survey="nps", score=3),
    ticket("t2", "t2-e", "ticket.escalated", 90),
]

DUPLICATES = [EVENTS[1], EVENTS[10]]  # same event ids again

BAD: list[tuple[str, str, bytes]] = [
    ("calls", "c9", b"not json"),
    (
        "calls",
        "c9",
        b'{"event_id": "x1", "type": "call.queued", "call_id": "c9",'
        b' "occurred_at": "2026-01-05T10:00:00Z"}',
    ),  # no queue
    (
        "tickets",
        "t9",
        b'{"event_id": "x2", "type": "ticket.created", "ticket_id": "t9",'
        b' "occurred_at": "2026-01-05T10:00:00", "queue": "billing",'
        b' "channel": "email", "priority": "low"}',
    ),  # no offset
]

EXPECTED: list[tuple[str, dict[str, str], float]] = [
    ("kpiwatch_abandon_rate", {"queue": "billing", "window": "15m"}, 1 / 3),
    ("kpiwatch_abandon_rate_samples", {"queue": "billing", "window": "15m"}, 3),
    ("kpiwatch_service_level", {"queue": "billing", "window": "15m"}, 1 / 3),
    ("kpiwatch_service_level_samples", {"queue": "billing", "window": "1h"}, 3),
    ("kpiwatch_asa_seconds", {"queue": "billing", "window": "15m"}, 20.0),
    ("kpiwatch_calls_waiting", {"queue": "billing"}, 2),
    ("kpiwatch_longest_wait_seconds", {"queue": "billing"}, 200.0),
    ("kpiwatch_open_tickets", {"queue": "billing", "channel": "chat", "priority": "urgent"}, 3),
    ("kpiwatch_open_tickets", {"queue": "billing", "channel": "email", "priority": "normal"}, 1),
    ("kpiwatch_open_tickets", {"queue": "billing", "channel": "email", "priority": "urgent"}, 0),
    (
        "kpiwatch_sla_at_risk_tickets",
        {"queue": "billing", "priority": "urgent", "target": "first_response"},
        1,
    ),
    (
        "kpiwatch_sla_breached_tickets",
        {"queue": "billing", "priority": "urgent", "target": "first_response"},
        1,
    ),
    (
        "kpiwatch_sla_breached_tickets",
        {"queue": "billing", "priority": "urgent", "target": "resolution"},
        0,
    ),
    (
        "kpiwatch_first_response_seconds_count",
        {"queue": "billing", "channel": "email", "priority": "urgent", "window": "15m"},
        1,
    ),
    (
        "kpiwatch_first_response_seconds_sum",
        {"queue": "billing", "channel": "email", "priority": "urgent", "window": "15m"},
        120.0,
    ),
    ("kpiwatch_tickets_created", {"queue": "billing", "window": "15m"}, 3),
    ("kpiwatch_tickets_created", {"queue": "billing", "window": "1h"}, 5),
    ("kpiwatch_tickets_solved", {"queue": "billing", "window": "today"}, 1),
    ("kpiwatch_aht_seconds", {"queue": "billing", "window": "15m"}, 150.0),
    ("kpiwatch_aht_samples", {"queue": "billing", "window": "15m"}, 1),
    ("kpiwatch_csat", {"queue": "billing", "window": "15m"}, 0.5),
    ("kpiwatch_csat_samples", {"queue": "billing", "window": "15m"}, 2),
    ("kpiwatch_nps", {"queue": "billing", "window": "1h"}, 0.0),
    ("kpiwatch_nps_samples", {"queue": "billing", "window": "1h"}, 2),
    ("kpiwatch_fcr", {"queue": "billing", "window": "15m"}, 1.0),
    ("kpiwatch_escalation_rate", {"queue": "billing", "window": "15m"}, 1 / 3),
    ("kpiwatch_escalation_rate", {"queue": "billing", "window": "1h"}, 1 / 5),
    (
        "kpiwatch_sla_compliance",
        {"queue": "billing", "priority": "urgent", "target": "first_response", "window": "1h"},
        0.5,
    ),
    (
        "kpiwatch_sla_compliance",
        {"queue": "billing", "priority": "urgent", "target": "resolution", "window": "1h"},
        1.0,
    ),
]
FRT_P50 = (
    "kpiwatch_first_response_seconds",
    {
        "queue": "billing",
        "channel": "email",
        "priority": "urgent",
        "window": "15m",
        "quantile": "0.5",
    },
    120.0,
)
