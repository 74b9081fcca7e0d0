"""A scripted day of vendor payloads (from the fixtures) and the KPIs it must produce.

T0 = 2026-01-05 10:00Z, replay mode (far older than the wall clock): "now" is the
newest event, T0+3000 s. Everything lands in queue billing, window 24h.

Amazon Connect: k1 queued T0, connected T0+15, disconnected T0+135, after-contact work
done T0+165; k2 queued T0+20 and hangs up in the queue at T0+80 (an abandon after 60 s).
The Connect agent is Available from T0+5.
TaskRouter: task A created T0+30, accepted by WK1 T0+40, wrapup T0+100, completed
T0+120; WK1 Available T0+1, Offline T0+200.
Zendesk: ticket 9001 (urgent, email) created T0, first public agent reply T0+2700
(45 min: the 30 min urgent first-response target is breached), solved T0+3000.

  answered 2 (k1 waited 15 s, A 10 s), abandoned 1 → abandon rate 1/3,
  service level (≤ 20 s) 2/3, ASA 12.5 s;
  AHT: k1 (135 − 15) + (165 − 135) = 150, A (100 − 40) + (120 − 100) = 80 → 115 s;
  FRT 2700 s (1 sample); SLA first response 0/1, resolution 1/1;
  agents available 1 (Connect's agent; WK1 went offline).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.ingest.helpers import fixture

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def at(seconds: float, z: bool = True) -> str:
    """Return T0 + seconds as ISO 8601 (Z suffix, as the vendors write it)."""
    text = (T0 + timedelta(seconds=seconds)).isoformat()
    return text.replace("+00:00", "Z") if z else text


def epoch(seconds: float) -> int:
    """Return T0 + seconds as epoch seconds."""
    return int((T0 + timedelta(seconds=seconds)).timestamp())


def connect(name: str, eid: str, contact: str, **times: float) -> dict[str, Any]:
    """Return a Connect contact-event fixture for `contact` with times set (offsets from T0)."""
    ev = copy.deepcopy(fixture("connect", name))
    ev["id"], ev["time"] = eid, at(max(times.values()))
    d = ev["detail"]
    d["contactId"] = d["initialContactId"] = contact
    d["queueInfo"]["enqueueTimestamp"] = at(times["queued"])
    if "agentInfo" in d:
        d["agentInfo"]["connectedToAgentTimestamp"] = at(times["connected"])
    if "disconnected" in times:
        d["disconnectTimestamp"] = at(times["disconnected"])
    if "acw_end" in times:
        d["agentInfo"]["afterContactWorkEndTimestamp"] = at(times["acw_end"])
    return ev


def connect_agent(t: float) -> dict[str, Any]:
    """Return the agent event stream STATE_CHANGE fixture at T0 + t."""
    ev = copy.deepcopy(fixture("connect", "agent_state_change"))
    ev["EventId"], ev["EventTimestamp"] = "day-agent-1", at(t)
    return ev


def taskrouter(name: str, sid: str, t: float, **params: str) -> dict[str, str]:
    """Return a TaskRouter fixture with its own event Sid and time."""
    ev = dict(fixture("twilio", name))
    ev.update(Sid=sid, Timestamp=str(epoch(t)), TimestampMs=str(epoch(t) * 1000), **params)
    return ev


def zendesk(name: str, eid: str, t: float, **event: Any) -> dict[str, Any]:
    """Return a Zendesk fixture for ticket 9001 (urgent, email) at T0 + t."""
    ev = copy.deepcopy(fixture("zendesk", name))
    ev["id"], ev["time"], ev["subject"] = eid, at(t), "zen:ticket:9001"
    ev["detail"].update(id="9001", priority="URGENT", via={"channel": "email"})
    ev["event"].update(event)
    return ev


TASK = "WTday00000000000000000000000000A"
CONNECT_DAY = [
    connect("contact_queued", "day-k1-q", "k1", queued=0),
    connect("contact_connected_to_agent", "day-k1-a", "k1", queued=0, connected=15),
    connect("contact_disconnected", "day-k1-d", "k1", queued=0, connected=15, disconnected=135),
    connect(
        "contact_completed", "day-k1-c", "k1", queued=0, connected=15, disconnected=135, acw_end=165
    ),
    connect("contact_queued", "day-k2-q", "k2", queued=20),
    connect("contact_disconnected_in_queue", "day-k2-d", "k2", queued=20, disconnected=80),
    connect_agent(5),
]
AVAILABLE = taskrouter("worker_activity_update", "EVday-w1", 1, WorkerActivityName="Available")
ACCEPTED = taskrouter("reservation_accepted", "EVday-t3", 40, TaskSid=TASK)
TASKROUTER_DAY = [
    AVAILABLE,
    taskrouter("task_created", "EVday-t1", 30, TaskSid=TASK),
    ACCEPTED,
    taskrouter("task_wrapup", "EVday-t4", 100, TaskSid=TASK),
    taskrouter("task_completed", "EVday-t5", 120, TaskSid=TASK),
    taskrouter("worker_activity_update", "EVday-w2", 200),  # Offline
]
CREATED = zendesk("ticket_created", "day-z1", 0)
ZENDESK_DAY = [
    CREATED,
    zendesk("ticket_comment_added", "day-z2", 2700),
    zendesk("ticket_status_changed", "day-z3", 3000, current="SOLVED", previous="OPEN"),
]
# sent with a wrong secret: refused, and nothing of it may reach a KPI
FORGED = zendesk("ticket_status_changed", "day-z9", 2900, current="PENDING", previous="OPEN")

W = {"queue": "billing", "window": "24h"}
TICKET = {"queue": "billing", "channel": "email", "priority": "urgent", "window": "24h"}
EXPECTED: list[tuple[str, dict[str, str], float]] = [
    ("kpiwatch_calls_answered", W, 2),
    ("kpiwatch_calls_abandoned", W, 1),
    ("kpiwatch_calls_offered", W, 3),
    ("kpiwatch_abandon_rate", W, 1 / 3),
    ("kpiwatch_service_level", W, 2 / 3),
    ("kpiwatch_asa_seconds", W, 12.5),
    ("kpiwatch_aht_seconds", W, 115.0),
    ("kpiwatch_aht_samples", W, 2),
    ("kpiwatch_calls_waiting", {"queue": "billing"}, 0),
    ("kpiwatch_tickets_created", W, 1),
    ("kpiwatch_tickets_solved", W, 1),
    ("kpiwatch_first_response_seconds_sum", TICKET, 2700.0),
    ("kpiwatch_first_response_seconds_count", TICKET, 1),
    (
        "kpiwatch_sla_compliance",
        {"queue": "billing", "priority": "urgent", "target": "first_response", "window": "24h"},
        0.0,
    ),
    (
        "kpiwatch_sla_compliance",
        {"queue": "billing", "priority": "urgent", "target": "resolution", "window": "24h"},
        1.0,
    ),
    ("kpiwatch_agents", {"queue": "billing", "status": "available"}, 1),
    ("kpiwatch_open_tickets", {"queue": "billing", "channel": "email", "priority": "urgent"}, 0),
]
