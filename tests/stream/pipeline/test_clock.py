"""Events stamped in the future (a producer's wrong clock) are dead-lettered, not applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from prometheus_client import CollectorRegistry

from stream.app import build_pipeline
from stream.config.root import Config

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@dataclass
class Rec:
    value: bytes
    topic: str = "support.calls"
    partition: int = 0
    offset: int = 0
    key: bytes | None = b"c1"


def queued(at: datetime, eid: str = "c1-q") -> Rec:
    body = {
        "event_id": eid,
        "type": "call.queued",
        "call_id": "c1",
        "queue": "billing",
        "occurred_at": at.isoformat(),
    }
    return Rec(orjson.dumps(body))


@pytest.mark.parametrize(
    ("ahead", "rejected"),
    [
        (timedelta(0), False),
        (timedelta(minutes=5), False),  # the limit itself is fine
        (timedelta(minutes=5, seconds=1), True),
        (timedelta(days=365), True),
    ],
)
def test_events_ahead_of_the_clock_beyond_max_future_skew_are_dead_lettered(
    ahead: timedelta, rejected: bool
) -> None:
    pipeline = build_pipeline(Config.model_validate({"max_future_skew": "5m"}), CollectorRegistry())
    pipeline.clock = NOW.timestamp
    out = pipeline.process_events("calls", [queued(NOW + ahead)])
    assert (len(out.dead_letters), len(out.views)) == ((1, 0) if rejected else (0, 1))
    if rejected:
        reason = dict(out.dead_letters[0].headers)["kpiwatch.reason"].decode()
        assert reason.startswith(f"occurred_at is {ahead.total_seconds():.0f}s ahead")
        assert "max_future_skew 5m" in reason
