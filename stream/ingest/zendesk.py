"""Zendesk event webhooks (`zen:event-type:ticket.*`) → `ticket.*` events.

    records = map_zendesk(parse_json(body), config.ingest.zendesk)

| Zendesk event type | kpiwatch event |
|---|---|
| ticket.created | ticket.created (queue from `queue_field`, channel from via.channel, priority) |
| ticket.status_changed | ticket.status_changed (NEW/OPEN/PENDING/HOLD/SOLVED/CLOSED) |
| ticket.priority_changed | ticket.updated priority |
| ticket.group_assignment_changed | ticket.updated queue (when `queue_field` is group_id) |
| ticket.agent_assignment_changed | ticket.assigned (nothing when unassigned) |
| ticket.comment_added | ticket.replied (author agent if staff, public from is_public) |
| other ticket.* | nothing (accepted, counted as ignored) |
"""

from __future__ import annotations

from typing import Any

from stream.config.ingest import ZendeskIngest
from stream.ingest.mapping import (
    Mapped,
    Unmappable,
    field,
    finish,
    obj,
    require,
    rfc3339,
    text,
)

PREFIX = "zen:event-type:"
STATUSES = {
    "NEW": "new",
    "OPEN": "open",
    "PENDING": "pending",
    "HOLD": "on_hold",
    "ON_HOLD": "on_hold",
    "SOLVED": "solved",
    "CLOSED": "closed",
}


def map_zendesk(payload: Any, cfg: ZendeskIngest) -> list[Mapped]:
    """Map one Zendesk webhook event to kpiwatch ticket events."""
    if not isinstance(payload, dict):
        raise Unmappable("a Zendesk event must be a JSON object")
    kind = str(payload.get("type") or "")
    if not kind.startswith(PREFIX + "ticket."):
        raise Unmappable(f"type: not a Zendesk ticket event: {kind[:64]!r}")
    kind = kind.removeprefix(PREFIX + "ticket.")
    detail = obj(payload.get("detail"))
    ticket = require(text(detail.get("id")) or _subject_id(payload), "detail.id")
    base = {
        "event_id": "zendesk:" + require(text(payload.get("id")), "id"),
        "occurred_at": rfc3339(payload.get("time"), "time"),
        "ticket_id": "zendesk:" + ticket,
    }
    event = obj(payload.get("event"))
    mapper = _MAPPERS.get(kind)
    if mapper is None:
        return []
    out = mapper(base, detail, event, cfg)
    return [] if out is None else [finish("tickets", out)]


def _subject_id(payload: dict[str, Any]) -> str | None:
    subject = str(payload.get("subject") or "")
    return (
        subject.removeprefix("zen:ticket:") or None if subject.startswith("zen:ticket:") else None
    )


def _queue(value: Any, cfg: ZendeskIngest) -> str:
    raw = text(value)
    queue = cfg.queue.resolve(raw)
    if queue is None:
        raise Unmappable(
            f"{cfg.queue_field} {raw!r} is not in ingest.zendesk.queue.names"
            " and ingest.zendesk.queue has no default"
        )
    return queue


def _priority(value: Any, cfg: ZendeskIngest, default: str | None) -> str | None:
    raw = text(value)
    if raw is None:
        return default
    mapped = cfg.priorities.get(raw.upper())
    if mapped is None:
        raise Unmappable(f"priority {raw!r} is not in ingest.zendesk.priorities")
    return mapped


def _channel(detail: dict[str, Any], cfg: ZendeskIngest) -> str:
    raw = text(field(detail, "via", "channel"))
    mapped = cfg.channels.get(raw or "") or cfg.default_channel
    if mapped is None:
        raise Unmappable(f"via.channel {raw!r} is not in ingest.zendesk.channels")
    return mapped


Event = dict[str, Any]


def _created(base: Event, detail: Event, event: Event, cfg: ZendeskIngest) -> Event:
    tags = detail.get("tags")
    return base | {
        "type": "ticket.created",
        "queue": _queue(detail.get(cfg.queue_field), cfg),
        "channel": _channel(detail, cfg),
        "priority": _priority(detail.get("priority"), cfg, cfg.default_priority),
        "customer_id": _prefixed(detail.get("requester_id")),
        "tags": [str(t)[:128] for t in tags] if isinstance(tags, list) else None,
    }


def _status(base: Event, detail: Event, event: Event, cfg: ZendeskIngest) -> Event:
    raw = text(event.get("current")) or text(detail.get("status"))
    status = STATUSES.get((raw or "").upper())
    if status is None:
        raise Unmappable(f"event.current: unknown ticket status {raw!r}")
    return base | {"type": "ticket.status_changed", "status": status}


def _priority_changed(base: Event, detail: Event, event: Event, cfg: ZendeskIngest) -> Event | None:
    priority = _priority(event.get("current"), cfg, None)
    return None if priority is None else base | {"type": "ticket.updated", "priority": priority}


def _group(base: Event, detail: Event, event: Event, cfg: ZendeskIngest) -> Event | None:
    if cfg.queue_field != "group_id" or text(event.get("current")) is None:
        return None
    return base | {"type": "ticket.updated", "queue": _queue(event.get("current"), cfg)}


def _assigned(base: Event, detail: Event, event: Event, cfg: ZendeskIngest) -> Event | None:
    agent = _prefixed(event.get("current"))
    return None if agent is None else base | {"type": "ticket.assigned", "agent_id": agent}


def _comment(base: Event, detail: Event, event: Event, cfg: ZendeskIngest) -> Event:
    comment = event.get("comment")
    if not isinstance(comment, dict):
        raise Unmappable("event.comment: field required")
    staff = field(comment, "author", "is_staff")
    if not isinstance(staff, bool):
        raise Unmappable("event.comment.author.is_staff: field required (true or false)")
    public = comment.get("is_public")
    return base | {
        "type": "ticket.replied",
        "author": "agent" if staff else "customer",
        "public": public if isinstance(public, bool) else True,
    }


def _prefixed(value: Any) -> str | None:
    raw = text(value)
    return None if raw is None else "zendesk:" + raw


_MAPPERS = {
    "created": _created,
    "status_changed": _status,
    "priority_changed": _priority_changed,
    "group_assignment_changed": _group,
    "agent_assignment_changed": _assigned,
    "comment_added": _comment,
}
