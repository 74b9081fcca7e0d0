"""What a mapper returns, and the helpers every mapper shares.

    rec = finish("tickets", {"type": "ticket.created", "event_id": "zendesk:…", ...})
    rec.key, rec.value          # entity id, JSON bytes checked by the worker's decoder

A mapper raises `Unmappable` with a one-line reason for a payload it cannot map,
and returns an empty list for a vendor event that means nothing to kpiwatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from stream.events.decoding import Rejection, decode


class Unmappable(Exception):
    """A payload that cannot be turned into kpiwatch events; the message says why."""


@dataclass(frozen=True, slots=True)
class Mapped:
    """One record for an input topic: logical stream, key (entity id), JSON value."""

    stream: str
    key: str
    value: bytes
    event_type: str


def finish(stream: str, event: dict[str, Any]) -> Mapped:
    """Check a mapped event with the worker's decoder and return its record."""
    event = {k: v for k, v in event.items() if v is not None}
    raw = orjson.dumps(event)
    checked = decode(raw, stream)
    if isinstance(checked, Rejection):
        raise Unmappable(f"mapped {event.get('type', 'event')} is invalid: {checked.reason}")
    return Mapped(stream, checked.entity_id, raw, checked.type)


def parse_json(body: bytes) -> Any:
    """Decode a JSON body or raise Unmappable."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Unmappable(f"invalid JSON: {exc}") from None


def rfc3339(value: Any, what: str) -> str:
    """Return a vendor timestamp (ISO 8601 text or epoch seconds/ms) as RFC 3339 UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            raise Unmappable(f"{what}: timestamp out of range: {value!r}") from None
    if isinstance(value, str) and value:
        text = value.strip()
        if text.isdigit():
            return rfc3339(int(text), what)
        try:
            parsed = datetime.fromisoformat(_trim_fraction(text.replace("Z", "+00:00")))
        except ValueError:
            raise Unmappable(f"{what}: not a timestamp: {value[:40]!r}") from None
        if parsed.tzinfo is None:
            raise Unmappable(f"{what}: timestamp without offset: {value[:40]!r}")
        return parsed.astimezone(UTC).isoformat()
    raise Unmappable(f"{what}: missing timestamp")


def _trim_fraction(text: str) -> str:
    """Cut fractions of a second to 6 digits (Zendesk sends nanoseconds)."""
    if "." not in text:
        return text
    head, _, rest = text.partition(".")
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"


def field(data: Any, *path: str) -> Any:
    """Return data[path[0]][path[1]]…, None where a level is missing or not an object."""
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def obj(value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    """Return `value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """Return a vendor id (string or number) as text, None if absent or empty."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    out = str(value).strip()
    return out or None


def require(value: str | None, what: str) -> str:
    """Return `value`, or raise Unmappable naming the missing field."""
    if value is None:
        raise Unmappable(f"{what}: field required")
    return value
