"""Produce synthetic traffic (stream/dev/traffic.py) into Kafka.

target = KafkaTarget("127.0.0.1:9092", TOPICS)   # + aiokafka TLS/SASL kwargs if needed
asyncio.run(generate(target=target, rate=2.0, duration=600, seed=7, incident=True))
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from stream.dev.traffic import Incident, Record, TrafficModel
from stream.kafka.producer import Producer

TOPICS = {"tickets": "support.tickets", "calls": "support.calls", "agents": "support.agents"}


@dataclass(frozen=True)
class KafkaTarget:
    """Where to produce: brokers, topic per stream, aiokafka security keyword arguments."""

    bootstrap: str
    topics: Mapping[str, str] = field(default_factory=lambda: dict(TOPICS))
    security: Mapping[str, Any] = field(default_factory=dict, repr=False)


async def send_records(
    producer: Producer, topics: Mapping[str, str], records: Iterable[Record]
) -> int:
    """Send records keyed by entity id; return how many were sent."""
    return await producer.send_all(
        (topics[r.stream], r.key.encode(), orjson.dumps(r.value)) for r in records
    )


async def generate(
    *,
    target: KafkaTarget,
    rate: float,
    duration: float,
    seed: int,
    incident: bool,
    incident_after: float = 120.0,
    incident_for: float = 300.0,
    realtime: bool = True,
    start: datetime | None = None,
) -> int:
    """Produce `duration` seconds of traffic: in real time from now, or at once ending now.

    All at once, the traffic is the history of the last `duration` seconds: events are
    never stamped in the future (workers dead-letter those beyond `max_future_skew`).
    """
    span = timedelta(seconds=duration)
    t0 = start or (datetime.now(UTC) - (timedelta(0) if realtime else span))
    inc = (
        Incident(
            start_after=timedelta(seconds=incident_after), duration=timedelta(seconds=incident_for)
        )
        if incident
        else None
    )
    model = TrafficModel(seed=seed, start=t0, rate=rate, incident=inc)
    topics = target.topics
    sent = 0
    async with Producer(
        target.bootstrap, linger_ms=5, max_batch_size=1 << 20, **target.security
    ) as producer:
        if not realtime:
            return await send_records(producer, topics, model.events_until(t0 + span))
        began = time.monotonic()
        while (elapsed := time.monotonic() - began) < duration:
            sent += await send_records(
                producer, topics, model.events_until(t0 + timedelta(seconds=elapsed))
            )
            await asyncio.sleep(0.2)
    return sent
