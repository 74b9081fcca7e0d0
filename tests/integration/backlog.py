"""Put records on input topics of PARTITIONS partitions, as a backlog or while a worker runs."""

from __future__ import annotations

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.reference.traffic import Record
from tests.support.worker import Topics

PARTITIONS = 4


async def create_topics(bootstrap: str, topics: Topics) -> None:
    """Create the three input topics with PARTITIONS partitions (before any worker does)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [topics.names[s] for s in ("tickets", "calls", "agents")]
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()


async def produce(bootstrap: str, topics: Topics, records: list[Record]) -> None:
    """Produce records in order, keyed by entity (Kafka's partitioner places them)."""
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=1 << 20)
    await p.start()
    try:
        futs = [
            await p.send(topics.names[s], orjson.dumps(body), key=key.encode())
            for s, key, body in records
        ]
        for fut in futs:
            await fut
    finally:
        await p.stop()
