"""API silences replicated to every worker through a compacted Kafka topic.

A silence must mute alerts on whichever worker owns them, and survive
restarts. Each worker reads the whole single-partition topic (no consumer
group) and keeps the newest record per silence id; writes go to the topic
and come back to every worker, the writer included.

faust's GlobalTable would do this, but its own docstring warns that several
instances can loop forever in recovery, so this is a plain replicated log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

log = logging.getLogger("kpiwatch.silences")


class SilenceLog:
    """Read and write the replicated silence topic."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        client_kwargs: dict[str, Any],
    ) -> None:
        self.bootstrap, self.topic, self.kwargs = bootstrap, topic, client_kwargs
        self.silences: dict[str, dict[str, Any]] = {}
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, on_change: Callable[[list[dict[str, Any]]], None]) -> None:
        """Start the producer and the reader, which calls `on_change` with all silences."""
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, **self.kwargs)
        await self._producer.start()
        self._task = asyncio.create_task(self._read(on_change), name="kpiwatch-silence-log")

    async def stop(self) -> None:
        """Stop reading and writing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._producer is not None:
            await self._producer.stop()

    async def put(self, silence: dict[str, Any]) -> None:
        """Write a silence (new, replaced or expired) for every worker."""
        assert self._producer is not None
        await self._producer.send_and_wait(
            self.topic, orjson.dumps(silence), key=str(silence["id"]).encode()
        )

    async def _read(self, on_change: Callable[[list[dict[str, Any]]], None]) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                group_id=None,
                enable_auto_commit=False,
                **self.kwargs,
            )
            try:
                await consumer.start()
                tp = TopicPartition(self.topic, 0)
                consumer.assign([tp])
                await consumer.seek_to_beginning(tp)
                while True:
                    batch = await consumer.getmany(timeout_ms=1000)
                    records = [r for rs in batch.values() for r in rs]
                    if records:
                        self._apply(records)
                        on_change(list(self.silences.values()))
            except KafkaError as exc:
                log.warning("silence log unavailable, retrying: %s", exc)
                await asyncio.sleep(2.0)
            finally:
                await consumer.stop()

    def _apply(self, records: list[Any]) -> None:
        for r in records:
            key = r.key.decode() if r.key else ""
            if r.value is None:
                self.silences.pop(key, None)
                continue
            try:
                self.silences[key] = orjson.loads(r.value)
            except orjson.JSONDecodeError:
                log.error("skipping unreadable silence record %s@%d", self.topic, r.offset)
