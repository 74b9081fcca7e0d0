"""Every faust and aiokafka private attribute kpiwatch relies on, and why (one place).

tests/stream/kafka/test_internals.py asserts each exists with the shape used here,
so a pinned upgrade that renames one fails in CI instead of in production.

    install()                      # once, before faust.App is built
    for key, value, part in stored(table): ...
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.errors import IllegalStateError
from faust.stores.memory import Store as MemoryStore
from faust.transport.drivers import aiokafka as driver
from faust.types import TP
from faust.utils.functional import consecutive_numbers
from mode.utils.futures import notify

FETCH_MAX_WAIT_MS = 100
KNOWN_PARTITIONS_MAX = 100_000  # remembered key → partition choices per topic
_KNOWN_PARTITIONS: dict[tuple[str, tuple[int, ...]], dict[bytes, int]] = {}
YIELD_EVERY = 100  # changelog records delivered between two yields to the event loop
QUEUED_BATCHES = 8  # per agent queue: fetched batches waiting for the agent
BACKPRESSURE_POLL = 0.002  # seconds between looks at a full agent queue
CommittedOffsets = Mapping[TP, int | None]


class RawBatch(NamedTuple):
    """Records of one source partition from one fetch, as aiokafka returned them."""

    tp: TP
    records: list[Any]  # aiokafka ConsumerRecords: topic, partition, offset, key, value


class FastConsumer(driver.Consumer):
    """faust's aiokafka consumer with an exact fetch loop that delivers whole batches.

    faust's `Consumer._drain_messages` wraps each record's delivery in
    `wait_first(callback, suspend_flow.wait())` (~40 % of its per-record cost,
    MEASURED.md), then builds a Message, an Event and a schema decode per record,
    and a batch fetched before a rebalance keeps being delivered
    after it: the stale offsets raise the read offset, the re-fetched records
    below it are skipped and the range in between is marked as a gap (acked).
    Here the records of a source partition in one fetch go to their agent's queue
    as one `RawBatch` of aiokafka records (`raw_queue`), acked by offset (`ack`);
    changelog records still go through faust's conductor (table recovery).
    Each batch belongs to an epoch (bumped by every stop or resumption of
    the flow and every seek); a batch whose epoch has passed is dropped, and the
    fetch position is put back where delivery stopped. Source records are held
    from the seek to committed offsets until the flow resumes: faust clears the
    agents' queues on resuming, so a record delivered in between would be lost.
    A gap is marked only for
    offsets that a continuous fetch proved absent, and an offset is committed
    only once every record from the last committed one on has been acked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kpi_epoch = 0
        self._kpi_open = False  # source records may be delivered (see `resume_flow`)
        self._kpi_seeking = False  # faust is seeking to committed offsets
        self._kpi_next: dict[TP, int] = {}  # next offset to deliver, per source partition
        self._kpi_floor: dict[TP, int] = {}  # first offset of a partition since its last seek
        self._kpi_sinks: dict[str, Any] = {}  # source topic → its agent's queue (`raw_queue`)

    def stop_flow(self) -> None:
        self._kpi_epoch += 1
        self._kpi_open = False
        super().stop_flow()

    def resume_flow(self) -> None:
        self._kpi_epoch += 1  # called right after faust cleared the agents' queues
        self._kpi_open = True
        super().resume_flow()

    async def seek(self, partition: TP, offset: int) -> None:
        self._kpi_epoch += 1
        self._kpi_next[partition] = self._kpi_floor[partition] = offset
        await super().seek(partition, offset)

    async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
        self._kpi_epoch += 1
        for tp in partitions:
            self._kpi_next.pop(tp, None)
            self._kpi_floor.pop(tp, None)
        await super().seek_wait(partitions)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = dict(await super().seek_to_committed())
        for tp, offset in committed.items():
            if not offset and self.app.topics.acks_enabled_for(tp.topic):
                # aiokafka leaves the position where it was when nothing is committed:
                # records delivered before a rebalance would never be fetched again
                await self._seek_in_thread(tp, 0)
                committed[tp] = 0
        return committed

    async def perform_seek(self) -> None:
        self._kpi_epoch += 1
        self._kpi_open = False  # until `resume_flow`, which follows every seek to committed
        self._kpi_seeking = True
        try:
            await super().perform_seek()
        finally:
            self._kpi_seeking = False
        self._kpi_epoch += 1
        self._kpi_next.clear()
        self._kpi_floor.clear()
        assigned = self.assignment()
        for tp, offset in self._read_offset.items():  # faust stores the seek targets here
            if offset is not None and self.app.topics.acks_enabled_for(tp.topic):
                self._kpi_next[tp] = self._kpi_floor[tp] = offset
                if tp in assigned:  # a fetch that ran between faust's per-partition seeks
                    await self._seek_in_thread(tp, offset)  # may have moved the position on

    async def _seek_in_thread(self, tp: TP, offset: int) -> None:
        # aiokafka runs in faust's consumer thread; seeking from here races its fetcher
        with contextlib.suppress(IllegalStateError):  # revoked meanwhile: read from committed
            await self._thread.call_thread(self._thread.seek, tp, offset)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        committed = self._committed_offset[tp]
        if committed is not None:  # faust clamps to committed + 1: the offset at `committed`
            offset_from = max(offset_from, committed)  # could never be covered
        if offset_from <= offset_to:
            gaps = self._gap[tp]
            gaps.addi(offset_from, offset_to + 1)
            gaps.merge_overlaps()

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        if not acked:
            return None
        gaps = self._gap[tp]
        if gaps:
            top = max(acked)
            found = sorted(gaps.overlap(0, top + 1), key=lambda iv: iv.begin)
            if found:
                extra = [o for iv in found for o in range(iv.begin, iv.end)]
                acked.extend(extra)
                gaps.chop(0, max(extra[-1], top) + 1)
        acked.sort()
        committed = self._committed_offset[tp]
        head = committed if committed is not None else self._kpi_floor.get(tp)
        if head is None or acked[0] > head:
            return None  # a record before the first acked one is still in flight
        run = next(consecutive_numbers(acked))
        del acked[: len(run)]
        self._acked_index[tp].difference_update(run)
        return int(run[-1]) + 1

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - exercised e2e
        consumer_stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                await asyncio.sleep(0)
                if self.should_stop:
                    break
                epoch = self._kpi_epoch
                # faust's `getmany` minus its per-record Message for the source topics
                records, active = await self._wait_next_records(1.0)
                if records is None or self.should_stop:
                    continue
                if not self.flow_active:
                    with contextlib.suppress(Exception):  # as faust's getmany: logged there
                        await self.perform_seek()
                    continue
                await self._deliver(records, active, epoch)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise

    async def _deliver(self, records: Mapping[TP, list[Any]], active: Any, epoch: int) -> None:
        """Hand one fetch to the agents: a `RawBatch` per source partition, changelogs singly."""
        generation = self.app.consumer_generation_id
        acks_enabled_for, buffered = self.app.topics.acks_enabled_for, self._buffered_partitions
        undelivered: dict[TP, int] = {}
        for tp, recs in records.items():
            if not self.flow_active or self.app.consumer_generation_id != generation:
                break  # faust's rule: a rebalance seeks to the committed offsets anyway
            if not recs or (active is not None and tp not in active and tp not in buffered):
                continue
            if not acks_enabled_for(tp.topic):
                await self._deliver_changelog(tp, recs)
                continue
            sink = self._kpi_sinks.get(tp.topic)
            if sink is None or not await self._current(epoch):
                undelivered.setdefault(tp, recs[0].offset)
                continue
            batch = await self._fresh(tp, recs)
            if not batch:
                continue
            if not await self._put(sink, RawBatch(tp, batch), epoch):
                undelivered.setdefault(tp, batch[0].offset)
                continue
            self._kpi_next[tp] = batch[-1].offset + 1
        await self._rewind(undelivered)

    async def _deliver_changelog(self, tp: TP, recs: list[Any]) -> None:
        """Deliver changelog records through faust's conductor (table recovery and standbys).

        Never dropped by epoch: no rewind would fetch them again, and recovery would
        wait for them forever ("No event received for active tp").
        """
        callback, to_message, read_offset = self.callback, self._to_message, self._read_offset
        for i, record in enumerate(recs, 1):
            if not i % YIELD_EVERY:  # let the agents and the web server run, as faust's loop does
                await asyncio.sleep(0)
            r_offset = read_offset[tp]
            if r_offset is not None and record.offset < r_offset:
                continue  # faust's own rule (recovery seeks set read_offset)
            await callback(to_message(tp, record))
            read_offset[tp] = record.offset

    async def _current(self, epoch: int) -> bool:
        """Return whether records fetched in `epoch` may still be delivered (commits first)."""
        if self._kpi_epoch != epoch or not self._kpi_open:
            return False
        await self._maybe_commit()
        return self._kpi_epoch == epoch and self._kpi_open

    async def _fresh(self, tp: TP, recs: list[Any]) -> list[Any]:
        """Return the records not delivered yet in this epoch; mark absent offsets as gaps."""
        want = self._kpi_next.get(tp)
        if want is not None and recs[0].offset < want:
            recs = [r for r in recs if r.offset >= want]  # delivered already in this epoch
            if not recs:
                return recs
        first = recs[0].offset
        if want is not None and first > want:
            await self._add_gap(tp, want, first - 1)
        if recs[-1].offset - first + 1 != len(recs):  # holes inside the fetch (control records)
            prev = first
            for r in recs:
                if r.offset > prev + 1:
                    await self._add_gap(tp, prev + 1, r.offset - 1)
                prev = r.offset
        self._kpi_floor.setdefault(tp, first)
        return recs

    async def _put(self, queue: Any, batch: RawBatch, epoch: int) -> bool:
        """Put `batch` on an agent's queue once it holds under `QUEUED_BATCHES` (backpressure).

        False if the epoch passed meanwhile: faust has cleared, or will clear, that queue.
        """
        while queue.qsize() >= QUEUED_BATCHES:
            await asyncio.sleep(BACKPRESSURE_POLL)
            if self.should_stop:
                return False
        if self._kpi_epoch != epoch or not self._kpi_open:
            return False
        queue.put_nowait(batch)  # no await between the epoch check and the put
        return True

    def ack_offsets(self, tp: TP, offsets: list[int]) -> None:
        """Mark delivered records as processed, as faust's `Consumer.ack` does for one Message."""
        committed = self._committed_offset[tp]
        index = self._acked_index[tp]
        new = [o for o in dict.fromkeys(offsets) if committed is None or o >= committed]
        new = [o for o in new if o not in index]
        index.update(new)
        self._acked[tp].extend(new)
        self._n_acked += len(new)
        notify(self._waiting_for_ack)

    async def _maybe_commit(self) -> None:
        every = self._commit_every
        if every is not None and self._n_acked >= every:
            self._n_acked = 0
            await self.commit()

    async def _rewind(self, undelivered: dict[TP, int]) -> None:
        """Put the fetch position back to the first record a dropped batch did not deliver.

        Not while faust is stopping the flow or seeking: it then seeks to the
        committed offsets itself before the flow resumes.
        """
        if not undelivered or self.suspend_flow.is_set() or self._kpi_seeking:
            return
        assigned = self.assignment()
        for tp, offset in undelivered.items():
            if tp in assigned:
                await self._seek_in_thread(tp, self._kpi_next.get(tp, offset))


def _short_fetch_wait() -> None:
    """Cap the consumer's fetch long-poll at FETCH_MAX_WAIT_MS (faust hard-codes 1500 ms).

    Tansu holds an empty fetch for the whole wait even when records arrive, so every
    idle hop (source → views → KPIs) cost up to 1.5 s of latency.
    """
    cls: Any = driver.AIOKafkaConsumerThread
    if getattr(cls, "_kpiwatch_patched", False):
        return
    original = cls._create_worker_consumer

    def create(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # aiokafka has no public setter
        return consumer

    cls._create_worker_consumer = create
    cls._kpiwatch_patched = True


def install() -> None:
    """Make faust's aiokafka transport build `FastConsumer`s with a short fetch wait."""
    _short_fetch_wait()
    driver.Transport.Consumer = FastConsumer  # faust builds the consumer from this class


def stored(table: Any) -> Iterator[tuple[bytes, bytes, int | None]]:
    """Yield (key, value, partition) of a memory-store table (faust keeps no public map)."""
    store = _memory_store(table)
    for key, value in list(store.data.items()):
        if value is not None:
            yield key, value, store._key_partition.get(key)


def store_put(table: Any, key: bytes, value: bytes | None, partition: int) -> None:
    """Set or delete a key of a memory-store table without writing its changelog."""
    store_put_many(table, [(key, value, partition)])


def store_put_many(table: Any, items: Iterable[tuple[bytes, bytes | None, int]]) -> None:
    """Set or delete keys of a memory-store table (key, value or None, partition), no changelog."""
    store = _memory_store(table)
    data, parts = store.data, store._key_partition
    for key, value, partition in items:
        if value is None:
            data.pop(key, None)
            parts.pop(key, None)
        else:
            data[key] = value
            parts[key] = partition  # rebuild picks entries by partition


def memory_maps(store: Any) -> tuple[dict[Any, Any], dict[Any, int]]:
    """Return a memory store's key → value and key → partition maps."""
    return store.data, store._key_partition


def use_store(table: Any, factory: Any) -> None:
    """Make a faust table build its store with `factory(url, app, table, **kwargs)`.

    faust picks a table's store class from a URL scheme; overriding `_new_store_by_url`
    on the instance lets one table use a subclass without registering a scheme.
    """
    table._new_store_by_url = lambda url: factory(
        url,
        table.app,
        table,
        table_name=table.name,
        key_type=table.key_type,
        key_serializer=table.key_serializer,
        value_serializer=table.value_serializer,
        value_type=table.value_type,
        loop=table.loop,
        options=table.options,
    )


def _memory_store(table: Any) -> Any:
    store = table.data
    if not isinstance(store, MemoryStore):
        raise TypeError(f"kpiwatch tables need the memory store, got {type(store).__name__}")
    return store


def committed_offsets(app: Any) -> CommittedOffsets:
    """Return the consumer's last committed offset per partition (faust has no public view)."""
    committed: CommittedOffsets = app.consumer._committed_offset
    return committed


def raw_queue(app: Any, stream: Any) -> Any:
    """Return the queue behind an agent's channel, where the consumer puts its `RawBatch`es.

    Subscribes the agent to its channel (faust then fetches its topics and clears the
    queue whenever the flow resumes after a rebalance) and registers the queue with
    `FastConsumer`, which puts each fetched batch of raw records there: no faust
    Message, Event, schema decode, sensor call or per-record await on the way.
    """
    queue = aiter(stream.channel).queue
    consumer: FastConsumer = app.consumer
    for topic in stream.channel.topics:
        consumer._kpi_sinks[topic] = queue
    return queue


def kafka_producer(app: Any) -> AIOKafkaProducer:
    """Return the aiokafka producer inside faust's (for `create_batch` / `send_batch`)."""
    producer: AIOKafkaProducer = app.producer._ensure_producer()
    return producer


async def partitioner(producer: AIOKafkaProducer, topic: str) -> Callable[[bytes | None], int]:
    """Return key → partition of `topic` as `producer.send` would choose it (its partitioner).

    `send_batch` needs the partition; views must land where a keyed `send` puts them.
    """
    await producer.client._wait_on_metadata(topic)
    metadata, choose = producer._metadata, producer._partitioner
    every = list(metadata.partitions_for_topic(topic))
    available = list(metadata.available_partitions_for_topic(topic))
    # a keyed choice depends on the key and the partition list only (murmur2, ~10 µs in
    # Python): remembered per key, as view keys are the few queue names
    known = _KNOWN_PARTITIONS.setdefault((topic, tuple(every)), {})
    if len(known) > KNOWN_PARTITIONS_MAX:
        known.clear()

    def partition_of(key: bytes | None) -> int:
        if key is None:
            return int(choose(key, every, available))
        part = known.get(key)
        if part is None:
            part = known[key] = int(choose(key, every, available))
        return part

    return partition_of


def ack(app: Any, batches: list[RawBatch]) -> None:
    """Mark every record of `batches` as processed (committed once all before it are)."""
    consumer: FastConsumer = app.consumer
    inbound = app.monitor.stream_inbound_time  # faust's slow-processing check reads it
    now = time.monotonic()
    for batch in batches:
        consumer.ack_offsets(batch.tp, [r.offset for r in batch.records])
        inbound[batch.tp] = now
