"""The `ingest:` section: the `kpiwatch ingest` service and how vendor fields map to events.

    ingest = Ingest.model_validate({
        "port": 8080,
        "zendesk": {"signing_secret": "s3cret", "queue": {"names": {"360001": "billing"}}},
    })
    ingest.zendesk.queue.resolve("360001")   # "billing"

A vendor whose section is absent is not served (its endpoint answers 404).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator, Field, SecretStr, field_validator

from alerts.durations import PositiveDuration
from alerts.strict import Strict
from stream.events.models import AgentStatus, Channel, Priority

QueueName = Annotated[str, Field(min_length=1, max_length=128)]


def _non_empty(value: SecretStr) -> SecretStr:
    if not value.get_secret_value():
        raise ValueError("must not be empty (an unset ${VAR:-} default?)")
    return value


Secret = Annotated[SecretStr, AfterValidator(_non_empty)]


class QueueMapping(Strict):
    """Vendor value (group id, queue name, queue ARN) → kpiwatch queue.

    Looked up in `names`, else `default`, else the value itself if
    `keep_unmapped`; otherwise the event cannot be mapped (422, dead-lettered).
    """

    names: dict[str, QueueName] = Field(default_factory=dict)
    default: QueueName | None = None
    keep_unmapped: bool = False

    def resolve(self, value: str | None) -> str | None:
        """Return the kpiwatch queue of a vendor value, None if it has none."""
        if value is not None and value in self.names:
            return self.names[value]
        if self.default is not None:
            return self.default
        if self.keep_unmapped and value:
            return value[:128]
        return None


ZENDESK_PRIORITIES: dict[str, Priority] = {
    "LOW": "low",
    "NORMAL": "normal",
    "HIGH": "high",
    "URGENT": "urgent",
}
ZENDESK_CHANNELS: dict[str, Channel] = {
    "email": "email",
    "web": "web",
    "web_form": "web",
    "web_widget": "web",
    "api": "api",
    "web_service": "api",
    "chat": "chat",
    "native_messaging": "chat",
    "voice": "phone",
    "phone": "phone",
    "twitter": "social",
    "facebook": "social",
    "whatsapp": "social",
}


class ZendeskIngest(Strict):
    """Zendesk event webhooks (`zen:event-type:ticket.*`)."""

    signing_secret: Secret
    queue_field: Literal["group_id", "brand_id", "form_id", "organization_id"] = "group_id"
    queue: QueueMapping = QueueMapping()
    # keys are Zendesk's values, compared upper-case for priorities
    priorities: dict[str, Priority] = Field(default_factory=lambda: dict(ZENDESK_PRIORITIES))
    default_priority: Priority = "normal"  # a ticket created without a priority
    channels: dict[str, Channel] = Field(default_factory=lambda: dict(ZENDESK_CHANNELS))
    default_channel: Channel | None = "web"  # None: an unknown via.channel is unmappable

    @field_validator("priorities")
    @classmethod
    def _priorities_upper(cls, value: dict[str, Priority]) -> dict[str, Priority]:
        lower = [k for k in value if k != k.upper()]
        if lower:
            raise ValueError(f"keys are Zendesk's upper-case values, not {', '.join(lower)}")
        return value


TWILIO_ACTIVITIES: dict[str, AgentStatus] = {
    "Available": "available",
    "Idle": "available",
    "Busy": "busy",
    "Reserved": "busy",
    "Wrap Up": "after_call_work",
    "WrapUp": "after_call_work",
    "Break": "away",
    "Unavailable": "away",
    "Offline": "offline",
}


class TwilioIngest(Strict):
    """Twilio TaskRouter event callbacks (form-encoded)."""

    auth_token: Secret
    # the URL Twilio is configured to call, as Twilio sees it (it signs that URL);
    # unset = the URL of the request as it reached kpiwatch (no proxy in between)
    public_url: AnyHttpUrl | None = None
    # a callback parameter, or `attributes.<key>` of the task's TaskAttributes JSON
    queue_field: str = Field(default="TaskQueueName", min_length=1)
    queue: QueueMapping = QueueMapping(keep_unmapped=True)
    activities: dict[str, AgentStatus] = Field(default_factory=lambda: dict(TWILIO_ACTIVITIES))
    # the WorkerAttributes key listing the queues a worker serves (a list or one string)
    worker_queues_attribute: str = Field(default="queues", min_length=1)


CONNECT_STATES: dict[str, AgentStatus] = {"Available": "available", "Offline": "offline"}


class ConnectIngest(Strict):
    """Amazon Connect contact events (EventBridge) and agent event stream records."""

    token: Secret  # sent as `Authorization: Bearer <token>` (an EventBridge connection)
    queue: QueueMapping = QueueMapping()  # queue ARN → name
    states: dict[str, AgentStatus] = Field(default_factory=lambda: dict(CONNECT_STATES))
    # agent statuses not in `states` (Break, Lunch, Training, ...)
    other_states: AgentStatus = "away"


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


class EventsIngest(Strict):
    """kpiwatch's own events over HTTP; without a token (or an empty one), loopback only."""

    token: Annotated[SecretStr | None, BeforeValidator(_empty_is_none)] = None


class RateLimit(Strict):
    """A token bucket per endpoint: `per_second` sustained, `burst` at once."""

    per_second: float = Field(default=200.0, gt=0)
    burst: int = Field(default=400, ge=1)


class Ingest(Strict):
    """The `kpiwatch ingest` HTTP service."""

    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    rate_limit: RateLimit = RateLimit()
    # the broker must confirm the write (acks=all) within this, else 503 and the vendor
    # retries; below Twilio's 15 s and EventBridge's 5 s
    ack_timeout: PositiveDuration = timedelta(seconds=4)
    zendesk: ZendeskIngest | None = None
    twilio: TwilioIngest | None = None
    connect: ConnectIngest | None = None
    events: EventsIngest = EventsIngest()
