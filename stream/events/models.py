"""Input event models (SPEC §1): a discriminated union on `type`, strict.

    TicketCreated.model_validate({"type": "ticket.created", ...})

Decoding raw records into these models lives in `stream/events/decoding.py`.

Bounds (issue 11 §4): `occurred_at` on or after 2000-01-01 (the future is bounded by
`max_future_skew`, checked against the worker's clock); ids and names 1–128 chars; at
most 50 `tags` of ≤ 128 chars and 100 agent `queues`. Unknown extra fields are ignored
(producers may add fields before kpiwatch knows them), within the decoder's bound on
the whole record (`MAX_EVENT_BYTES`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

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
Name = Annotated[str, Field(min_length=1, max_length=128)]

SCORE_RANGES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


def _rfc3339_shape(value: Any) -> Any:
    # pydantic also takes "1700000000" as a datetime; RFC 3339 needs YYYY-MM-DDThh:mm:ss.
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "Tt ":
        return value
    raise PydanticCustomError("rfc3339", "must be an RFC 3339 timestamp with offset")


#: No event happened before this: earlier times are unset clocks (1970) or defaults (year 1).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: Bounds on lists, so one record cannot carry 100 kB of tags into state and views.
MAX_TAGS = 50
MAX_AGENT_QUEUES = 100


def _not_before_2000(value: datetime) -> datetime:
    if value < EARLIEST:
        raise PydanticCustomError(
            "too_old",
            "{value} is before 2000-01-01, the earliest event time kpiwatch accepts "
            "(an unset clock or a default value?)",
            {"value": value.isoformat()},
        )
    return value


# Lax after the shape check: the before-validator hands a Python str to the datetime parser.
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_shape),
    AfterValidator(_not_before_2000),
    Field(strict=False),
]
Tag = Annotated[str, Field(max_length=128)]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    event_id: Name
    occurred_at: Timestamp

    @property  # not cached: on 3.11 cached_property's lock costs more than timestamp()
    def ts(self) -> float:
        """Event time as epoch seconds."""
        return self.occurred_at.timestamp()


class _TicketEvent(_Event):
    ticket_id: Name

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        return self.ticket_id

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        return "tickets"


class _CallEvent(_Event):
    call_id: Name

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        return self.call_id

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        return "calls"


class TicketCreated(_TicketEvent):
    type: Literal["ticket.created"]
    queue: Name
    channel: Channel
    priority: Priority
    customer_id: Name | None = None
    tags: Annotated[tuple[Tag, ...], Field(max_length=MAX_TAGS)] = ()


class TicketAssigned(_TicketEvent):
    type: Literal["ticket.assigned"]
    agent_id: Name
    team: Name | None = None


class TicketReplied(_TicketEvent):
    type: Literal["ticket.replied"]
    author: Literal["agent", "customer"]
    public: bool = True


class TicketStatusChanged(_TicketEvent):
    type: Literal["ticket.status_changed"]
    status: TicketStatus


class TicketUpdated(_TicketEvent):
    type: Literal["ticket.updated"]
    queue: Name | None = None
    priority: Priority | None = None
    channel: Channel | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> TicketUpdated:
        if self.queue is None and self.priority is None and self.channel is None:
            raise PydanticCustomError(
                "empty_update", "must carry at least one of queue, priority, channel"
            )
        return self


class TicketEscalated(_TicketEvent):
    type: Literal["ticket.escalated"]
    level: int | None = None


class CallQueued(_CallEvent):
    type: Literal["call.queued"]
    queue: Name
    customer_id: Name | None = None


class CallAnswered(_CallEvent):
    type: Literal["call.answered"]
    agent_id: Name


class CallAbandoned(_CallEvent):
    type: Literal["call.abandoned"]


class CallEnded(_CallEvent):
    type: Literal["call.ended"]
    hold_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class CallWrapupCompleted(_CallEvent):
    type: Literal["call.wrapup_completed"]


class SurveyResponded(_Event):
    type: Literal["survey.responded"]
    ticket_id: Name | None = None
    call_id: Name | None = None
    survey: SurveyKind
    score: int
    queue: Name | None = None

    @field_validator("score")
    @classmethod
    def _score_in_range(cls, score: int, info: ValidationInfo) -> int:
        kind = info.data.get("survey")
        if kind is not None:
            low, high = SCORE_RANGES[kind]
            if not low <= score <= high:
                raise PydanticCustomError(
                    "score_range",
                    "{kind} score must be {low}–{high}, got {score}",
                    {"kind": kind, "low": low, "high": high, "score": score},
                )
        return score

    @model_validator(mode="after")
    def _one_subject(self) -> SurveyResponded:
        if (self.ticket_id is None) == (self.call_id is None):
            raise PydanticCustomError("survey_subject", "needs exactly one of ticket_id, call_id")
        return self

    @property
    def entity_id(self) -> str:
        """Key of the entity this event belongs to."""
        return self.ticket_id if self.ticket_id is not None else str(self.call_id)

    @property
    def stream(self) -> str:
        """Logical stream this event belongs on."""
        return "tickets" if self.ticket_id is not None else "calls"


class AgentStatusChanged(_Event):
    type: Literal["agent.status_changed"]
    agent_id: Name
    status: AgentStatus
    queues: Annotated[tuple[Name, ...], Field(max_length=MAX_AGENT_QUEUES)] = ()

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

EVENT_TYPES: frozenset[str] = frozenset(
    get_args(model.model_fields["type"].annotation)[0] for model in get_args(Event)
)
STREAMS = ("tickets", "calls", "agents")
