"""Write what the pipeline and the alert engine produce: views, dead letters, table state.

Every write returns once the broker has confirmed it, so a caller may ack its
input (or consider alert state persisted) right after.

    writer = Writer(app, spec, tables, metrics)
    await writer.write("calls", pipeline.process_events("calls", records))
    await writer.dead_letter(b"{...}", "receiver refused")
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import faust

from stream.kafka import internals
from stream.kafka.app import KafkaSpec, StateTable
from stream.kafka.markers import MARK_KEY
from stream.kafka.parking import size_error, too_large
from stream.kafka.state_store import Marker
from stream.metrics import PipelineMetrics
from stream.pipeline.batch import Output, parked
from stream.pipeline.stages import Dirty

log = logging.getLogger("kpiwatch.writer")
Record = tuple[str, bytes | None, bytes | None, int | None, Any]  # topic, key, value, part, headers

ALERT_PREFIX = "\x1falert\x1f"  # alert state shares the queues table, keyed by fingerprint
__all__ = ["ALERT_PREFIX", "MARK_KEY", "Writer"]
SINGLE_MAX = 64 << 10  # bytes: a larger record is sent alone, so a refusal parks only it


class Writer:
    """Send records through the faust app's producer and wait for the broker."""

    def __init__(
        self,
        app: faust.App,
        spec: KafkaSpec,
        tables: Mapping[str, StateTable],
        metrics: PipelineMetrics,
    ) -> None:
        self.app, self.spec, self.tables, self.metrics = app, spec, tables, metrics

    async def persist(self, table_name: str, state: list[Dirty]) -> None:
        """Write state records outside stream iteration (timers, alert state)."""
        if state:
            await self.write(table_name, Output(state=state))

    async def dead_letter(self, value: bytes, reason: str) -> None:
        """Send a failed notification to the dead-letter topic."""
        headers = [("kpiwatch.reason", reason.encode())]
        await self._confirmed([await self._send(self.spec.dead_letter, None, value, None, headers)])
        self.metrics.dead_letters.labels("notifications").inc()

    async def write(self, table_name: str, out: Output) -> None:
        """Send views, dead letters and state; return once the broker has them all."""
        views = self.spec.views_topic
        records: list[Record] = [
            (views, v.queue.encode(), v.encode(), None, None) for v in out.views
        ]
        if out.dead_letters:
            self.metrics.dead_letters.labels(table_name).inc(len(out.dead_letters))
        dl = self.spec.dead_letter
        records += [(dl, d.key, d.value, None, d.headers) for d in out.dead_letters]
        await self._send_all(records)  # before the state that makes a replay skip these records
        table = self.tables[table_name]
        changelog = table.changelog_topic.get_topic_name()
        state = [(key.encode(), value, part) for part, key, value in out.state]
        state += table.store.repairs({k for k, _, _ in state})  # a failed write's keys
        with table.store.writing([(k, p) for k, _, p in state]):  # checkpoints wait for the broker
            internals.store_put_many(table, state)
            parked = await self._send_all([(changelog, k, v, p, None) for k, v, p in state])
            marks = await self._seal(changelog, {part for _, _, part in state})
            table.store.confirmed(marks)
        if parked:  # dead-lettered with their size: the store keeps them, checkpoints too
            log.error("%d state records too large for the changelog parked", len(parked))

    async def _send_all(self, records: list[Record]) -> list[Record]:
        """Send records in one batch per partition, wait for the broker; park what it refuses.

        One `send_batch` per partition instead of a faust and an aiokafka `send` per
        record. A record over `SINGLE_MAX` bytes, or one of a batch the broker
        refused as too large, goes again alone (`_send_each`), to be parked if refused.
        Return the records parked.
        """
        producer = internals.kafka_producer(self.app)
        alone = [r for r in records if len(r[2] or b"") > SINGLE_MAX]  # keys are short
        batched = [r for r in records if len(r[2] or b"") <= SINGLE_MAX] if alone else records
        groups: dict[tuple[str, int], list[Record]] = {}
        partition_of: dict[str, Callable[[bytes | None], int]] = {}
        for r in batched:
            topic, part = r[0], r[3]
            if part is None:
                if topic not in partition_of:
                    partition_of[topic] = await internals.partitioner(producer, topic)
                part = partition_of[topic](r[1])
            groups.setdefault((topic, part), []).append(r)
        sent: list[tuple[list[Record], Awaitable[Any]]] = []
        for (topic, part), group in groups.items():
            batch, members = producer.create_batch(), list[Record]()
            for r in group:
                if batch.append(timestamp=None, key=r[1], value=r[2], headers=r[4]) is None:
                    sent.append((members, await producer.send_batch(batch, topic, partition=part)))
                    batch, members = producer.create_batch(), list[Record]()
                    batch.append(timestamp=None, key=r[1], value=r[2], headers=r[4])  # 1st fits
                members.append(r)
            # closed: sent without the producer's linger, and no `send` can add to it (a
            # changelog marker must stay a one-record batch, see `_seal`)
            batch.close()
            sent.append((members, await producer.send_batch(batch, topic, partition=part)))
        results = await asyncio.gather(*(f for _, f in sent), return_exceptions=True)
        for (members, _), result in zip(sent, results, strict=True):
            if isinstance(result, BaseException):
                if not too_large(result):
                    raise result  # an outage is not parked: the batch is not acked, read again
                alone += members
        return await self._send_each(alone)

    async def _send_each(self, records: list[Record]) -> list[Record]:
        """Send records one by one, wait for the broker; park any it will never take.

        Return the records parked.
        """
        futs = []
        parked: list[Record] = []
        for r in records:
            try:
                futs.append(await self._send(*r))
            except Exception as exc:
                if not too_large(exc):
                    raise
                futs.append(await self._park(r, exc))
                parked.append(r)
        if not futs:
            return parked
        results = await asyncio.gather(*futs, return_exceptions=True)
        failed = [(r, x) for r, x in zip(records, results, strict=True) if isinstance(x, Exception)]
        for _, error in failed:
            if not too_large(error):
                raise error  # an outage is not parked: the batch is not acked, read again
        await self._confirmed([await self._park(r, error) for r, error in failed])
        return parked + [r for r, _ in failed]

    async def _park(self, r: Record, exc: BaseException) -> Awaitable[Any]:
        """Send a truncated copy of a record the broker refuses to the dead-letter topic.

        A parked state record is missing from its changelog: a restart forgets that change.
        """
        topic, key, value, part = r[0], r[1], r[2], r[3]
        cause = size_error(exc) or exc  # the client's MessageSizeTooLarge, not faust's wrapper
        reason = f"could not write {len(value or b'')} bytes to {topic}: {type(cause).__name__}"
        log.error("parked a record: %s", reason)
        self.metrics.dead_letters.labels("parked").inc()
        d = parked(topic, part, None, key, value, reason)
        return await self._send(self.spec.dead_letter, d.key, d.value, None, d.headers)

    async def _seal(self, changelog: str, partitions: set[int]) -> dict[int, Marker]:
        """End each written changelog partition with a one-record batch; return the markers.

        Tansu answers ListOffsets(latest) with the last batch's base offset + 1, so
        recovery would stop short of a multi-record last batch (MEASURED.md). A lone
        marker after the confirmed batch makes that answer the true log end, while the
        state itself still goes out in large batches. On Kafka it compacts to one record.
        Its random value lets a checkpoint taken at a marker recognise it in the log.
        """
        producer = internals.kafka_producer(self.app)
        token, parts, futs = os.urandom(8), sorted(partitions), []
        for p in parts:
            batch = producer.create_batch()
            batch.append(timestamp=None, key=MARK_KEY, value=token, headers=[])
            batch.close()  # one record: the batch's base offset is the marker's
            futs.append(await producer.send_batch(batch, changelog, partition=p))
        sent = await asyncio.gather(*futs)
        return {p: (meta.offset, token) for p, meta in zip(parts, sent, strict=True)}

    async def _send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Any = None,
    ) -> Awaitable[Any]:
        return await self.app.producer.send(topic, key, value, partition, None, headers)

    @staticmethod
    async def _confirmed(futs: list[Awaitable[Any]]) -> None:
        if futs:
            await asyncio.gather(*futs)
