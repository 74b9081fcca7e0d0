"""An oversized record is dead-lettered truncated, with its size and source, and the
records after it are processed (issue 11 §3)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from stream.dev.broker import EmbeddedBroker
from stream.pipeline.batch import DEAD_LETTER_MAX_BYTES
from tests.integration.scenario import at
from tests.integration.test_pipeline import _read_all
from tests.support.worker import Topics, WorkerProcess, sample

pytestmark = pytest.mark.integration


def _created(tid: str, **kw: Any) -> bytes:
    return orjson.dumps(
        {"event_id": f"{tid}-c", "type": "ticket.created", "occurred_at": at(0), "ticket_id": tid,
         "queue": "billing", "channel": "email", "priority": "high", **kw}
    )  # fmt: skip


async def _produce(bootstrap: str, topic: str, records: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=4 << 20)
    await producer.start()
    try:
        for key, value in records:  # one partition: the good ones come after the big one
            await producer.send_and_wait(topic, value, key=key.encode(), partition=0)
    finally:
        await producer.stop()


def test_a_record_of_1_2_mb_is_parked_and_its_partition_moves_on(
    broker: EmbeddedBroker, topics: Topics, start_worker: Callable[..., WorkerProcess]
) -> None:
    w = start_worker()
    huge = _created("t2", padding="x" * 1_200_000)
    records = [("t1", _created("t1")), ("t2", huge), ("t3", _created("t3"))]
    asyncio.run(_produce(broker.bootstrap, topics.names["tickets"], records))
    [(value, headers)] = asyncio.run(_read_all(broker.bootstrap, topics.names["dead_letter"], 1))
    h = dict(headers)
    assert h["kpiwatch.original_size"] == str(len(huge)).encode()
    assert h["kpiwatch.source.topic"].decode() == topics.names["tickets"]
    assert b"an event may have 64 KiB" in h["kpiwatch.reason"]
    assert value == huge[:DEAD_LETTER_MAX_BYTES]
    labels = {"queue": "billing", "channel": "email", "priority": "high"}
    deadline = time.monotonic() + 30
    while sample(w.metrics(), "kpiwatch_open_tickets", **labels) != 2:
        assert time.monotonic() < deadline, w.tail()
        time.sleep(0.3)
