"""Canary: every faust/aiokafka private in stream/kafka/internals.py exists with our shape.

A pinned upgrade that renames or reshapes one of them fails here, not in production.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

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


async def test_channel_queue_and_agent_stop_signal(app: faust.App) -> None:
    stream = app.stream(app.channel())
    queue = internals.channel_queue(stream)
    assert callable(queue.get) and callable(queue.get_nowait)
    # faust stops an agent by throwing StopAsyncIteration into its queue (processor.py)
    assert "StopAsyncIteration" in inspect.getsource(Actor.cancel)
    queue._throw(StopAsyncIteration())
    with pytest.raises(StopAsyncIteration):
        await queue.get()


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
