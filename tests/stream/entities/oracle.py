"""The event-log derivation of kpiwatch before incremental state: the oracle of its tests.

Copied from stream/entities/{log,tickets,calls,agents}.py as they were: every view
is re-derived from the whole sorted, deduplicated event log of the entity.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stream.entities.agents import DEFAULT_RETENTION, OCCUPANCY_STATUS
from stream.entities.calls import DEFAULT_WRAPUP_TIMEOUT, _aht
from stream.entities.ticket_sla import CLOSED, SlaInput, pauses, sla_of
from stream.entities.views import Fact, SlaView, View
from stream.sla.policy import SlaPolicy, active_seconds, match_policy

Record = tuple[float, str, str, dict[str, Any]]  # (occurred_at, type, event_id, fields)


class EntityLog:
    """A deduplicated, time-ordered list of one entity's events."""

    __slots__ = ("events", "ids", "trimmed")

    def __init__(self, events: list[Record] | None = None, trimmed: int = 0) -> None:
        self.events: list[Record] = events or []
        self.ids = {e[2] for e in self.events}
        self.trimmed = trimmed  # events dropped by `trim`, so `version` never goes back

    @property
    def version(self) -> int:
        """Return the number of distinct events seen."""
        return self.trimmed + len(self.events)

    @property
    def last_ts(self) -> float:
        """Return the newest event time."""
        return self.events[-1][0] if self.events else 0.0

    def add(self, ts: float, type_: str, event_id: str, fields: dict[str, Any]) -> bool:
        """Insert an event in time order; return False for a duplicate id."""
        if event_id in self.ids:
            return False
        self.ids.add(event_id)
        # ties keep arrival order only through the id, which is stable on replay
        insort(self.events, (ts, type_, event_id, fields), key=lambda r: (r[0], r[2]))
        return True


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


def derive_call(
    log: EntityLog, call_id: str, wrapup_timeout: float = DEFAULT_WRAPUP_TIMEOUT
) -> list[View]:
    """Return the call's view of its queue (the survey's `queue` until `call.queued`)."""
    queue = survey_queue = ""
    queued = answered = left = ended = wrapup = None
    abandoned = False
    facts: list[Fact] = []
    for ts, type_, _, f in log.events:
        if type_ == "call.queued" and queued is None:
            queue, queued = f["queue"], ts
        elif type_ == "call.answered" and left is None:
            answered = left = ts
        elif type_ == "call.abandoned" and left is None:
            abandoned, left = True, ts
        elif type_ == "call.ended" and ended is None:
            ended = ts
        elif type_ == "call.wrapup_completed" and wrapup is None:
            wrapup = ts
        elif type_ == "survey.responded":
            facts.append((f["survey"], ts, float(f["score"])))
            survey_queue = survey_queue or f.get("queue", "")
    queue = queue or survey_queue
    if not queue:
        return []
    if queued is not None and left is not None:
        facts.append(("abandoned" if abandoned else "answered", left, max(0.0, left - queued)))
    if answered is not None and ended is not None:
        facts.append(_aht(answered, ended, wrapup, wrapup_timeout))
    waiting = queued is not None and left is None
    return [
        View(
            "call",
            call_id,
            queue,
            log.version,
            log.last_ts,
            active=waiting,
            since=queued if waiting else None,
            facts=tuple(sorted(facts)),
        )
    ]


Run = tuple[float, float | None, str, tuple[str, ...]]  # (start, end, status, queues)


def _runs(log: EntityLog) -> list[Run]:
    runs: list[Run] = []
    status, queues, start = "", (), 0.0
    for ts, _, _, f in log.events:
        new_queues = tuple(sorted(set(f.get("queues") or queues)))
        if f["status"] == status and new_queues == queues:
            continue
        if status:
            runs.append((start, ts, status, queues))
        status, queues, start = f["status"], new_queues, ts
    if status:
        runs.append((start, None, status, queues))
    return runs


def derive_agent(log: EntityLog, agent_id: str, retention: float = DEFAULT_RETENTION) -> list[View]:
    """Return one view per queue the agent serves or recently served."""
    runs = _runs(log)
    if not runs:
        return []
    since, _, status, current = runs[-1]
    cutoff = log.last_ts - retention
    facts: dict[str, list[Fact]] = {q: [] for q in current}
    for start, end, st, queues in runs[:-1]:
        name = OCCUPANCY_STATUS.get(st)
        if name is None or end is None or end < cutoff or end <= start:
            continue
        for q in queues:
            facts.setdefault(q, []).append((name, start, end - start))
    return [
        View(
            "agent",
            agent_id,
            q,
            log.version,
            log.last_ts,
            active=q in current and status != "offline",
            since=since if q in current else None,
            status=status if q in current else "",
            facts=tuple(sorted(fs)),
        )
        for q, fs in sorted(facts.items())
    ]
