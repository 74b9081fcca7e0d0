"""The boundary to the broker: what the HTTP side hands over, and how that can fail.

    await sink.send([Outgoing(topic, key, value, headers)], wait_s=4.0)   # DeliveryError

The Kafka implementation is `stream.ingest.main.KafkaSink` over
`stream.kafka.ingest_producer.IngestProducer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

Header = tuple[str, bytes]


class DeliveryError(Exception):
    """The broker did not confirm every write in time; the caller answers 503."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to write: topic, key, value, headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[Header] = field(default_factory=list)


class Sink(Protocol):
    """Writes records and returns once the broker has confirmed all of them."""

    async def send(self, records: Sequence[Outgoing], wait_s: float) -> None:
        """Write `records`; raise DeliveryError unless all are confirmed within `wait_s`."""

    def ready(self) -> bool:
        """Return whether the broker was reachable at the last check."""
