"""Every faust and aiokafka private attribute kpiwatch relies on, and why (one place).

tests/stream/kafka/test_internals.py asserts each exists with the shape used here,
so a pinned upgrade that renames one fails in CI instead of in production.

    install()                      # once, before faust.App is built
    for key, value, part in stored(table): ...
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from aiokafka.errors import IllegalStateError
from faust.stores.memory import Store as MemoryStore
from faust.transport.drivers import aiokafka as driver
from faust.types import TP
from faust.utils.functional import consecutive_numbers

FETCH_MAX_WAIT_MS = 100
CommittedOffsets = Mapping[TP, int | None]


class FastConsumer(driver.Consumer):
    """faust's aiokafka consumer with an exact fetch loop.

    faust's `Consumer._drain_messages` wraps each record's delivery in
    `wait_first(callback, suspend_flow.wait())` (~40 % of its per-record cost,
    MEASURED.md), and a batch fetched before a rebalance keeps being delivered
    after it: the stale offsets raise the read offset, the re-fetched records
    below it are skipped and the range in between is marked as a gap (acked).
    Here each batch belongs to an epoch (bumped by every stop or resumption of
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
        callback, getmany = self.callback, self.getmany
        consumer_stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        nxt, floor = self._kpi_next, self._kpi_floor
        since_yield = 0
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                await asyncio.sleep(0)
                if self.should_stop:
                    break
                epoch = self._kpi_epoch
                undelivered: dict[TP, int] = {}
                async for tp, message in getmany(timeout=1.0):
                    since_yield += 1
                    if since_yield > 100:  # let the agents run, as faust's loop does
                        since_yield = 0
                        await asyncio.sleep(0)
                    offset = message.offset
                    if not acks_enabled_for(message.topic):
                        # changelogs: faust's own rule (recovery seeks set read_offset). Never
                        # dropped by epoch: no rewind would fetch them again, and recovery
                        # would wait for them forever ("No event received for active tp").
                        r_offset = read_offset[tp]
                        if r_offset is not None and offset < r_offset:
                            continue
                        await callback(message)
                        read_offset[tp] = offset
                        continue
                    if self._kpi_epoch != epoch:
                        undelivered.setdefault(tp, offset)
                        continue
                    await self._maybe_commit()
                    if self._kpi_epoch != epoch or not self._kpi_open:
                        undelivered.setdefault(tp, offset)
                        continue
                    want = nxt.get(tp)
                    if want is not None and offset < want:
                        continue  # delivered already in this epoch
                    if want is not None and offset > want:
                        await self._add_gap(tp, want, offset - 1)  # absent offsets
                    floor.setdefault(tp, offset)
                    await callback(message)
                    if self._kpi_epoch == epoch:  # else a seek has set the position
                        nxt[tp] = offset + 1
                await self._rewind(undelivered)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise

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
        for tp in undelivered:
            if tp in assigned and tp in self._kpi_next:
                await self._seek_in_thread(tp, self._kpi_next[tp])


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
    store = _memory_store(table)
    if value is None:
        store.data.pop(key, None)
        store._key_partition.pop(key, None)
    else:
        store.data[key] = value
        store._key_partition[key] = partition  # rebuild picks entries by partition


def _memory_store(table: Any) -> Any:
    store = table.data
    if not isinstance(store, MemoryStore):
        raise TypeError(f"kpiwatch tables need the memory store, got {type(store).__name__}")
    return store


def committed_offsets(app: Any) -> CommittedOffsets:
    """Return the consumer's last committed offset per partition (faust has no public view)."""
    committed: CommittedOffsets = app.consumer._committed_offset
    return committed


def channel_queue(stream: Any) -> Any:
    """Return the queue behind an agent's channel, subscribing the agent to it.

    The conductor puts decoded events there; draining it in bulk skips faust's
    per-event stream iterator (several awaits and sensor calls per event).
    """
    return aiter(stream.channel).queue
