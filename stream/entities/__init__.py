"""Per-entity state machines: a time-ordered event log in, views out (pure).

`FIELDS` names, per event type, the fields an entity keeps in its log.
"""

from __future__ import annotations

from typing import Any

FIELDS: dict[str, tuple[str, ...]] = {
    "ticket.created": ("queue", "channel", "priority"),
    "ticket.assigned": (),
    "ticket.replied": ("author", "public"),
    "ticket.status_changed": ("status",),
    "ticket.updated": ("queue", "priority", "channel"),
    "ticket.escalated": (),
    "call.queued": ("queue",),
    "call.answered": (),
    "call.abandoned": (),
    "call.ended": ("hold_seconds",),
    "call.wrapup_completed": (),
    "survey.responded": ("survey", "score", "queue"),
    "agent.status_changed": ("status", "queues"),
}


def fields_of(event: Any) -> dict[str, Any]:
    """Return the fields of `event` that entity state keeps (None values dropped)."""
    out = {}
    for name in FIELDS[event.type]:
        value = getattr(event, name)
        if value is not None:
            out[name] = list(value) if isinstance(value, tuple) else value
    return out
