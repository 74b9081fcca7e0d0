"""Ticket state: attributes, status history, replies and SLA clocks, as a view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stream.entities.log import EntityLog
from stream.sla import Pause, SlaPolicy, active_seconds, match_policy, target_state
from stream.views import Fact, SlaView, View

CLOSED = frozenset({"solved", "closed"})


@dataclass
class _Ticket:
    queue: str = ""
    channel: str = ""
    priority: str = ""
    created: float | None = None
    status: str = "new"
    history: list[tuple[float, str]] = field(default_factory=list)
    first_reply: float | None = None
    agent_replies: int = 0
    solved: float | None = None
    reopens: list[float] = field(default_factory=list)
    escalated: float | None = None
    facts: list[Fact] = field(default_factory=list)


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
    elif type_ == "ticket.replied" and f["author"] == "agent" and f.get("public", True):
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
        t.facts.append((f["survey"], ts, float(f["score"])))
        t.queue = t.queue or f.get("queue", "")


def _pauses(history: Sequence[tuple[float, str]], pause_on: frozenset[str]) -> list[Pause]:
    pauses: list[Pause] = []
    start: float | None = None
    for ts, status in history:
        if status in pause_on and start is None:
            start = ts
        elif status not in pause_on and start is not None:
            pauses.append((start, ts))
            start = None
    if start is not None:
        pauses.append((start, None))
    return pauses


def _sla(t: _Ticket, policy: SlaPolicy, now: float) -> tuple[SlaView, ...]:
    assert t.created is not None
    pauses = _pauses(t.history, policy.pause_on)
    solved = t.solved if t.status in CLOSED else None
    out = []
    for name, met in (("first_response", t.first_reply), ("resolution", solved)):
        duration = policy.target(name)
        if duration is None:
            continue
        st = target_state(policy.calendar, name, t.created, duration, pauses, met, now)
        out.append(
            SlaView(name, st.due_at, st.remaining_paused, st.met_at, policy.at_risk.total_seconds())
        )
    return tuple(out)


def derive_ticket(log: EntityLog, ticket_id: str, policies: Sequence[SlaPolicy]) -> list[View]:
    """Return the ticket's view of its current queue (none before `ticket.created`)."""
    t = _fold(log)
    if t.created is None:
        return []  # surveys or replies of a ticket we have not seen created yet
    now = log.last_ts
    facts = [*t.facts, ("created", t.created, 0.0)]
    policy = match_policy(policies, t.priority, t.queue, t.channel)
    if t.first_reply is not None:
        frt = t.first_reply - t.created
        if policy is not None and policy.frt_excludes_paused:
            frt = active_seconds(t.created, t.first_reply, _pauses(t.history, policy.pause_on))
        facts.append(("frt", t.first_reply, max(0.0, frt)))
    is_open = t.status not in CLOSED
    if not is_open and t.solved is not None:
        facts.append(("solved", t.solved, max(0.0, t.solved - t.created)))
        fcr = 1.0 if t.agent_replies == 1 and not t.reopens else 0.0
        facts.append(("fcr", t.solved, fcr))
    facts.extend(("reopened", ts, 0.0) for ts in t.reopens)
    if t.escalated is not None:
        facts.append(("escalated", t.escalated, 0.0))
    sla = _sla(t, policy, now) if policy is not None else ()
    return [
        View(
            "ticket",
            ticket_id,
            t.queue,
            log.version,
            now,
            t.channel,
            t.priority,
            active=is_open,
            sla=sla,
            facts=tuple(sorted(facts)),
        )
    ]
