"""The ingest service's Kafka producer: acks=all, confirmed writes, a readiness probe.

    producer = IngestProducer(bootstrap, client_id="kpiwatch-ingest", **client_kwargs(config))
    await producer.start()
    await producer.send(records, wait_s=4.0)   # returns once every record is acknowledged

aiokafka errors become `ProduceError` here; the ingest wiring (`stream.ingest.main`)
turns that into the HTTP side's `DeliveryError`. This module knows nothing of ingest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

log = logging.getLogger("kpiwatch.ingest")
PROBE_INTERVAL_S = 5.0


class ProduceError(Exception):
    """The broker did not acknowledge every record in time, or refused one."""


class Record(Protocol):
    """What `IngestProducer.send` writes."""

    @property
    def topic(self) -> str: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes: ...
    @property
    def headers(self) -> list[tuple[str, bytes]]: ...


class IngestProducer:
    """An aiokafka producer that waits for every write to be replicated (acks=all)."""

    def __init__(self, bootstrap: str, client_id: str, **kwargs: Any) -> None:
        # No idempotent producer: Tansu refuses InitProducerId (MEASURED.md). A retried
        # write may duplicate a record; the worker drops it by its event_id.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            enable_idempotence=False,
            linger_ms=2,
            request_timeout_ms=10_000,
            **kwargs,
        )
        self._ready = False
        self._probe: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect to the cluster and start the readiness probe."""
        await self._producer.start()
        self._ready = True
        self._probe = asyncio.create_task(self._probe_loop())

    async def stop(self) -> None:
        """Flush and close."""
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self._producer.stop()

    def ready(self) -> bool:
        """Return whether the cluster answered the last metadata request."""
        return self._ready

    async def send(self, records: Sequence[Record], wait_s: float) -> None:
        """Write all records; raise ProduceError unless all are acknowledged in `wait_s`."""
        try:
            async with asyncio.timeout(wait_s):
                futures = [
                    await self._producer.send(r.topic, r.value, key=r.key, headers=r.headers)
                    for r in records
                ]
                await asyncio.gather(*futures)
        except TimeoutError:
            raise ProduceError(f"the broker did not confirm within {wait_s:g}s") from None
        except KafkaError as exc:
            self._ready = False
            raise ProduceError(f"the broker refused the write: {type(exc).__name__}") from exc

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(PROBE_INTERVAL_S)
            try:
                self._ready = bool(await self._producer.client.force_metadata_update())
            except KafkaError as exc:
                log.warning("broker metadata request failed: %s", type(exc).__name__)
                self._ready = False
