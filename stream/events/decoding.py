"""The decoder: record bytes → an event, or a rejection reason for the dead-letter topic.

    ev = decode(b'{"type": "call.queued", ...}', "calls")
    if isinstance(ev, Rejection):
        dead_letter(ev.reason)

`decode` never raises on bad input. msgspec decodes a record straight into its struct
(`models.py`); a record it refuses goes through the pydantic models (`validation.py`),
which word the reason (every problem, as kpiwatch always has) or, where msgspec is
stricter than they are, accept it after all. Measured (`python bench/decode.py`, the
`bench/core.py` event mix, 2-core VM at load 7): 5.4 µs per valid record (pydantic
alone: 13.5), 15.2 µs per invalid one (pydantic alone: 15.0). Unloaded (timeit), a
`call.queued` takes 2.3 µs: msgspec 0.8 (0.3 of it `__post_init__`), the checks before
it 0.7 (bracket count, the sub-microsecond regex), the stream and key checks 0.4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

import msgspec
from pydantic import ValidationError

from stream.events.models import EVENT_TYPES, STREAMS, Event
from stream.events.validation import ADAPTER

_DECODER = msgspec.json.Decoder(Event)
_STRUCTS: dict[str, type[Event]] = {model.type: model for model in get_args(Event)}
_KNOWN_STREAMS = frozenset(STREAMS)
#: An event is well under 1 KiB; this bounds what unknown extra fields can carry.
MAX_EVENT_BYTES = 64 << 10
#: msgspec skips unknown fields without checking their UTF-8 or their depth, which
#: the pydantic parser rejects, and rounds a time's digits beyond microseconds, which
#: pydantic drops: a record with more brackets than this, any byte beyond ASCII that is
#: not UTF-8, or a time with 7 or more fractional digits goes to the pydantic models.
_MAX_FAST_BRACKETS = 32
_SUB_MICROSECOND = re.compile(rb":\d\d[.,]\d{7}")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record was not accepted: a one-line reason and a bounded type label.

    `event_type` is the type read from the record, "unknown" for an unknown type,
    None when no type could be read.
    """

    reason: str
    event_type: str | None


def decode(
    raw: bytes, stream: str, key: bytes | None = None, *, fast: bool = True
) -> Event | Rejection:
    """Decode one record (value and key) from a logical stream into an event, or say why not.

    A record with a key must be keyed by its entity id: a foreign key would put the
    entity's events in two partitions' state. A record without a key is accepted.
    `fast=False` skips msgspec: the pydantic models alone, the reference tests compare to.
    """
    if stream not in _KNOWN_STREAMS:  # a wiring bug, not bad input
        raise ValueError(f"unknown stream {stream!r}; expected one of {STREAMS}")
    if len(raw) > MAX_EVENT_BYTES:
        limit = MAX_EVENT_BYTES >> 10
        return Rejection(f"record is {len(raw)} bytes; an event may have {limit} KiB", None)
    event = _fast(raw) if fast else None
    if event is None:
        checked = _checked(raw)
        if isinstance(checked, Rejection):
            return checked
        event = checked
    if event.stream != stream:
        what = f"survey for a {event.stream[:-1]}" if event.type == "survey.responded" else None
        label = what or f"type {event.type!r}"
        return Rejection(f"{label} is not allowed on the {stream} topic", event.type)
    if key is not None and key != event.entity_id.encode():
        return Rejection(_key_mismatch(key, event), event.type)
    return event


def _fast(raw: bytes) -> Event | None:
    """Decode `raw` with msgspec, or return None to leave it to the pydantic models."""
    if raw.count(b"[") + raw.count(b"{") > _MAX_FAST_BRACKETS:
        return None
    if _SUB_MICROSECOND.search(raw) is not None:
        return None
    if not raw.isascii():
        try:
            raw.decode()
        except UnicodeDecodeError:
            return None
    try:
        return _DECODER.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return None


def _checked(raw: bytes) -> Event | Rejection:
    """Validate `raw` with the pydantic models: the event, or every reason it is not one."""
    try:
        model = ADAPTER.validate_json(raw)
    except ValidationError as exc:
        return _rejection(exc)
    fields = {name: getattr(model, name) for name in type(model).model_fields}
    del fields["type"]
    return _STRUCTS[model.type](**fields)


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
