"""kpiwatch's own events over HTTP: one JSON object, a JSON array, or JSON lines.

    good, bad = split_events(body)    # records, [(line number, reason, raw line)]

Each event goes through the worker's decoder; its topic follows from its type
(a survey from the id it carries).
"""

from __future__ import annotations

from typing import Any

import orjson

from stream.events.decoding import Rejection, decode
from stream.events.models import STREAMS
from stream.ingest.mapping import Mapped

Bad = tuple[int, str, bytes]


def split_events(body: bytes) -> tuple[list[Mapped], list[Bad]]:
    """Return the valid events of a body as records, and each bad one with its reason."""
    good: list[Mapped] = []
    bad: list[Bad] = []
    for number, raw in _items(body):
        item = _one(raw)
        if isinstance(item, str):
            bad.append((number, item, raw))
        else:
            good.append(item)
    return good, bad


def _items(body: bytes) -> list[tuple[int, bytes]]:
    """Split a body into (number, document): one object, an array, or JSON lines."""
    try:
        whole = orjson.loads(body)
    except orjson.JSONDecodeError:
        lines = body.split(b"\n")
        return [(i + 1, line.strip()) for i, line in enumerate(lines) if line.strip()]
    if isinstance(whole, list):
        return [(i + 1, orjson.dumps(item)) for i, item in enumerate(whole)]
    return [(1, body.strip())]


def _one(raw: bytes) -> Mapped | str:
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc}"
    if not isinstance(data, dict):
        return "event must be a JSON object"
    stream = _stream_of(data)
    if stream is None:
        kind = data.get("type")
        return "type: field required" if kind is None else f"type: unknown event type {kind!r}"
    event = decode(raw, stream)
    if isinstance(event, Rejection):
        return event.reason
    return Mapped(stream, event.entity_id, raw, event.type)


def _stream_of(data: dict[str, Any]) -> str | None:
    kind = str(data.get("type") or "")
    if kind == "survey.responded":
        return "calls" if "call_id" in data and "ticket_id" not in data else "tickets"
    prefix = {"ticket": "tickets", "call": "calls", "agent": "agents"}.get(kind.split(".")[0])
    return prefix if prefix in STREAMS else None
