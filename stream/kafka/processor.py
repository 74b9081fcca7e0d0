"""Faust agents and tables: the only place events meet Kafka.

Each source topic has a thin agent that takes batches (drained in bulk from its
channel queue), hands the records to the pure `Pipeline`, writes what it returns
(views, dead letters, state) through the producer, waits for the broker to confirm, and only then
acks the batch. State is persisted before offsets can be committed, so a
SIGKILL loses nothing; replayed records are recognised by event id (stage 1)
or view version (stage 2), so nothing counts twice.

State tables are faust tables with changelog topics (memory store). We write
their changelog ourselves, once per dirty key per batch, and rebuild the pure
stages from the recovered table after every rebalance. Alert state shares the
queues table (`ALERT_PREFIX`); every flush ends with a one-record marker per
changelog partition (`MARK_KEY`, see `Writer._seal`).

    processor = Processor(app, spec, pipeline, listener=alerting, outbox=outbox)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, Protocol

import faust
import orjson
from faust.types import TP

from stream.events.models import STREAMS
from stream.kafka import internals
from stream.kafka.app import KafkaSpec, StateTable
from stream.kafka.outbox import Outbox
from stream.kafka.writer import ALERT_PREFIX, MARK_KEY, Writer
from stream.pipeline.batch import Pipeline
from stream.pipeline.stages import EntityStage, QueueStage

log = logging.getLogger("kpiwatch.agents")

EVICT_EVERY = 60.0  # seconds between retention sweeps
_ALERT_KEY = ALERT_PREFIX.encode()


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
        app.timer(EVICT_EVERY)(self._evict)
        self._outbox = outbox
        app.task(self._serve_outbox)

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
        )
        self.app.tables.add(table)
        self.tables[name] = table

    async def _serve_outbox(self) -> None:
        await self._outbox.serve(self.writer)

    def _source_topic(self, name: str) -> str:
        return self.spec.views_topic if name == "queues" else self.spec.topics[name]

    def _rebuild(self, name: str, stage: EntityStage | QueueStage, table: StateTable) -> None:
        topic = self._source_topic(name)
        assigned = {tp.partition for tp in self.app.consumer.assignment() if tp.topic == topic}
        stage.drop(list(stage.parts if isinstance(stage, EntityStage) else stage.views))
        n = 0
        alerts: list[dict[str, Any]] = []
        for key, value, part in internals.stored(table):
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
        log.info("rebuilt %s from %d records, partitions %s", name, n, sorted(assigned))

    def _on_revoked(self, sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        revoked: Iterable[TP] = args[0] if args else ()
        self.recovered.clear()
        self.pipeline.metrics.ready.set(0)
        self.listener.pause()  # alerts wait for the rebuilt state of the new assignment
        for name in self.tables:
            topic = self._source_topic(name)
            lost = {tp.partition for tp in revoked if tp.topic == topic}
            self.owned.get(name, set()).difference_update(lost)

    async def _batches(self, stream: Any) -> AsyncIterator[list[Any]]:
        """Yield lists of events drained in bulk from the agent's channel queue.

        faust's stream iterator costs several awaits and sensor calls per event; the
        conductor already puts decoded events on this queue, so we take whatever is
        there (up to `batch_max`) in one go. An idle queue yields as soon as one event
        arrives: no batching delay at low traffic, large batches under load.
        """
        queue = internals.channel_queue(stream)
        get_nowait, limit = queue.get_nowait, self.spec.batch_max
        while True:
            try:
                batch = [await queue.get()]
            except StopAsyncIteration:  # faust stops an agent by throwing this into its queue
                return
            while len(batch) < limit:
                try:
                    batch.append(get_nowait())
                except asyncio.QueueEmpty:
                    break
            yield batch

    def _source_agent(self, name: str) -> Callable[[Any], Awaitable[None]]:
        async def agent(stream: Any) -> None:
            async for events in self._batches(stream):
                mine = self._owned(name, events)
                out = self.pipeline.process_events(name, [e.message for e in mine])
                await self.writer.write(name, out)
                for e in mine:
                    e.ack()

        agent.__name__ = f"{name}_agent"
        return agent

    async def _views_agent(self, stream: Any) -> None:
        async for events in self._batches(stream):
            mine = self._owned("queues", events)
            out = self.pipeline.process_views(e.message for e in mine)
            await self.writer.write("queues", out)
            for e in mine:
                e.ack()
            self.listener.kpis_changed()

    def _owned(self, name: str, events: list[Any]) -> list[Any]:
        """Return the events of partitions whose state is rebuilt here.

        The others are neither processed nor acked: they were fetched before a
        rebalance, and the partition, if it stays ours, is read again from its
        committed offset once its state is rebuilt.
        """
        owned = self.owned.get(name, set())
        return [e for e in events if e.message.partition in owned]

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
