"""Input events (SPEC §1): frozen msgspec structs, one per `type`, tagged on `type`.

    ev = msgspec.json.Decoder(Event).decode(raw)  # see stream/events/decoding.py
    ev.type, ev.entity_id, ev.ts                  # "call.queued", "C-1", 1772439330.25

Bounds (issue 11 §4): `occurred_at` carries an offset and is on or after 2000-01-01
(the future is bounded by `max_future_skew`, checked against the worker's clock); ids
and names 1–128 chars; at most 50 `tags` of ≤ 128 chars and 100 agent `queues`.
Unknown extra fields are ignored (producers may add fields before kpiwatch knows
them), within the decoder's bound on the whole record (`MAX_EVENT_BYTES`). The same
rules, worded for dead letters, are the pydantic models in `validation.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal, get_args

from msgspec import Meta, Struct, field
from msgspec.structs import force_setattr

__all__ = [
    "EVENT_TYPES",
    "STREAMS",
    "AgentStatusChanged",
    "CallAbandoned",
    "CallAnswered",
    "CallEnded",
    "CallQueued",
    "CallWrapupCompleted",
    "Event",
    "SurveyResponded",
    "TicketAssigned",
    "TicketCreated",
    "TicketEscalated",
    "TicketReplied",
    "TicketStatusChanged",
    "TicketUpdated",
]

Channel = Literal["email", "chat", "phone", "web", "social", "api"]
Priority = Literal["low", "normal", "high", "urgent"]
TicketStatus = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
AgentStatus = Literal["available", "busy", "after_call_work", "away", "offline"]
SurveyKind = Literal["csat", "nps", "ces"]

SCORE_RANGES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
#: No event happened before this: earlier times are unset clocks (1970) or defaults (year 1).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_EARLIEST_TS = EARLIEST.timestamp()
#: Bounds on lists and names, so one record cannot carry 100 kB into state and views.
MAX_NAME = 128
MAX_TAGS = 50
MAX_AGENT_QUEUES = 100

Name = Annotated[str, Meta(min_length=1, max_length=MAX_NAME)]
Tag = Annotated[str, Meta(max_length=MAX_NAME)]
Timestamp = Annotated[datetime, Meta(tz=True)]


class _Event(Struct, frozen=True, kw_only=True, gc=False, tag_field="type"):
    type: ClassVar[str]

    event_id: Name
    occurred_at: Timestamp
    #: Event time as epoch seconds, computed once. A record's own field of this name
    #: is overwritten (msgspec has no decode-only-never field; the name keeps it rare).
    ts: float = field(default=0.0, name="kpiwatch.ts")

    def __post_init__(self) -> None:
        ts = self.occurred_at.timestamp()
        if ts < _EARLIEST_TS:
            raise ValueError("occurred_at is before 2000-01-01")
        force_setattr(self, "ts", ts)

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        raise NotImplementedError

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        raise NotImplementedError


class _TicketEvent(_Event, frozen=True, kw_only=True, gc=False):
    ticket_id: Name

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        return self.ticket_id

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        return "tickets"


class _CallEvent(_Event, frozen=True, kw_only=True, gc=False):
    call_id: Name

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        return self.call_id

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        return "calls"


class TicketCreated(_TicketEvent, tag="ticket.created", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "ticket.created"
    queue: Name
    channel: Channel
    priority: Priority
    customer_id: Name | None = None
    tags: Annotated[tuple[Tag, ...], Meta(max_length=MAX_TAGS)] = ()


class TicketAssigned(_TicketEvent, tag="ticket.assigned", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "ticket.assigned"
    agent_id: Name
    team: Name | None = None


class TicketReplied(_TicketEvent, tag="ticket.replied", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "ticket.replied"
    author: Literal["agent", "customer"]
    public: bool = True


class TicketStatusChanged(
    _TicketEvent, tag="ticket.status_changed", frozen=True, kw_only=True, gc=False
):
    type: ClassVar[str] = "ticket.status_changed"
    status: TicketStatus


class TicketUpdated(_TicketEvent, tag="ticket.updated", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "ticket.updated"
    queue: Name | None = None
    priority: Priority | None = None
    channel: Channel | None = None

    def __post_init__(self) -> None:
        if self.queue is None and self.priority is None and self.channel is None:
            raise ValueError("must carry at least one of queue, priority, channel")
        super().__post_init__()


class TicketEscalated(_TicketEvent, tag="ticket.escalated", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "ticket.escalated"
    level: int | None = None


class CallQueued(_CallEvent, tag="call.queued", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "call.queued"
    queue: Name
    customer_id: Name | None = None


class CallAnswered(_CallEvent, tag="call.answered", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "call.answered"
    agent_id: Name


class CallAbandoned(_CallEvent, tag="call.abandoned", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "call.abandoned"


class CallEnded(_CallEvent, tag="call.ended", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "call.ended"
    hold_seconds: Annotated[float, Meta(ge=0)] | None = None  # JSON has no inf or NaN


class CallWrapupCompleted(
    _CallEvent, tag="call.wrapup_completed", frozen=True, kw_only=True, gc=False
):
    type: ClassVar[str] = "call.wrapup_completed"


class SurveyResponded(_Event, tag="survey.responded", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "survey.responded"
    ticket_id: Name | None = None
    call_id: Name | None = None
    survey: SurveyKind
    score: int
    queue: Name | None = None

    def __post_init__(self) -> None:
        low, high = SCORE_RANGES[self.survey]
        if not low <= self.score <= high:
            raise ValueError(f"{self.survey} score must be {low}–{high}, got {self.score}")
        if (self.ticket_id is None) == (self.call_id is None):
            raise ValueError("needs exactly one of ticket_id, call_id")
        super().__post_init__()

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        return self.ticket_id if self.ticket_id is not None else str(self.call_id)

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        return "tickets" if self.ticket_id is not None else "calls"


class AgentStatusChanged(_Event, tag="agent.status_changed", frozen=True, kw_only=True, gc=False):
    type: ClassVar[str] = "agent.status_changed"
    agent_id: Name
    status: AgentStatus
    queues: Annotated[tuple[Name, ...], Meta(max_length=MAX_AGENT_QUEUES)] = ()

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        return self.agent_id

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        return "agents"


Event = (
    TicketCreated
    | TicketAssigned
    | TicketReplied
    | TicketStatusChanged
    | TicketUpdated
    | TicketEscalated
    | CallQueued
    | CallAnswered
    | CallAbandoned
    | CallEnded
    | CallWrapupCompleted
    | SurveyResponded
    | AgentStatusChanged
)

EVENT_TYPES: frozenset[str] = frozenset(model.type for model in get_args(Event))
STREAMS = ("tickets", "calls", "agents")
