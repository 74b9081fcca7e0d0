"""Twilio TaskRouter event callbacks (form parameters) → `call.*` and `agent.status_changed`.

    records = map_taskrouter(dict(form), config.ingest.twilio)

| EventType | kpiwatch event |
|---|---|
| task.created | call.queued (queue from `queue_field`) |
| task.canceled | call.abandoned (the task left the queue unanswered) |
| reservation.accepted | call.answered (agent = WorkerSid) |
| task.wrapup | call.ended |
| task.completed | call.wrapup_completed |
| worker.activity.update | agent.status_changed (status from `activities`) |
| anything else | nothing (accepted, counted as ignored) |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from stream.config.ingest import TwilioIngest
from stream.ingest.mapping import Mapped, Unmappable, finish, require, rfc3339, text

CALL_TYPES = {
    "task.created": "call.queued",
    "task.canceled": "call.abandoned",
    "reservation.accepted": "call.answered",
    "task.wrapup": "call.ended",
    "task.completed": "call.wrapup_completed",
}


def map_taskrouter(params: Mapping[str, str], cfg: TwilioIngest) -> list[Mapped]:
    """Map one TaskRouter event callback to kpiwatch events."""
    kind = require(text(params.get("EventType")), "EventType")
    if kind not in CALL_TYPES and kind != "worker.activity.update":
        return []
    base = {"event_id": "twilio:" + _event_id(params, kind), "occurred_at": _time(params)}
    if kind == "worker.activity.update":
        return [finish("agents", base | _agent(params, cfg))]
    task = require(text(params.get("TaskSid")), "TaskSid")
    event: dict[str, Any] = base | {"type": CALL_TYPES[kind], "call_id": "twilio:" + task}
    if kind == "task.created":
        event["queue"] = _queue(params, cfg)
    elif kind == "reservation.accepted":
        event["agent_id"] = "twilio:" + require(text(params.get("WorkerSid")), "WorkerSid")
    return [finish("calls", event)]


def _event_id(params: Mapping[str, str], kind: str) -> str:
    """Return the event's Sid; without one, an id that a retry of the same event repeats."""
    sid = text(params.get("Sid")) or text(params.get("EventSid"))
    if sid is not None:
        return sid
    resource = require(text(params.get("ResourceSid")), "ResourceSid")
    when = text(params.get("TimestampMs")) or require(text(params.get("Timestamp")), "Timestamp")
    return f"{kind}:{resource}:{when}"


def _time(params: Mapping[str, str]) -> str:
    for name in ("TimestampMs", "EventDateMs", "Timestamp"):
        value = text(params.get(name))
        if value is not None and name.endswith("Ms"):
            if not value.isdigit():
                raise Unmappable(f"{name}: not milliseconds: {value[:40]!r}")
            return rfc3339(int(value) / 1000, name)
        if value is not None:
            return rfc3339(value, name)
    raise Unmappable("Timestamp: field required")


def _queue(params: Mapping[str, str], cfg: TwilioIngest) -> str:
    name = cfg.queue_field
    if name.startswith("attributes."):
        raw = text(_json(params, "TaskAttributes").get(name.removeprefix("attributes.")))
    else:
        raw = text(params.get(name))
    queue = cfg.queue.resolve(raw)
    if queue is None:
        raise Unmappable(f"{name}: no queue ({raw!r} not mapped by ingest.twilio.queue)")
    return queue


def _agent(params: Mapping[str, str], cfg: TwilioIngest) -> dict[str, Any]:
    worker = require(text(params.get("WorkerSid")), "WorkerSid")
    activity = require(text(params.get("WorkerActivityName")), "WorkerActivityName")
    status = cfg.activities.get(activity)
    if status is None:
        raise Unmappable(f"WorkerActivityName {activity!r} is not in ingest.twilio.activities")
    listed = _json(params, "WorkerAttributes").get(cfg.worker_queues_attribute)
    names = [listed] if isinstance(listed, str) else listed if isinstance(listed, list) else []
    queues = [q for q in (cfg.queue.resolve(text(n)) for n in names) if q is not None]
    return {
        "type": "agent.status_changed",
        "agent_id": "twilio:" + worker,
        "status": status,
        "queues": sorted(set(queues)),
    }


def _json(params: Mapping[str, str], name: str) -> dict[str, Any]:
    raw = params.get(name)
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Unmappable(f"{name}: not JSON") from None
    return value if isinstance(value, dict) else {}
