"""A broker outage (connections refused and cut): /readyz and kpiwatch_broker_up say so,
and both recover with the broker; the lag is the broker's and the counts stay exact.

The worker reaches a test-local broker through a loopback proxy the test cuts: Tansu
keeps its topics in memory only, so stopping the broker itself would lose them
(MEASURED.md). The session broker is left alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from stream.dev.broker import EmbeddedBroker
from tests.support.proxy import TcpProxy
from tests.support.worker import Topics, WorkerProcess, new_port, produce, sample, write_config

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

BEFORE, AFTER = 30, 20  # calls queued before the outage and after it


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[EmbeddedBroker, TcpProxy]]:
    """A broker of this test's own that tells clients to connect through a proxy."""
    proxy = TcpProxy(target_port=0)
    broker = EmbeddedBroker(port=0, log_path=tmp_path / "tansu.log", advertised_port=proxy.port)
    proxy.target_port = broker.port
    broker.start()
    proxy.start()
    try:
        yield broker, proxy
    finally:
        proxy.stop()
        broker.stop()


def _calls(topic: str, first: int, n: int) -> list[tuple[str, str | None, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        (topic, f"c{i}", {"event_id": f"c{i}-q", "type": "call.queued", "occurred_at": now,
                          "call_id": f"c{i}", "queue": "billing"})
        for i in range(first, first + n)
    ]  # fmt: skip


def _until(what: str, check: Callable[[], Any], timeout: float, tail: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except httpx.HTTPError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f}s (last: {last!r})\n{tail()}")


def _ready(w: WorkerProcess) -> tuple[int, dict[str, Any]]:
    r = httpx.get(f"{w.url}/readyz", timeout=5)
    return r.status_code, r.json()


def _truth(bootstrap: str, topic: str, group: str) -> int:
    """Return end − committed offset summed over `topic`'s partitions, asked of the broker."""

    async def ask() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
            ends = await consumer.end_offsets(parts)
            committed = [await consumer.committed(tp) or 0 for tp in parts]
            return sum(ends[tp] - c for tp, c in zip(parts, committed, strict=True))
        finally:
            await consumer.stop()

    return asyncio.run(ask())


def test_outage_is_reported_and_recovered_with_true_lag_and_exact_counts(
    proxied: tuple[EmbeddedBroker, TcpProxy], topics: Topics, tmp_path: Path
) -> None:
    _, proxy = proxied
    bootstrap = f"127.0.0.1:{proxy.port}"
    port = new_port()
    cfg = write_config(tmp_path / "w.yaml", bootstrap, topics, port)
    w = WorkerProcess(cfg, tmp_path / "w-data", tmp_path / "w.log", port)
    calls = topics.names["calls"]

    def accepted() -> float:
        return sample(w.metrics(), "kpiwatch_events_accepted_total", topic=calls) or 0.0

    def lag() -> float:
        text = w.metrics()
        return sum(sample(text, "kpiwatch_consumer_lag_records", topic=calls, partition=str(p))
                   or 0.0 for p in (0, 1))  # fmt: skip

    try:
        w.start()
        asyncio.run(produce(bootstrap, _calls(calls, 0, BEFORE)))
        _until("counted before", lambda: accepted() == BEFORE, 60, w.tail)
        assert sample(w.metrics(), "kpiwatch_broker_up") == 1

        proxy.stop()  # the outage: connections refused, open ones cut
        cut = time.monotonic()
        _, body = _until("503", lambda: (r := _ready(w))[0] == 503 and r, 30, w.tail)
        noticed = time.monotonic() - cut
        assert body["ready"] is False and body["broker"]["up"] is False, body
        assert body["cause"].startswith("broker unreachable: "), body
        assert sample(w.metrics(), "kpiwatch_broker_up") == 0
        assert httpx.get(f"{w.url}/healthz", timeout=5).status_code == 200  # alive, not ready
        time.sleep(5.0)  # a while down: the worker's own retries run into refusals

        proxy.start()  # the broker is back on the same address, with all its records
        back = time.monotonic()
        _until("ready again", lambda: _ready(w)[0] == 200, 60, w.tail)
        recovered = time.monotonic() - back
        assert sample(w.metrics(), "kpiwatch_broker_up") == 1
        asyncio.run(produce(bootstrap, _calls(calls, BEFORE, AFTER)))
        _until("counted after", lambda: accepted() == BEFORE + AFTER, 60, w.tail)
        _until("lag 0", lambda: lag() == 0.0, 30, w.tail)
        time.sleep(2.5)  # a probe round after the last commit
        assert lag() == _truth(bootstrap, calls, topics.client_id) == 0
        assert accepted() == BEFORE + AFTER  # exact: nothing lost, nothing doubled
        print(f"outage noticed in {noticed:.1f}s; ready {recovered:.1f}s after the broker")
    finally:
        w.kill()
