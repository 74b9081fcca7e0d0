"""The events' pydantic models: the reference that says why a record is rejected.

    ADAPTER.validate_json(raw)  # raises ValidationError listing every problem

`stream/events/models.py` holds the structs the pipeline gets; msgspec decodes those
fast but stops at the first problem and words it its own way. A record msgspec
rejects comes here, so a dead letter says what is wrong in the words (and with all
the problems) kpiwatch has always used, and a record only these models accept still
gets in. The bounds are those of `stream/events/models.py`, checked the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from stream.events.models import (
    EARLIEST,
    MAX_AGENT_QUEUES,
    MAX_NAME,
    MAX_TAGS,
    SCORE_RANGES,
    AgentStatus,
    Channel,
    Priority,
    SurveyKind,
    TicketStatus,
)

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


def _rfc3339_shape(value: Any) -> Any:
    # pydantic also takes "1700000000" as a datetime; RFC 3339 needs YYYY-MM-DDThh:mm:ss.
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "Tt ":
        return value
    raise PydanticCustomError("rfc3339", "must be an RFC 3339 timestamp with offset")


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
Tag = Annotated[str, Field(max_length=MAX_NAME)]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    event_id: Name
    occurred_at: Timestamp


class _TicketEvent(_Event):
    ticket_id: Name


class _CallEvent(_Event):
    call_id: Name


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


class AgentStatusChanged(_Event):
    type: Literal["agent.status_changed"]
    agent_id: Name
    status: AgentStatus
    queues: Annotated[tuple[Name, ...], Field(max_length=MAX_AGENT_QUEUES)] = ()


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

ADAPTER: TypeAdapter[Event] = TypeAdapter(Annotated[Event, Field(discriminator="type")])
