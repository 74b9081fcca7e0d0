"""Produce synthetic traffic (stream/dev/traffic.py) into Kafka.

target = KafkaTarget("127.0.0.1:9092", TOPICS)   # + aiokafka TLS/SASL kwargs if needed
asyncio.run(generate(target=target, rate=2.0, duration=600, seed=7, incident=True))

Errors: `GeneratorError` (a ValueError) for an incident that does not fit the
duration and for a Kafka that cannot be reached; aiokafka's errors are
translated here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from stream.dev.traffic import Incident, Record, TrafficModel
from stream.kafka.producer import Producer, ProducerError

TOPICS = {"tickets": "support.tickets", "calls": "support.calls", "agents": "support.agents"}
PROGRESS_EVERY = 10.0  # seconds between progress reports in real time
Progress = Callable[[int, float], None]  # (events sent, seconds of traffic done)


class GeneratorError(ValueError):
    """Traffic that cannot be produced: a bad incident window or an unreachable Kafka."""


def check_incident(duration: float, incident_after: float, incident_for: float) -> None:
    """Raise GeneratorError if the incident does not end within `duration`."""
    if incident_after + incident_for > duration:
        raise GeneratorError(
            f"the incident (after {incident_after:g} s, for {incident_for:g} s) ends at"
            f" {incident_after + incident_for:g} s, past --duration {duration:g} s: raise"
            " --duration or lower --incident-after/--incident-for"
        )


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
    progress: Progress | None = None,
    history: float = 0.0,
    ticket_pace: float = 1.0,
) -> int:
    """Produce `duration` seconds of traffic: in real time from now, or at once ending now.

    All at once, the traffic is the history of the last `duration` seconds: events are
    never stamped in the future (workers dead-letter those beyond `max_future_skew`).
    In real time, `history` seconds of past traffic go first, at once, so windows and
    backlogs start full; the incident still starts `incident_after` seconds from now.
    """
    if incident:
        check_incident(duration, incident_after, incident_for)
    span = timedelta(seconds=duration)
    past = timedelta(seconds=history if realtime else 0.0)
    t0 = start or (datetime.now(UTC) - (past if realtime else span))
    inc = (
        Incident(
            start_after=past + timedelta(seconds=incident_after),
            duration=timedelta(seconds=incident_for),
        )
        if incident
        else None
    )
    model = TrafficModel(seed=seed, start=t0, rate=rate, incident=inc, ticket_pace=ticket_pace)
    producer = Producer(target.bootstrap, linger_ms=5, max_batch_size=1 << 20, **target.security)
    try:
        await producer.__aenter__()
    except ProducerError as exc:
        await producer.__aexit__(None, None, None)
        raise GeneratorError(
            f"cannot reach Kafka at {target.bootstrap} ({exc}): start one"
            " with `kpiwatch broker` or pass --bootstrap"
        ) from None
    try:
        return await _produce(producer, target.topics, model, t0, past, span, realtime, progress)
    finally:
        await producer.__aexit__(None, None, None)


async def _produce(
    producer: Producer,
    topics: Mapping[str, str],
    model: TrafficModel,
    t0: datetime,
    past: timedelta,
    span: timedelta,
    realtime: bool,
    progress: Progress | None,
) -> int:
    if not realtime:
        return await send_records(producer, topics, model.events_until(t0 + span))
    sent = await send_records(producer, topics, model.events_until(t0 + past))
    began = reported = time.monotonic()
    while (elapsed := time.monotonic() - began) < span.total_seconds():
        sent += await send_records(
            producer, topics, model.events_until(t0 + past + timedelta(seconds=elapsed))
        )
        if progress is not None and time.monotonic() - reported >= PROGRESS_EVERY:
            reported = time.monotonic()
            progress(sent, elapsed)
        await asyncio.sleep(0.2)
    return sent
