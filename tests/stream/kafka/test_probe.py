"""BrokerProbe on the embedded broker: end offsets from the broker, down with a reason."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from stream.dev.broker import EmbeddedBroker, free_port
from stream.kafka.probe import BrokerProbe
from tests.support.worker import produce

pytestmark = pytest.mark.integration


async def _one_round(probe: BrokerProbe, partitions: list[tuple[str, int]]) -> None:
    task = asyncio.create_task(probe.run(lambda: partitions))
    for _ in range(100):
        await asyncio.sleep(0.1)
        if probe.error != "not probed yet":
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_probe_reads_end_offsets_from_the_broker(broker: EmbeddedBroker) -> None:
    topic = f"probe-{uuid.uuid4().hex[:8]}"
    await produce(broker.bootstrap, [(topic, f"k{i}", {"i": i}) for i in range(5)])
    probe = BrokerProbe(broker.bootstrap, {}, interval=0.1)
    parts = await _partitions(broker.bootstrap, topic)
    await _one_round(probe, [(topic, p) for p in parts])
    assert (probe.up, probe.error) == (True, "")
    assert set(probe.ends) == {(topic, p) for p in parts}
    assert sum(probe.ends.values()) == 5  # single-record batches: Tansu's ends are exact


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        return sorted(consumer.partitions_for_topic(topic) or [])
    finally:
        await consumer.stop()


async def test_a_broker_that_refuses_connections_is_down_with_the_reason() -> None:
    probe = BrokerProbe(f"127.0.0.1:{free_port()}", {}, interval=0.1, timeout=2.0)
    await _one_round(probe, [])
    assert probe.up is False
    assert probe.error.startswith(("KafkaConnectionError", "no answer within")), probe.error
