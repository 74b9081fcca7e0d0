"""Stage 1 emits one view per entity and queue per batch: the newest, where the last one was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from stream.app import build_pipeline
from stream.config.root import Config

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@dataclass
class Rec:
    value: bytes
    topic: str = "support.calls"
    partition: int = 0
    offset: int = 0
    key: bytes | None = None


def rec(call_id: str, type_: str, seconds: int, **fields: Any) -> Rec:
    at = (T0 + timedelta(seconds=seconds)).isoformat()
    body = {"event_id": f"{call_id}-{type_}", "type": type_, "call_id": call_id, "occurred_at": at}
    return Rec(orjson.dumps({**body, **fields}), key=call_id.encode())


def test_a_batch_emits_the_newest_view_of_each_entity_only() -> None:
    pipeline = build_pipeline(Config.model_validate({}), CollectorRegistry())
    pipeline.clock = lambda: T0.timestamp() + 60
    batch = [
        rec("c1", "call.queued", 0, queue="billing"),
        rec("c2", "call.queued", 1, queue="sales"),
        rec("c1", "call.answered", 5, agent_id="a"),
        rec("c1", "call.answered", 5, agent_id="a"),  # a duplicate: no view at all
    ]
    out = pipeline.process_events("calls", batch)
    assert [(v.id, v.version, v.active) for v in out.views] == [("c2", 1, True), ("c1", 2, False)]
    assert out.views[1].facts == (("answered", T0.timestamp() + 5, 5.0),)
