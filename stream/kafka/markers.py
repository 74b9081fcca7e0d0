"""Read changelog markers back from the broker, to check a checkpoint before using it.

A checkpoint names the marker (offset and random value) its data is a prefix
of. Before the store loads it, we read the record at that offset on a
connection of our own: if it is not that marker (a broker that lost its data,
another log under the same name), the checkpoint is dropped and the partition
is rebuilt from the whole changelog, in the same process.

    found = await read_markers(bootstrap, {}, {("app-tickets-changelog", 0): 1234})
    found[("app-tickets-changelog", 0)]    # the value at offset 1234 if it is a marker, else None
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

MARK_KEY = b"\x1fmark"  # end-of-flush marker in every changelog (see Writer._seal)
TIMEOUT_S = 10.0  # a broker that does not answer: the caller decides (full replay)
Place = tuple[str, int]  # changelog topic, partition


async def read_markers(
    bootstrap: str, client_kwargs: dict[str, Any], wanted: dict[Place, int]
) -> dict[Place, bytes | None]:
    """Return, for each (topic, partition) → offset, the marker value found there or None."""
    if not wanted:
        return {}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        request_timeout_ms=int(TIMEOUT_S * 1000),
        **client_kwargs,
    )
    await consumer.start()
    try:
        return await asyncio.wait_for(_read(consumer, wanted), TIMEOUT_S)
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()


async def _read(consumer: AIOKafkaConsumer, wanted: dict[Place, int]) -> dict[Place, bytes | None]:
    tps = {TopicPartition(t, p): o for (t, p), o in wanted.items()}
    ends = await consumer.end_offsets(list(tps))
    found: dict[Place, bytes | None] = {}
    pending = {}
    for tp, offset in tps.items():
        if offset >= ends[tp]:
            found[(tp.topic, tp.partition)] = None  # past the log's end
        else:
            pending[tp] = offset
    consumer.assign(list(pending))
    for tp, offset in pending.items():
        consumer.seek(tp, offset)
    while pending:
        batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=len(pending))
        for tp, records in batches.items():
            if tp not in pending or not records:
                continue
            first = records[0]
            hit = first.offset == pending[tp] and first.key == MARK_KEY
            found[(tp.topic, tp.partition)] = first.value if hit else None
            consumer.pause(tp)
            del pending[tp]
    return found
