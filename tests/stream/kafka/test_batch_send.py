"""The batch writer's privates against the embedded broker: partitions as `send`, batches arrive."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from stream.dev.broker import EmbeddedBroker
from stream.kafka import internals

KEYS = [f"queue-{i}".encode() for i in range(40)]


async def test_partitioner_picks_the_partition_of_a_keyed_send(broker: EmbeddedBroker) -> None:
    topic = f"canary-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 4, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:
        partition_of = await internals.partitioner(producer, topic)
        for key in KEYS:
            sent = await producer.send_and_wait(topic, b"v", key=key)
            assert partition_of(key) == sent.partition == partition_of(key), key  # cached
        batch = producer.create_batch()
        for key in KEYS:
            assert batch.append(timestamp=None, key=key, value=b"b", headers=None) is not None
        batch.close()  # as the writer does: no linger, and no `send` adds to it
        assert batch.append(timestamp=None, key=b"late", value=b"b", headers=None) is None
        await (await producer.send_batch(batch, topic, partition=2))
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        seen: list[tuple[int, bytes | None, bytes | None]] = []
        while len(seen) < 2 * len(KEYS):
            for recs in (await consumer.getmany(timeout_ms=1000)).values():
                seen += [(r.partition, r.key, r.value) for r in recs]
    finally:
        await consumer.stop()
    assert [(k, v) for p, k, v in seen if v == b"b"] == [(k, b"b") for k in KEYS]
    assert {p for p, _, v in seen if v == b"b"} == {2}
