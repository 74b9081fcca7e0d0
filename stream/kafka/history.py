"""Read the input topics' history for a backtest: no consumer group, nothing committed.

    for raw in history_records(config, since=t0):   # Iterator[Raw]
        ...

Start offsets are found by timestamp (`offsets_for_times`: a record's timestamp
is never earlier than its event time, so nothing needed is skipped); the end is
each partition's end offset when the read began, or earlier, when the replay has
passed `--to` and stops asking. The live workers' group and offsets are never
touched. aiokafka runs in a thread of its own; a bounded queue hands batches
to the (synchronous) replay, so memory stays bounded.

Partitions are read in step by record timestamp: one far ahead of the others
is paused until they catch up, so the replay's reorder buffer sees history
nearly in event-time order.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from stream.backtest.sources import Raw
from stream.config.root import Config
from stream.events.models import STREAMS
from stream.kafka.setup import bootstrap_of, client_kwargs

AHEAD_MS = 60_000  # a partition this far ahead (record time) of the slowest one waits
BATCH = 2000


class HistoryError(RuntimeError):
    """The topics could not be read (broker unreachable, unknown topic, ...)."""


def history_records(config: Config, since: float) -> Iterator[Raw]:
    """Yield the records of the input topics from event time `since` on."""
    q: queue.Queue[list[Raw] | BaseException | None] = queue.Queue(maxsize=8)
    stop = threading.Event()

    def put(item: list[Raw] | BaseException | None) -> None:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            asyncio.run(_read(config, since, put, stop))
        except BaseException as exc:  # handed to the reading thread, which raises it
            put(exc)
        else:
            put(None)

    thread = threading.Thread(target=work, name="kpiwatch-history", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise HistoryError(f"reading the topics failed: {item}") from item
            yield from item
    finally:
        stop.set()
        thread.join(timeout=10)


async def _read(config: Config, since: float, put: Any, stop: threading.Event) -> None:
    topics = {getattr(config.kafka.topics, s): s for s in STREAMS}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_of(config),
        group_id=None,
        enable_auto_commit=False,
        client_id=f"{config.kafka.client_id}-backtest",
        **client_kwargs(config),
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        raise HistoryError(f"cannot reach Kafka at {bootstrap_of(config)}: {exc}") from exc
    try:
        ends = await _assign(consumer, topics, since)
        last: dict[TopicPartition, int] = {tp: -1 for tp in ends}
        while ends and not stop.is_set():
            _pace(consumer, last, ends)
            batch = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            out: list[Raw] = []
            for tp, msgs in batch.items():
                for m in msgs:
                    if tp not in ends:
                        break
                    if m.offset >= ends[tp]:
                        del ends[tp]
                        consumer.pause(tp)
                        break
                    last[tp] = m.timestamp
                    out.append(
                        Raw(
                            topics[tp.topic],
                            m.value or b"",
                            f"{tp.topic}[{tp.partition}]@{m.offset}",
                        )
                    )
            for tp in list(ends):
                if await consumer.position(tp) >= ends[tp]:
                    del ends[tp]
                    consumer.pause(tp)
            if out:
                put(out)
    finally:
        await consumer.stop()


async def _assign(
    consumer: AIOKafkaConsumer, topics: dict[str, str], since: float
) -> dict[TopicPartition, int]:
    """Assign every partition, seek to `since`; return the end offset of the non-empty ones."""
    await consumer.topics()
    tps: list[TopicPartition] = []
    for topic in topics:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            raise HistoryError(f"topic {topic!r} does not exist")
        tps += [TopicPartition(topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    starts = await consumer.offsets_for_times({tp: max(0, int(since * 1000)) for tp in tps})
    ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
    out: dict[TopicPartition, int] = {}
    for tp in tps:
        found = starts.get(tp)
        start = found.offset if found is not None else ends[tp]
        if start < ends[tp]:
            consumer.seek(tp, start)
            out[tp] = ends[tp]
    consumer.pause(*[tp for tp in tps if tp not in out])
    return out


def _pace(
    consumer: AIOKafkaConsumer, last: dict[TopicPartition, int], ends: dict[TopicPartition, int]
) -> None:
    """Pause the partitions far ahead (record time) of the slowest one still reading."""
    if not ends:
        return
    slowest = min(last[tp] for tp in ends)
    ahead = [tp for tp in ends if last[tp] > slowest + AHEAD_MS]
    consumer.resume(*[tp for tp in ends if tp not in ahead])
    if ahead:
        consumer.pause(*ahead)
