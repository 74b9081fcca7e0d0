"""Per-entity state machines: events in, views out (pure).

`FIELDS` names, per event type, the fields an entity keeps; `item_of` turns an
event into the compact tuple its state stores: `(type, *FIELDS[type])`, None
for a field the event leaves out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from operator import attrgetter
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


def _compact(value: Any) -> Any:
    # the same few queue, channel and status names recur in millions of entities
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, list | tuple):
        return tuple(map(_compact, value))
    return value


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Return a function of an event giving the values of `names` as a tuple (C speed)."""
    if not names:
        return lambda _event: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda event: (one(event),)
    return attrgetter(*names)


_GETTERS = {type_: _getter(names) for type_, names in FIELDS.items()}


def item_of(event: Any) -> tuple[Any, ...]:
    """Return the compact tuple an entity keeps of `event`."""
    type_ = sys.intern(event.type)
    return (type_, *map(_compact, _GETTERS[type_](event)))
