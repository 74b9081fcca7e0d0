"""Run the pure core (entity and queue stages, no Kafka) the way workers would.

    samples = run_core(records, now, partitions=4, workers=2, rng=random.Random(1))

Records go to input partitions by key and views to view partitions by queue (as
Kafka does); each partition belongs to one of `workers` pipelines; batches of
random size are taken from partitions in random order, keeping each partition's
order, with snapshots (which move the windows) taken at random in between.
"""

from __future__ import annotations

import random
import zlib
from collections import deque
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from alerts.snapshot import KpiSample
from stream.app import build_pipeline
from stream.config.root import Config
from stream.pipeline.batch import Pipeline
from stream.pipeline.batch import Record as Rec  # (Record here is the traffic's)
from tests.reference.model import Policy, Settings
from tests.reference.traffic import Record
from tests.support.worker import BASE_CONFIG

SETTINGS = Settings(
    windows={"15m": 900.0, "1h": 3600.0, "24h": 86400.0, "today": None},
    policies=(
        Policy(frozenset({"urgent"}), first_response=1800, resolution=4 * 3600, at_risk=600),
        Policy(None, first_response=8 * 3600, resolution=3 * 86400, at_risk=3600),
    ),
)
"""The model's reading of BASE_CONFIG (tests/support/worker.py) on the product defaults."""


def part(key: str, partitions: int) -> int:
    """Return the partition of `key` (any stable hash will do)."""
    return zlib.crc32(key.encode()) % partitions


def run_core(
    records: list[Record], now: float, partitions: int, workers: int, rng: random.Random
) -> list[KpiSample]:
    """Return the union of every worker's snapshot at `now` after all records."""
    config = Config.model_validate({**BASE_CONFIG, "kafka": {"partitions": partitions}})
    pipes = [build_pipeline(config, CollectorRegistry()) for _ in range(workers)]
    for p in pipes:
        p.clock = lambda: now
    inputs: dict[tuple[str, int], deque[Rec]] = {}
    for stream, key, body in records:
        q = inputs.setdefault((stream, part(key, partitions)), deque())
        q.append(Rec(stream, part(key, partitions), len(q), key.encode(), orjson.dumps(body)))
    views: dict[int, deque[Rec]] = {}
    while any(inputs.values()) or any(views.values()):
        queues: list[tuple[str | None, deque[Rec]]] = [(k[0], q) for k, q in inputs.items() if q]
        queues += [(None, q) for q in views.values() if q]
        topic, q = rng.choice(queues)
        batch = [q.popleft() for _ in range(min(len(q), rng.randint(1, 80)))]
        owner = pipes[batch[0].partition % workers]
        if topic is not None:
            out = owner.process_events(topic, batch)
            assert not out.dead_letters, out.dead_letters
            for v in out.views:
                vq = views.setdefault(part(v.queue, partitions), deque())
                vq.append(Rec("views", part(v.queue, partitions), len(vq), None, v.encode()))
        else:
            owner.process_views(batch)
        if rng.random() < 0.05:
            _snapshot(pipes)
    return _snapshot(pipes)


def _snapshot(pipes: list[Pipeline]) -> list[KpiSample]:
    return [s for p in pipes for s in p.snapshot()]


def body_events(records: list[Record]) -> list[dict[str, Any]]:
    """Return the event bodies of `records` (what the model reads)."""
    return [body for _, _, body in records]
