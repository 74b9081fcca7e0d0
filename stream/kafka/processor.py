"""Faust agents and tables: the only place events meet Kafka.

Each source topic has a thin agent that takes whole fetched batches of raw records
(put on its channel queue by `internals.FastConsumer`), hands them to the pure
`Pipeline`, writes what it returns (views, dead letters, state) through the
producer, waits for the broker to confirm, and only then acks the batch. State
is persisted before offsets can be committed, so a SIGKILL loses nothing;
replayed records are recognised by event id (stage 1) or view version
(stage 2), so nothing counts twice.

State tables are faust tables with changelog topics (memory store). We write
their changelog ourselves, once per dirty key per batch, and rebuild the pure
stages from the recovered table after every rebalance. Alert state shares the
queues table (`ALERT_PREFIX`); every flush ends with a one-record marker per
changelog partition (`MARK_KEY`, see `Writer._seal`). Every
`checkpoint_interval`, and at a clean stop, the partitions changed since their
last checkpoint are saved (`stream.kafka.state_store`), so a restart replays only
the changelog tail.

    processor = Processor(app, spec, pipeline, listener=alerting, outbox=outbox)
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import faust
import orjson
from faust.types import TP

from stream.events.models import STREAMS
from stream.kafka import internals, profiling, state_store
from stream.kafka.app import KafkaSpec, StateTable
from stream.kafka.markers import MARK_KEY, Place, read_markers
from stream.kafka.outbox import Outbox
from stream.kafka.writer import ALERT_PREFIX, Writer
from stream.pipeline.batch import Pipeline
from stream.pipeline.stages import EntityStage, QueueStage

log = logging.getLogger("kpiwatch.agents")

EVICT_EVERY = 60.0  # seconds between retention sweeps
CHECKPOINT_BACKOFF = 10  # checkpoints take at most ~1/10 of the worker's time, all tables
CHECKPOINT_POLL = 0.5  # seconds between looks for a table due and without a write in flight
REBUILD_SLICE = 2000  # records rebuilt between yields to the event loop (~10 ms)
_ALERT_KEY = ALERT_PREFIX.encode()


class GcPause:
    """The cyclic garbage collector waits while any table is rebuilt.

    A rebuild makes millions of objects that live on; with the collector on, each
    full pass traverses all made so far (300,000 open tickets, in-process: the tickets
    stage rebuilt in 5.8 s with it, 1.6 s without). When the last rebuild ends, every
    object then tracked is frozen (`gc.freeze`: moved to the permanent generation, at
    no cost; later passes skip it) instead of being traversed once more on the way up.
    What that costs: a reference cycle already garbage at that moment is never
    collected (a few objects per rebalance; acyclic garbage is freed as always).

        with pause.held():
            ...  # rebuild
    """

    def __init__(self) -> None:
        self.holders = 0
        self.resume = False  # whether the collector was on when the first holder came

    @contextmanager
    def held(self) -> Iterator[None]:
        if self.holders == 0:
            self.resume = gc.isenabled()
            gc.disable()
        self.holders += 1
        try:
            yield
        finally:
            self.holders -= 1
            if self.holders == 0 and self.resume:
                gc.freeze()
                gc.enable()


class StateListener(Protocol):
    """What the processor tells the alerting side (`stream.alerting.Alerting`)."""

    def restore(self, states: list[dict[str, Any]]) -> None:
        """Take the alert states of the queues partitions just rebuilt."""

    def pause(self) -> None:
        """Stop notifying: a rebalance has begun."""

    def kpis_changed(self) -> None:
        """Note that a batch of views changed the KPIs."""


class Processor:
    """Binds the pipeline to a faust app: topics, tables, agents, readiness."""

    def __init__(
        self,
        app: faust.App,
        spec: KafkaSpec,
        pipeline: Pipeline,
        listener: StateListener,
        outbox: Outbox,
    ) -> None:
        self.app, self.spec, self.pipeline, self.listener = app, spec, pipeline, listener
        self.owned: dict[str, set[int]] = {}
        self.recovered: set[str] = set()
        self.sources = {
            s: app.topic(spec.topics[s], key_serializer="raw", value_serializer="raw")
            for s in STREAMS
        }
        self.views = app.topic(
            spec.views_topic,
            partitions=spec.partitions,
            internal=True,
            key_serializer="raw",
            value_serializer="raw",
        )
        self.tables: dict[str, StateTable] = {}
        for s in STREAMS:
            self._table(s, pipeline.entity[s], spec.source_partitions[s])
        self._table("queues", pipeline.queues, spec.partitions)
        self.writer = Writer(app, spec, self.tables, pipeline.metrics)
        for s in STREAMS:
            app.agent(self.sources[s], name=f"kpiwatch.{s}")(self._source_agent(s))
        app.agent(self.views, name="kpiwatch.views")(self._views_agent)
        # mode types handlers with mypy_extensions' NamedArg, which no plain def matches
        app.on_partitions_revoked.connect(self._on_revoked)  # type: ignore[arg-type]
        app.on_before_shutdown.connect(self._on_shutdown)  # type: ignore[arg-type]
        app.timer(EVICT_EVERY)(self._evict)
        self._due: dict[str, float] = {}  # table → when its next checkpoint may start
        self._saving = asyncio.Lock()  # the timer's and the final checkpoint, one at a time
        self._rebuilds: dict[str, int] = {}  # table → rebuilds begun (a newer one stops older)
        self._gc = GcPause()
        if spec.checkpoint_dir:
            app.timer(min(CHECKPOINT_POLL, spec.checkpoint_interval))(self.save_checkpoints)
        self._outbox = outbox
        app.task(self._serve_outbox)
        profiling.install(app)

    @property
    def ready(self) -> bool:
        """Return True once every table has recovered for the current assignment."""
        return len(self.recovered) == len(self.tables)

    def _table(self, name: str, stage: EntityStage | QueueStage, partitions: int) -> None:
        table = StateTable(
            self.app,
            name=name,
            partitions=partitions,
            on_recovered=lambda t: self._rebuild(name, stage, t),
            checkpoint_dir=self.spec.checkpoint_dir,
            read_markers=self._read_markers,
        )
        self.app.tables.add(table)
        self.tables[name] = table

    async def _read_markers(self, wanted: dict[Place, int]) -> dict[Place, bytes | None]:
        return await read_markers(self.spec.bootstrap, self.spec.client_kwargs, wanted)

    async def _serve_outbox(self) -> None:
        await self._outbox.serve(self.writer)

    def _source_topic(self, name: str) -> str:
        return self.spec.views_topic if name == "queues" else self.spec.topics[name]

    async def _rebuild(self, name: str, stage: EntityStage | QueueStage, table: StateTable) -> None:
        """Rebuild a stage from its recovered table, the garbage collector paused."""
        with self._gc.held():
            await self._rebuild_stage(name, stage, table)

    async def _rebuild_stage(
        self, name: str, stage: EntityStage | QueueStage, table: StateTable
    ) -> None:
        """Rebuild a stage from its recovered table, yielding to the loop every slice."""
        run = self._rebuilds[name] = self._rebuilds.get(name, 0) + 1
        topic = self._source_topic(name)
        assigned = {tp.partition for tp in self.app.consumer.assignment() if tp.topic == topic}
        stage.drop(list(stage.parts if isinstance(stage, EntityStage) else stage.views))
        n = 0
        alerts: list[dict[str, Any]] = []
        for i, (key, value, part) in enumerate(internals.stored(table)):
            if i % REBUILD_SLICE == REBUILD_SLICE - 1:
                await asyncio.sleep(0)  # heartbeats, probes and scrapes go on meanwhile
                if self._rebuilds[name] != run:
                    return  # a rebalance began a newer rebuild of this table
            if part is None or part not in assigned or key == MARK_KEY:
                continue
            if key.startswith(_ALERT_KEY):
                alerts.append(orjson.loads(value))
            else:
                stage.load(part, key.decode(), value)
                n += 1
        if name == "queues":
            self.listener.restore(alerts)
        self.owned[name] = assigned
        self.recovered.add(name)
        self.pipeline.metrics.ready.set(1 if self.ready else 0)
        log.info(
            "rebuilt %s from %d records (%d changelog records replayed), partitions %s",
            name,
            n,
            table.store.replayed,
            sorted(assigned),
        )

    async def save_checkpoints(self, final: bool = False) -> None:
        """Save a checkpoint of the owned partitions of each table that is due.

        A table is due `checkpoint_interval` after its last save, and at least
        CHECKPOINT_BACKOFF × (number of tables) times as long as that save took (it
        costs time in proportion to the state; all tables together then take at most
        1/CHECKPOINT_BACKOFF of the worker's time); at a clean stop (`final`) every
        table is due. A table with a
        write in flight is retried at the next poll (skipped at a stop).
        """
        if not self.ready:
            return
        # a final save may start while the timer's is in a thread: both would write the
        # same partition files through the same temp names (one `os.replace` then fails)
        async with self._saving:
            await self._save_checkpoints(final)

    async def _save_checkpoints(self, final: bool) -> None:
        for name, table in self.tables.items():
            store, began = table.store, time.monotonic()
            if store.directory is None or (not final and began < self._due.get(name, 0.0)):
                continue
            taken = store.snapshot(self.owned.get(name, set()))
            if taken is None:
                continue
            snaps = await asyncio.to_thread(state_store.save, store.directory, taken)
            for snap in snaps:
                store.saved_at(snap)
            took = time.monotonic() - began
            backoff = CHECKPOINT_BACKOFF * len(self.tables) * took
            self._due[name] = began + max(self.spec.checkpoint_interval, backoff)
            log.debug("checkpointed %s (%d partitions) in %.3f s", name, len(snaps), took)

    async def _on_shutdown(self, sender: Any, **_: Any) -> None:
        """Checkpoint at a clean stop, so the next start replays nothing."""
        began = time.monotonic()
        await self.save_checkpoints(final=True)
        log.info("final checkpoint in %.3f s", time.monotonic() - began)

    def _on_revoked(self, sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        revoked: Iterable[TP] = args[0] if args else ()
        self.recovered.clear()
        self.pipeline.metrics.ready.set(0)
        self.listener.pause()  # alerts wait for the rebuilt state of the new assignment
        for name in self.tables:
            topic = self._source_topic(name)
            lost = {tp.partition for tp in revoked if tp.topic == topic}
            self.owned.get(name, set()).difference_update(lost)

    async def _batches(self, stream: Any) -> AsyncIterator[list[internals.RawBatch]]:
        """Yield the fetched batches waiting on the agent's queue, about `batch_max` records.

        The consumer puts one `RawBatch` per source partition and fetch there
        (`internals.FastConsumer`); we take whole batches while the total stays under
        `batch_max`. An idle queue yields as soon as one batch arrives: no batching
        delay at low traffic, large batches under load.
        """
        queue = internals.raw_queue(self.app, stream)
        get_nowait, limit = queue.get_nowait, self.spec.batch_max
        while True:
            try:
                batches = [await queue.get()]
            except StopAsyncIteration:  # faust stops an agent by throwing this into its queue
                return
            n = len(batches[0].records)
            while n < limit:
                try:
                    batch = get_nowait()
                except asyncio.QueueEmpty:
                    break
                batches.append(batch)
                n += len(batch.records)
            yield batches

    def _source_agent(self, name: str) -> Callable[[Any], Awaitable[None]]:
        async def agent(stream: Any) -> None:
            async for batches in self._batches(stream):
                mine = self._owned(name, batches)
                out = self.pipeline.process_events(name, [r for b in mine for r in b.records])
                await self.writer.write(name, out)
                internals.ack(self.app, mine)

        agent.__name__ = f"{name}_agent"
        return agent

    async def _views_agent(self, stream: Any) -> None:
        async for batches in self._batches(stream):
            mine = self._owned("queues", batches)
            out = self.pipeline.process_views(r for b in mine for r in b.records)
            await self.writer.write("queues", out)
            internals.ack(self.app, mine)
            self.listener.kpis_changed()

    def _owned(self, name: str, batches: list[internals.RawBatch]) -> list[internals.RawBatch]:
        """Return the batches of partitions whose state is rebuilt here.

        The others are neither processed nor acked: they were fetched before a
        rebalance, and the partition, if it stays ours, is read again from its
        committed offset once its state is rebuilt.
        """
        owned = self.owned.get(name, set())
        return [b for b in batches if b.tp.partition in owned]

    async def _evict(self) -> None:
        """Forget concluded entities and expired views (tombstones in the changelogs)."""
        if not self.ready:
            return
        stages: dict[str, EntityStage | QueueStage] = {**self.pipeline.entity}
        stages["queues"] = self.pipeline.queues
        for name, stage in stages.items():
            if n := stage.evict():
                log.info("evicted %d %s past retention", n, name)
                await self.writer.persist(name, stage.take_dirty())
