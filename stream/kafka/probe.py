"""Ask the broker, on a connection of its own, whether it answers and where each log ends.

    probe = BrokerProbe(bootstrap, client_kwargs(config))
    app.task(lambda: probe.run(consumed_partitions))   # every INTERVAL_S until stopped
    probe.up, probe.error, probe.ends[("t.calls", 0)]

The worker's consumer only learns a partition's end (its high-water mark) from
its own fetch responses: while it cannot fetch (a broker outage, a stuck fetch)
that value freezes and the lag it gives lies. The probe asks the broker for the
metadata and the end offsets every `INTERVAL_S` seconds, each round bounded by
`TIMEOUT_S`: a round that fails or times out says the broker is down, with why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger("kpiwatch.broker")
INTERVAL_S = 2.0
TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 2.0  # closing its connection never holds a shutdown longer
Partitions = Callable[[], Iterable[tuple[str, int]]]


class BrokerProbe:
    """The broker's reachability and end offsets, as of the last round."""

    def __init__(
        self,
        bootstrap: str,
        client_kwargs: dict[str, Any],
        interval: float = INTERVAL_S,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self.bootstrap, self.kwargs = bootstrap, client_kwargs
        self.interval, self.timeout = interval, timeout
        self.up = False  # not known to answer until a round succeeds
        self.error = "not probed yet"
        self.changed_at = time.time()  # when `up` last changed (Unix time)
        self.ends: dict[tuple[str, int], int] = {}  # end offset per partition, last known
        self._consumer: AIOKafkaConsumer | None = None

    async def run(self, partitions: Partitions) -> None:
        """Probe every `interval` seconds until cancelled."""
        try:
            while True:
                try:
                    await asyncio.wait_for(self._round(partitions), self.timeout)
                except Exception as exc:  # anything short of an answer: the broker is down
                    self._set(False, _describe(exc, self.timeout))
                    await self._drop_consumer()
                else:
                    self._set(True, "")
                await asyncio.sleep(self.interval)
        finally:
            await self._drop_consumer()

    async def _round(self, partitions: Partitions) -> None:
        consumer = self._consumer
        if consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                request_timeout_ms=int(self.timeout * 1000),
                **self.kwargs,
            )
            self._consumer = consumer
            await consumer.start()
        await consumer.topics()  # a metadata round trip: raises when no broker answers
        tps = [TopicPartition(t, p) for t, p in partitions()]
        if tps:
            ends = await consumer.end_offsets(tps)
            self.ends = {(tp.topic, tp.partition): int(n) for tp, n in ends.items()}

    def _set(self, up: bool, error: str) -> None:
        if up != self.up:
            self.changed_at = time.time()
            if up:
                log.info("broker %s answers again", self.bootstrap)
            else:
                log.warning("broker %s unreachable: %s", self.bootstrap, error)
        self.up, self.error = up, error

    async def _drop_consumer(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT_S)


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g}s"
    detail = str(exc).strip()
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
