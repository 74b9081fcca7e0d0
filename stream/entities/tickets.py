"""Ticket state: attributes, status history, replies and SLA clocks, as a view.

kind = TicketKind(policies)
views = kind.views(state, "t-1")   # state: an EntityState of kind.fold()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from stream.entities.state import MAX_HISTORY, EntityState, Item
from stream.entities.ticket_sla import CLOSED, SlaInput, pauses, sla_of
from stream.entities.views import Fact, SlaView, View
from stream.sla.policy import SlaPolicy, active_seconds, match_policy

_LISTS = ("changes", "replies", "reopens", "surveys")
SLA_MEMO = 4096
"""Tickets whose last SLA clocks are kept to reuse (bounded: not a cost per ticket)."""


def _push(items: list[Any] | None, value: Any) -> list[Any]:
    if items is None:
        return [value]
    items.append(value)
    if len(items) > MAX_HISTORY:
        del items[0]
    return items


# the fold's fields, in changelog order (mypyc reads no `__slots__` off a class)
TICKET_FIELDS = (
    "agent_replies",
    "changes",
    "channel",
    "created",
    "escalated",
    "first_reply",
    "priority",
    "queue",
    "reopens",
    "replies",
    "solved",
    "status",
    "survey_queue",
    "surveys",
)


class TicketFold:
    """What a ticket's events, applied in time order, say about it."""

    __slots__ = TICKET_FIELDS

    def __init__(self) -> None:
        self.queue = self.channel = self.priority = self.survey_queue = ""
        self.created: float | None = None
        self.status = "new"
        self.changes: list[tuple[float, str]] | None = None  # status changes, in time order
        self.replies: list[tuple[float, str, str]] | None = None  # public: (at, author, status)
        self.first_reply: float | None = None
        self.agent_replies = 0
        self.solved: float | None = None
        self.reopens: list[float] | None = None
        self.escalated: float | None = None
        self.surveys: list[Fact] | None = None

    def apply(self, ts: float, item: Item) -> None:
        """Apply the next event in (time, id) order."""
        type_ = item[0]
        if type_ == "ticket.created":
            if self.created is None:
                _, self.queue, self.channel, self.priority = item
                self.created = ts
        elif type_ == "ticket.updated":
            _, queue, priority, channel = item
            self.queue = self.queue if queue is None else queue
            self.priority = self.priority if priority is None else priority
            self.channel = self.channel if channel is None else channel
        elif type_ == "ticket.replied":
            self._reply(ts, item[1], item[2])
        elif type_ == "ticket.status_changed":
            self._status(ts, item[1])
        elif type_ == "ticket.escalated":
            if self.escalated is None:
                self.escalated = ts
        elif type_ == "survey.responded":
            self.surveys = _push(self.surveys, (item[1], ts, float(item[2])))
            self.survey_queue = self.survey_queue or item[3] or ""

    def _reply(self, ts: float, author: str, public: bool | None) -> None:
        if public is False:
            return
        self.replies = _push(self.replies, (ts, author, self.status))
        if author == "agent":
            self.agent_replies += 1
            if self.first_reply is None:
                self.first_reply = ts

    def _status(self, ts: float, new: str) -> None:
        if self.status in CLOSED and new not in CLOSED:
            self.reopens = _push(self.reopens, ts)
        if new == "solved" or (new == "closed" and self.status != "solved"):
            self.solved = ts
        self.status = new
        self.changes = _push(self.changes, (ts, new))

    def copy(self) -> Self:
        """Return an independent copy."""
        new = type(self).__new__(type(self))
        for name in TICKET_FIELDS:
            value = getattr(self, name)
            setattr(new, name, list(value) if name in _LISTS and value is not None else value)
        return new

    def dump(self) -> Any:
        """Return a JSON-able form for the changelog."""
        return [getattr(self, name) for name in TICKET_FIELDS]

    @classmethod
    def load(cls, dumped: Any) -> Self:
        """Parse what `dump` produced."""
        new = cls()
        for name, value in zip(TICKET_FIELDS, dumped, strict=True):
            if name in _LISTS and value is not None:
                value = [tuple(v) if isinstance(v, list) else v for v in value]
            setattr(new, name, value)
        return new


def _facts(t: TicketFold, created: float, policy: SlaPolicy | None) -> list[Fact]:
    facts: list[Fact] = [*(t.surveys or ()), ("created", created, 0.0)]
    if t.first_reply is not None:
        frt = t.first_reply - created
        if policy is not None and policy.frt_excludes_paused:
            frt = active_seconds(created, t.first_reply, pauses(_history(t), policy.pause_on))
        facts.append(("frt", t.first_reply, max(0.0, frt)))
    if t.status in CLOSED and t.solved is not None:
        facts.append(("solved", t.solved, max(0.0, t.solved - created)))
        fcr = 1.0 if t.agent_replies == 1 and not t.reopens else 0.0
        facts.append(("fcr", t.solved, fcr))
    facts.extend(("reopened", ts, 0.0) for ts in t.reopens or ())
    if t.escalated is not None:
        facts.append(("escalated", t.escalated, 0.0))
    return facts


def _history(t: TicketFold) -> list[tuple[float, str]]:
    assert t.created is not None
    return [(t.created, "new"), *(t.changes or ())]


class TicketKind:
    """Tickets: their fold and their one view, SLA clocks included."""

    name = "ticket"

    def __init__(self, policies: Sequence[SlaPolicy] = ()) -> None:
        self.policies = tuple(policies)
        self.memo: dict[str, tuple[tuple[Any, ...], tuple[SlaView, ...], list[Fact]]] = {}

    def _sla(
        self, ticket_id: str, t: TicketFold, solved: float | None, policy: SlaPolicy, now: float
    ) -> tuple[tuple[SlaView, ...], list[Fact]]:
        """Return `sla_of` the ticket, reused while its inputs stay the same.

        Most ticket events (assigned, escalated, a private note, a survey) leave the
        SLA inputs as they were. `now` is not part of them: it is the ticket's newest
        event time, after every time the clocks read, so it changes no due instant.
        """
        assert t.created is not None
        key = (policy, t.created, solved, tuple(t.changes or ()), tuple(t.replies or ()))
        hit = self.memo.pop(ticket_id, None)
        if hit is not None and hit[0] == key:
            self.memo[ticket_id] = hit  # the newest used: evicted last
            return hit[1], hit[2]
        inp = SlaInput(t.created, _history(t), t.replies or (), solved)
        sla, facts = sla_of(inp, policy, now)
        self.memo[ticket_id] = (key, sla, facts)
        if len(self.memo) > SLA_MEMO:
            del self.memo[next(iter(self.memo))]
        return sla, facts

    def fold(self, dumped: Any = None) -> TicketFold:
        """Return an empty fold, or the one `dump` produced."""
        return TicketFold() if dumped is None else TicketFold.load(dumped)

    def queues(self, state: EntityState, ticket_id: str) -> tuple[str, ...]:
        """Return the queue of its view: `views` without deriving it."""
        t = state.cur
        assert isinstance(t, TicketFold)
        if t.created is None:
            return (t.survey_queue,) if t.surveys and t.survey_queue else ()
        return (t.queue,)

    def views(self, state: EntityState, ticket_id: str) -> list[View]:
        """Return the ticket's view of its current queue.

        Before `ticket.created` is known, only its surveys count, in the survey's
        own `queue` (none if the survey names no queue).
        """
        t = state.cur
        assert isinstance(t, TicketFold)
        if t.created is None:
            if not t.surveys or not t.survey_queue:
                return []
            only = tuple(sorted(t.surveys))
            return [
                View("ticket", ticket_id, t.survey_queue, state.version, state.last_ts, facts=only)
            ]
        policy = match_policy(self.policies, t.priority, t.queue, t.channel)
        facts = _facts(t, t.created, policy)
        sla: tuple[SlaView, ...] = ()
        if policy is not None:
            solved = t.solved if t.status in CLOSED else None
            sla, sla_facts = self._sla(ticket_id, t, solved, policy, state.last_ts)
            facts.extend(sla_facts)
        return [
            View(
                "ticket",
                ticket_id,
                t.queue,
                state.version,
                state.last_ts,
                t.channel,
                t.priority,
                active=t.status not in CLOSED,
                sla=sla,
                facts=tuple(sorted(facts)),
            )
        ]
