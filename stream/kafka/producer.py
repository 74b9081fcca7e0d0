"""A plain Kafka producer for tools outside the worker (the traffic generator, tests).

async with Producer("127.0.0.1:9092", linger_ms=5) as producer:
    await producer.send_all([("support.calls", b"c1", b'{"type": "..."}')])
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

Record = tuple[str, bytes | None, bytes]  # topic, key, value


class ProducerError(Exception):
    """Kafka could not be reached; the message names aiokafka's error class."""


class Producer:
    """Send records and wait for the broker to confirm them."""

    def __init__(self, bootstrap: str, **kwargs: Any) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **kwargs)

    async def __aenter__(self) -> Self:
        try:
            await self._producer.start()
        except KafkaError as exc:  # translated here: callers never import aiokafka
            raise ProducerError(type(exc).__name__) from exc
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._producer.stop()

    async def send_all(self, records: Iterable[Record]) -> int:
        """Send records (batched by the client); return how many the broker confirmed."""
        futs = [await self._producer.send(t, v, key=k) for t, k, v in records]
        if futs:
            await asyncio.gather(*futs)
        return len(futs)
