"""Canary: every faust/aiokafka private in stream/kafka/internals.py exists with our shape.

A pinned upgrade that renames or reshapes one of them fails here, not in production.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from types import SimpleNamespace

import faust
import pytest
from aiokafka import AIOKafkaConsumer
from faust.agents.actor import Actor
from faust.stores.memory import Store
from faust.transport import consumer as consumer_base
from faust.transport.drivers import aiokafka as driver
from faust.types import TP
from faust.utils.functional import consecutive_numbers
from intervaltree import IntervalTree

from stream.kafka import internals
from stream.kafka.internals import FastConsumer

TPX = TP("t", 0)


@pytest.fixture
async def app() -> AsyncIterator[faust.App]:
    internals.install()
    app = faust.App("canary", broker="kafka://127.0.0.1:1", store="memory://", autodiscover=False)
    yield app
    if app._consumer is not None:  # faust's consumer thread made its own event loop
        app._consumer._thread.thread_loop.close()


def test_faust_consumer_methods_we_override_or_call_exist() -> None:
    base = consumer_base.Consumer
    for name in ("_drain_messages", "seek", "seek_wait", "perform_seek", "seek_to_committed"):
        assert inspect.iscoroutinefunction(getattr(driver.Consumer, name)), name
    for name in ("_add_gap", "_seek", "commit"):
        assert inspect.iscoroutinefunction(getattr(base, name)), name
    assert callable(base._new_offset) and callable(base.stop_flow)
    assert list(inspect.signature(base._new_offset).parameters) == ["self", "tp"]
    assert list(inspect.signature(base._add_gap).parameters) == [
        "self",
        "tp",
        "offset_from",
        "offset_to",
    ]
    assert isinstance(driver.Consumer.consumer_stopped_errors, tuple)
    assert list(consecutive_numbers([3, 4, 5, 7])) == [[3, 4, 5], [7]]


async def test_consumer_state_has_the_shapes_we_use(app: faust.App) -> None:
    c = app.consumer
    assert isinstance(c, FastConsumer)  # install() swapped the transport's Consumer class
    assert driver.Transport.Consumer is FastConsumer
    assert c._read_offset[TPX] is None and c._committed_offset[TPX] is None  # defaultdicts
    assert c._acked[TPX] == [] and isinstance(c._acked_index[TPX], set)
    assert isinstance(c._gap[TPX], IntervalTree)
    assert c._n_acked == 0 and hasattr(c, "_commit_every")
    assert not c.suspend_flow.is_set() and not c._stopped.is_set()
    assert inspect.iscoroutinefunction(c._thread.call_thread) and callable(c._thread.seek)
    assert internals.committed_offsets(app)[TPX] is None


async def test_fetch_wait_patch_reaches_the_aiokafka_consumer() -> None:
    internals.install()
    cls = driver.AIOKafkaConsumerThread
    assert cls._kpiwatch_patched is True
    params = list(inspect.signature(cls._create_worker_consumer).parameters)
    assert params == ["self", "transport"]
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")
    try:
        assert isinstance(consumer._fetch_max_wait_ms, int)
    finally:
        await consumer.stop()


async def test_memory_store_maps(app: faust.App) -> None:
    table = app.Table("canary", partitions=2, key_type=bytes, value_type=bytes)
    assert isinstance(table.data, Store)
    internals.store_put(table, b"k", b"v", 1)
    assert table.data.data == {b"k": b"v"} and table.data._key_partition == {b"k": 1}
    assert list(internals.stored(table)) == [(b"k", b"v", 1)]
    internals.store_put(table, b"k", None, 1)
    assert table.data.data == {} and table.data._key_partition == {}


async def test_raw_queue_is_the_agents_cleared_queue_and_stop_signal(app: faust.App) -> None:
    stream = app.stream(app.topic("src.a", "src.b"))
    queue = internals.raw_queue(app, stream)
    consumer = app.consumer
    assert isinstance(consumer, FastConsumer)
    assert consumer._kpi_sinks == {"src.a": queue, "src.b": queue}
    # faust clears the queue when the flow resumes after a rebalance (FastConsumer relies on it)
    assert queue._clear_on_resume and queue in app.flow_control._queues
    assert callable(queue.get_nowait) and callable(queue.put_nowait) and queue.qsize() == 0
    # faust stops an agent by throwing StopAsyncIteration into its queue (processor.py)
    assert "StopAsyncIteration" in inspect.getsource(Actor.cancel)
    queue._throw(StopAsyncIteration())
    with pytest.raises(StopAsyncIteration):
        await queue.get()


def test_faust_fetch_privates_the_batch_loop_uses() -> None:
    base = consumer_base.Consumer
    assert inspect.iscoroutinefunction(base._wait_next_records)
    assert list(inspect.signature(base._wait_next_records).parameters) == ["self", "timeout"]
    assert list(inspect.signature(driver.Consumer._to_message).parameters) == [
        "self",
        "tp",
        "record",
    ]
    getmany = inspect.getsource(base.getmany)  # the rules `_deliver` copies
    for rule in ("flow_active", "consumer_generation_id", "_buffered_partitions", "perform_seek"):
        assert rule in getmany, rule
    ack = inspect.getsource(base.ack)  # the bookkeeping `ack_offsets` copies
    for name in ("_committed_offset", "_acked_index", "_acked[", "_n_acked", "_waiting_for_ack"):
        assert name in ack, name


async def test_consumer_fetch_state_has_the_shapes_we_use(app: faust.App) -> None:
    c = app.consumer
    assert isinstance(c._buffered_partitions, set) and isinstance(c.flow_active, bool)
    assert c._waiting_for_ack is None and callable(c.callback)
    assert isinstance(app.consumer_generation_id, int)
    assert isinstance(app.monitor.stream_inbound_time, dict)  # `internals.ack` touches it
    verify = inspect.getsource(driver.AIOKafkaConsumerThread.verify_event_path)
    assert "monitor.stream_inbound_time.get(tp)" in verify


@pytest.mark.parametrize(
    ("committed", "offsets", "acked"),
    [
        (None, [3, 4, 5], [3, 4, 5]),
        (10, [8, 9, 10, 11], [10, 11]),  # below the committed offset: done already
        (None, [3, 3, 4], [3, 4]),
    ],
)
async def test_ack_offsets_books_like_faust_ack(
    app: faust.App, committed: int | None, offsets: list[int], acked: list[int]
) -> None:
    c = app.consumer
    assert isinstance(c, FastConsumer)
    c._committed_offset[TPX] = committed
    c.ack_offsets(TPX, offsets)
    c.ack_offsets(TPX, offsets)  # twice: an offset is acked once
    assert c._acked[TPX] == acked and c._acked_index[TPX] == set(acked)
    assert c._n_acked == len(acked)


@pytest.mark.parametrize(
    ("want", "offsets", "fresh", "gaps"),
    [
        (None, [0, 1, 2], [0, 1, 2], []),
        (5, [5, 6], [5, 6], []),
        (5, [3, 4, 5, 6], [5, 6], []),  # 3, 4 delivered already in this epoch
        (5, [3, 4], [], []),
        (5, [8, 9], [8, 9], [(5, 8)]),  # 5-7 absent: a continuous fetch skipped them
        (None, [0, 1, 4, 6], [0, 1, 4, 6], [(2, 4), (5, 6)]),  # control records inside
    ],
)
async def test_fresh_drops_delivered_records_and_marks_absent_offsets(
    app: faust.App,
    want: int | None,
    offsets: list[int],
    fresh: list[int],
    gaps: list[tuple[int, int]],
) -> None:
    c = app.consumer
    assert isinstance(c, FastConsumer)
    if want is not None:
        c._kpi_next[TPX] = want
    recs = [SimpleNamespace(offset=o) for o in offsets]
    assert [r.offset for r in await c._fresh(TPX, recs)] == fresh
    assert sorted((iv.begin, iv.end) for iv in c._gap[TPX]) == gaps
    if fresh:
        assert c._kpi_floor[TPX] == fresh[0]


async def test_put_holds_a_full_queue_and_drops_a_batch_of_a_past_epoch(app: faust.App) -> None:
    c = app.consumer
    assert isinstance(c, FastConsumer)
    queue: asyncio.Queue[internals.RawBatch] = asyncio.Queue()
    c._kpi_open = True
    batch = internals.RawBatch(TPX, [SimpleNamespace(offset=0)])
    assert await c._put(queue, batch, c._kpi_epoch)
    for _ in range(internals.QUEUED_BATCHES - 1):
        queue.put_nowait(batch)
    put = asyncio.ensure_future(c._put(queue, batch, c._kpi_epoch))
    await asyncio.sleep(internals.BACKPRESSURE_POLL * 5)
    assert not put.done()  # full: the fetch loop waits for the agent
    queue.get_nowait()
    assert await put and queue.qsize() == internals.QUEUED_BATCHES
    queue.get_nowait()
    c.stop_flow()  # a rebalance began: its batches are not delivered
    assert not await c._put(queue, batch, c._kpi_epoch - 1)
    assert queue.qsize() == internals.QUEUED_BATCHES - 1


def test_producer_privates_the_batch_writer_uses() -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.partitioner import DefaultPartitioner

    assert callable(driver.Producer._ensure_producer)
    assert "self._partitioner(serialized_key, all_partitions, available)" in inspect.getsource(
        AIOKafkaProducer._partition
    )  # `internals.partitioner` picks what a keyed `send` would
    params = inspect.signature(AIOKafkaProducer.send_batch).parameters
    assert list(params) == ["self", "batch", "topic", "partition"]
    assert inspect.iscoroutinefunction(AIOKafkaProducer.send_batch)
    from aiokafka.client import AIOKafkaClient
    from aiokafka.cluster import ClusterMetadata

    assert inspect.iscoroutinefunction(AIOKafkaClient._wait_on_metadata)
    assert callable(ClusterMetadata.partitions_for_topic)
    assert callable(ClusterMetadata.available_partitions_for_topic)
    assert DefaultPartitioner()(b"q1", [0, 1, 2, 3], [0, 1, 2, 3]) in range(4)


async def test_producer_partitioner_is_faust_producers(app: faust.App) -> None:
    from aiokafka.partitioner import DefaultPartitioner

    producer = app.producer._new_producer()
    try:
        assert isinstance(producer._partitioner, DefaultPartitioner)
        assert producer._metadata.partitions_for_topic("none") is None
    finally:
        await producer.stop()


@pytest.mark.parametrize(
    ("committed", "floor", "acked", "gaps", "expected"),
    [
        (10, None, [10, 11, 12], [], 13),
        (10, None, [11, 12], [], None),  # 10 still in flight (faust would commit 13)
        (None, 0, [1, 2], [], None),  # nothing committed yet: 0 still in flight
        (None, 0, [0, 1, 2], [], 3),
        (None, None, [5], [], None),  # acked before any seek: no known head
        (10, None, [10, 14], [(11, 13)], 15),  # 11–13 absent (a continuous fetch skipped them)
        (10, None, [14], [(10, 13)], 15),  # absent from the committed offset on
        (10, None, [10, 11], [(13, 15)], 12),  # a gap past the acked run waits for its record
    ],
)
async def test_new_offset_commits_only_a_contiguous_acked_run(
    app: faust.App,
    committed: int | None,
    floor: int | None,
    acked: list[int],
    gaps: list[tuple[int, int]],
    expected: int | None,
) -> None:
    c = app.consumer
    assert isinstance(c, FastConsumer)
    c._committed_offset[TPX] = committed
    if floor is not None:
        c._kpi_floor[TPX] = floor
    c._acked[TPX].extend(acked)
    c._acked_index[TPX].update(acked)
    for lo, hi in gaps:
        await c._add_gap(TPX, lo, hi)
    assert c._new_offset(TPX) == expected


async def test_use_store_builds_the_table_store_from_the_factory(app: faust.App) -> None:
    table = app.Table("canary2", partitions=2, key_type=bytes, value_type=bytes)
    internals.use_store(table, Store)
    assert isinstance(table.data, Store) and table.data.table is table
    assert table.data.table_name == "canary2"
    data, where = internals.memory_maps(table.data)
    assert data is table.data.data and where is table.data._key_partition
