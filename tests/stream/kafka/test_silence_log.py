"""The replicated silence log against the embedded broker: every reader sees every write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from stream.config.root import Config
from stream.dev.broker import EmbeddedBroker
from stream.kafka.setup import ensure_topics, silences_topic
from stream.kafka.silence_log import SilenceLog
from tests.support.worker import Topics

pytestmark = pytest.mark.integration


class Seen:
    """Collect what a SilenceLog reports; wait for a condition on the latest report."""

    def __init__(self) -> None:
        self.latest: dict[str, dict[str, Any]] = {}
        self.reports = 0

    def __call__(self, silences: list[dict[str, Any]]) -> None:
        self.latest = {s["id"]: s for s in silences}
        self.reports += 1

    async def until(self, ok: Callable[[dict[str, dict[str, Any]]], bool]) -> None:
        for _ in range(200):
            if ok(self.latest):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"never reached; latest {self.latest}")


@pytest.fixture
async def topic(broker: EmbeddedBroker, topics: Topics) -> str:
    config = Config.model_validate(
        {"kafka": {"bootstrap_servers": broker.bootstrap, "client_id": topics.client_id}}
    )
    await ensure_topics(config, 30)
    return silences_topic(config)


@pytest.fixture
async def started(broker: EmbeddedBroker, topic: str) -> AsyncIterator[Callable[..., Any]]:
    logs: list[SilenceLog] = []

    async def start(seen: Seen) -> SilenceLog:
        log = SilenceLog(broker.bootstrap, topic, {})
        logs.append(log)
        await log.start(seen)
        return log

    try:
        yield start
    finally:
        for log in logs:
            await log.stop()


def silence(sid: str, comment: str = "incident") -> dict[str, Any]:
    return {"id": sid, "matchers": {"queue": "billing"}, "comment": comment}


async def test_a_write_reaches_every_reader_the_writer_included(
    started: Callable[..., Any],
) -> None:
    a_seen, b_seen = Seen(), Seen()
    a = await started(a_seen)
    await started(b_seen)
    await a.put(silence("s1"))
    for seen in (a_seen, b_seen):
        await seen.until(lambda s: "s1" in s)


async def test_the_newest_record_per_id_wins_and_a_late_reader_sees_all(
    started: Callable[..., Any],
) -> None:
    a = await started(Seen())
    await a.put(silence("s1", "first"))
    await a.put(silence("s2"))
    await a.put(silence("s1", "replaced"))
    late = Seen()
    await started(late)  # reads the topic from its beginning
    await late.until(lambda s: s.keys() == {"s1", "s2"} and s["s1"]["comment"] == "replaced")


async def test_unreadable_records_are_skipped_and_tombstones_remove(
    broker: EmbeddedBroker, topic: str, started: Callable[..., Any]
) -> None:
    seen = Seen()
    a = await started(seen)
    await a.put(silence("s1"))
    await a.put(silence("s2"))
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{not json", key=b"bad")
        await producer.send_and_wait(topic, None, key=b"s2")  # compaction's delete marker
    finally:
        await producer.stop()
    await a.put(silence("s3"))
    await seen.until(lambda s: s.keys() == {"s1", "s3"})
