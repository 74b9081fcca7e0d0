"""Amazon Connect contact events and agent event stream records → `call.*`, `agent.*`.

    records = map_connect(parse_json(body), config.ingest.connect)

A body is one EventBridge contact event, one agent event stream record, or a JSON
array / JSON lines of them (what a forwarding Lambda or Firehose batch sends).

| Connect | kpiwatch event |
|---|---|
| QUEUED | call.queued (queue ARN → name) |
| CONNECTED_TO_AGENT | call.answered |
| DISCONNECTED after an agent connected | call.ended |
| DISCONNECTED while queued, never connected | call.abandoned |
| COMPLETED (after-contact work done) | call.wrapup_completed |
| agent STATE_CHANGE | agent.status_changed (busy: live contact; after_call_work: ended) |
| agent LOGOUT | agent.status_changed offline |
| others (INITIATED, CONTACT_DATA_UPDATED, HEART_BEAT, LOGIN, ...) | nothing |
"""

from __future__ import annotations

from typing import Any

from stream.config.ingest import ConnectIngest
from stream.ingest.mapping import (
    Mapped,
    Unmappable,
    field,
    finish,
    items,
    obj,
    require,
    rfc3339,
    text,
)

LIVE = {"CONNECTING", "CONNECTED", "CONNECTED_ONHOLD"}


def map_connect(payload: Any, cfg: ConnectIngest) -> list[Mapped]:
    """Map one Connect contact event or agent event record to kpiwatch events."""
    if not isinstance(payload, dict):
        raise Unmappable("a Connect event must be a JSON object")
    if "AgentARN" in payload or "EventType" in payload:
        return _agent_record(payload, cfg)
    if payload.get("source") != "aws.connect" or not isinstance(payload.get("detail"), dict):
        raise Unmappable("neither an EventBridge aws.connect event nor an agent event record")
    return _contact_event(payload, payload["detail"], cfg)


def _contact_event(envelope: dict[str, Any], d: dict[str, Any], cfg: ConnectIngest) -> list[Mapped]:
    kind = text(d.get("eventType"))
    base = {
        "event_id": "connect:" + require(text(envelope.get("id")), "id"),
        "call_id": "connect:" + require(text(d.get("contactId")), "detail.contactId"),
    }
    agent = obj(d.get("agentInfo"))
    queued = field(d, "queueInfo", "enqueueTimestamp")

    def at(*candidates: Any) -> str:
        value = next((c for c in candidates if c), envelope.get("time"))
        return rfc3339(value, "detail timestamp")

    if kind == "QUEUED":
        arn = text(field(d, "queueInfo", "queueArn"))
        queue = cfg.queue.resolve(arn)
        if queue is None:
            raise Unmappable(f"queueInfo.queueArn {arn!r} is not in ingest.connect.queue.names")
        event = {"type": "call.queued", "queue": queue, "occurred_at": at(queued)}
    elif kind == "CONNECTED_TO_AGENT":
        arn = require(text(agent.get("agentArn")), "detail.agentInfo.agentArn")
        event = {
            "type": "call.answered",
            "agent_id": "connect:" + arn.rsplit("/", 1)[-1],
            "occurred_at": at(agent.get("connectedToAgentTimestamp")),
        }
    elif kind == "DISCONNECTED":
        ended = at(d.get("disconnectTimestamp"))
        if agent.get("connectedToAgentTimestamp") or agent.get("agentArn"):
            event = {"type": "call.ended", "occurred_at": ended}
        elif queued:  # left the queue without reaching an agent: the caller gave up
            event = {"type": "call.abandoned", "occurred_at": ended}
        else:  # never queued (IVR only, outbound): not a queue interaction
            return []
    elif kind == "COMPLETED":
        if not (agent.get("agentArn") or agent.get("connectedToAgentTimestamp")):
            return []
        done = agent.get("afterContactWorkEndTimestamp")
        event = {"type": "call.wrapup_completed", "occurred_at": at(done)}
    else:
        return []
    return [finish("calls", base | event)]


def _agent_record(r: dict[str, Any], cfg: ConnectIngest) -> list[Mapped]:
    kind = text(r.get("EventType"))
    if kind not in ("STATE_CHANGE", "LOGOUT"):
        return []
    arn = require(text(r.get("AgentARN")), "AgentARN")
    snap = obj(r.get("CurrentAgentSnapshot"))
    event = {
        "type": "agent.status_changed",
        "event_id": "connect:" + require(text(r.get("EventId")), "EventId"),
        "occurred_at": rfc3339(r.get("EventTimestamp"), "EventTimestamp"),
        "agent_id": "connect:" + arn.rsplit("/", 1)[-1],
        "status": "offline" if kind == "LOGOUT" else _status(snap, cfg),
        "queues": _queues(snap, cfg),
    }
    return [finish("agents", event)]


def _status(snap: dict[str, Any], cfg: ConnectIngest) -> str:
    states = {text(obj(c).get("State")) for c in items(snap.get("Contacts"))}
    if states & LIVE:
        return "busy"
    if "ENDED" in states:
        return "after_call_work"
    name = require(
        text(field(snap, "AgentStatus", "Name")), "CurrentAgentSnapshot.AgentStatus.Name"
    )
    return cfg.states.get(name, cfg.other_states)


def _queues(snap: dict[str, Any], cfg: ConnectIngest) -> list[str]:
    listed = field(snap, "Configuration", "RoutingProfile", "InboundQueues")
    arns = (
        [text(q.get("ARN")) for q in listed if isinstance(q, dict)]
        if isinstance(listed, list)
        else []
    )
    return sorted({q for q in (cfg.queue.resolve(a) for a in arns if a) if q is not None})
