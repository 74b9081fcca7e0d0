"""Ticket state: attributes, status history, replies and SLA clocks, as a view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stream.entities.log import EntityLog
from stream.entities.ticket_sla import CLOSED, SlaInput, pauses, sla_of
from stream.entities.views import Fact, SlaView, View
from stream.sla.policy import SlaPolicy, active_seconds, match_policy


@dataclass
class _Ticket:
    queue: str = ""
    channel: str = ""
    priority: str = ""
    created: float | None = None
    status: str = "new"
    history: list[tuple[float, str]] = field(default_factory=list)
    replies: list[tuple[float, str, str]] = field(default_factory=list)
    first_reply: float | None = None
    agent_replies: int = 0
    solved: float | None = None
    reopens: list[float] = field(default_factory=list)
    escalated: float | None = None
    surveys: list[Fact] = field(default_factory=list)
    survey_queue: str = ""


def _fold(log: EntityLog) -> _Ticket:
    t = _Ticket()
    for ts, type_, _, f in log.events:
        _apply(t, ts, type_, f)
    return t


def _apply(t: _Ticket, ts: float, type_: str, f: dict[str, Any]) -> None:
    if type_ == "ticket.created" and t.created is None:
        t.queue, t.channel, t.priority, t.created = f["queue"], f["channel"], f["priority"], ts
        t.history.insert(0, (ts, "new"))
    elif type_ == "ticket.updated":
        t.queue = f.get("queue", t.queue)
        t.channel = f.get("channel", t.channel)
        t.priority = f.get("priority", t.priority)
    elif type_ == "ticket.replied" and f.get("public", True):
        t.replies.append((ts, f["author"], t.status))
        if f["author"] == "agent":
            t.agent_replies += 1
            if t.first_reply is None:
                t.first_reply = ts
    elif type_ == "ticket.status_changed":
        new = f["status"]
        if t.status in CLOSED and new not in CLOSED:
            t.reopens.append(ts)
        if new == "solved" or (new == "closed" and t.status != "solved"):
            t.solved = ts
        t.status = new
        t.history.append((ts, new))
    elif type_ == "ticket.escalated" and t.escalated is None:
        t.escalated = ts
    elif type_ == "survey.responded":
        t.surveys.append((f["survey"], ts, float(f["score"])))
        t.survey_queue = t.survey_queue or f.get("queue", "")


def _facts(t: _Ticket, created: float, policy: SlaPolicy | None) -> list[Fact]:
    facts: list[Fact] = [*t.surveys, ("created", created, 0.0)]
    if t.first_reply is not None:
        frt = t.first_reply - created
        if policy is not None and policy.frt_excludes_paused:
            frt = active_seconds(created, t.first_reply, pauses(t.history, policy.pause_on))
        facts.append(("frt", t.first_reply, max(0.0, frt)))
    if t.status in CLOSED and t.solved is not None:
        facts.append(("solved", t.solved, max(0.0, t.solved - created)))
        fcr = 1.0 if t.agent_replies == 1 and not t.reopens else 0.0
        facts.append(("fcr", t.solved, fcr))
    facts.extend(("reopened", ts, 0.0) for ts in t.reopens)
    if t.escalated is not None:
        facts.append(("escalated", t.escalated, 0.0))
    return facts


def derive_ticket(log: EntityLog, ticket_id: str, policies: Sequence[SlaPolicy]) -> list[View]:
    """Return the ticket's view of its current queue.

    Before `ticket.created` is known, only its surveys count, in the survey's
    own `queue` (none if the survey names no queue).
    """
    t = _fold(log)
    if t.created is None:
        if not t.surveys or not t.survey_queue:
            return []
        only = tuple(sorted(t.surveys))
        return [View("ticket", ticket_id, t.survey_queue, log.version, log.last_ts, facts=only)]
    policy = match_policy(policies, t.priority, t.queue, t.channel)
    facts = _facts(t, t.created, policy)
    sla: tuple[SlaView, ...] = ()
    if policy is not None:
        solved = t.solved if t.status in CLOSED else None
        inp = SlaInput(t.created, t.history, t.replies, solved)
        sla, sla_facts = sla_of(inp, policy, log.last_ts)
        facts.extend(sla_facts)
    return [
        View(
            "ticket",
            ticket_id,
            t.queue,
            log.version,
            log.last_ts,
            t.channel,
            t.priority,
            active=t.status not in CLOSED,
            sla=sla,
            facts=tuple(sorted(facts)),
        )
    ]
