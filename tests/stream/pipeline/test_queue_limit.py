"""The queue limit (issue 11 §5): each views partition holds its share of queues;
views of further queues are dead-lettered with a reason and counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from prometheus_client import CollectorRegistry

from stream.app import build_pipeline
from stream.config.root import Config
from stream.kpis.catalogue import Selection
from stream.pipeline.batch import Pipeline, Record

NOW = datetime.now(UTC) - timedelta(minutes=5)


def _pipeline(max_queues: int, partitions: int = 2) -> tuple[Pipeline, CollectorRegistry]:
    registry = CollectorRegistry()
    raw = {"limits": {"max_queues": max_queues}, "kafka": {"partitions": partitions}}
    return build_pipeline(Config.model_validate(raw), registry), registry


def _queue(p: Pipeline, queue: str, partition: int, call: str = "") -> list[str]:
    """Send one call.queued of `queue` through both stages; return the dead-letter reasons."""
    cid = call or f"c-{queue}"
    body = {"event_id": f"{cid}-q", "type": "call.queued", "call_id": cid, "queue": queue,
            "occurred_at": NOW.isoformat()}  # fmt: skip
    out = p.process_events("calls", [Record("calls", 0, 0, cid.encode(), orjson.dumps(body))])
    views = [Record("views", partition, 0, None, v.encode()) for v in out.views]
    return [
        dict(d.headers)["kpiwatch.reason"].decode() for d in p.process_views(views).dead_letters
    ]


def _queues(p: Pipeline) -> set[str]:
    return {q.queue for q in p.queues.queues()}


@pytest.mark.parametrize(
    ("max_queues", "partitions", "sent", "kept"),
    [
        (4, 2, [("a", 0), ("b", 0), ("c", 0), ("d", 1)], {"a", "b", "d"}),  # 2 per partition
        (4, 2, [("a", 0), ("b", 1), ("c", 0), ("d", 1), ("e", 1)], {"a", "b", "c", "d"}),
        (3, 2, [("a", 0), ("b", 0), ("c", 0)], {"a", "b"}),  # ceil(3 / 2) = 2
        (1, 1, [("a", 0), ("a", 0), ("b", 0)], {"a"}),
    ],
)
def test_each_partition_keeps_its_share(
    max_queues: int, partitions: int, sent: list[tuple[str, int]], kept: set[str]
) -> None:
    p, registry = _pipeline(max_queues, partitions)
    reasons = [r for i, (q, part) in enumerate(sent) for r in _queue(p, q, part, f"c{i}")]
    assert _queues(p) == kept
    refused = len(sent) - sum(1 for q, _ in sent if q in kept)
    assert len(reasons) == refused
    assert all("is over limits.max_queues" in r for r in reasons), reasons
    assert registry.get_sample_value("kpiwatch_views_over_queue_limit_total") == refused


def test_restored_queues_are_kept_whatever_the_limit() -> None:
    p, _ = _pipeline(2, 1)
    _queue(p, "a", 0)
    _queue(p, "b", 0)
    state = dict(p.queues.views[0])  # key → the view as encoded
    q, _ = _pipeline(1, 1)  # the limit was lowered before a restart
    for key, raw in state.items():
        q.queues.load(0, key, raw)
    assert _queues(q) == {"a", "b"}
    assert _queue(q, "c", 0) != []


def test_the_refusal_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    p, _ = _pipeline(1, 1)
    _queue(p, "a", 0)
    _queue(p, "b", 0)
    _queue(p, "c", 0)  # within 10 s of the first: not logged again
    lines = [r for r in caplog.records if "queue limit reached" in r.getMessage()]
    assert len(lines) == 1 and "'b'" in lines[0].getMessage()


@pytest.mark.parametrize(
    "only",
    [
        Selection.of([]),
        Selection.of(["calls_waiting"]),
        Selection.of(["abandon_rate"], ["15m"]),
        Selection.of(["frt", "open_tickets"], ["1h", "24h"]),
        Selection.of(["agents_busy", "service_level"]),
    ],
)
def test_rules_read_only_what_they_name(only: Selection) -> None:
    p, _ = _pipeline(10, 1)
    for i, q in enumerate("abc"):
        _queue(p, q, 0, f"c{i}")
    everything = p.snapshot().samples
    want = [
        s
        for s in everything
        if s.kpi in only.kpis and ("window" not in s.labels or only.window(s.labels["window"]))
    ]
    assert list(p.snapshot(only).samples) == want
