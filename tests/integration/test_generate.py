"""`kpiwatch generate` produces to the brokers and topics of a kpiwatch config."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from stream.dev.broker import EmbeddedBroker
from tests.support.worker import Topics, write_config

pytestmark = pytest.mark.integration


def _generate(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "stream", "generate", "--no-realtime", "--duration", "60", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


async def _count(bootstrap: str, topics: list[str], want: int) -> dict[str, int]:
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    seen = dict.fromkeys(topics, 0)
    try:
        for _ in range(40):
            if sum(seen.values()) >= want:
                break
            for tp, msgs in (await consumer.getmany(timeout_ms=500)).items():
                seen[tp.topic] += len(msgs)
                orjson.loads(msgs[0].value)  # valid JSON events
    finally:
        await consumer.stop()
    return seen


def test_generate_takes_brokers_and_topics_from_a_config(
    broker: EmbeddedBroker, topics: Topics, tmp_path: Path
) -> None:
    cfg = write_config(tmp_path / "kpiwatch.yaml", broker.bootstrap, topics, port=8000)
    res = _generate("--config", str(cfg), "--seed", "3")
    assert res.returncode == 0, res.stderr
    produced = int(res.stdout.split()[1])
    assert produced > 100 and broker.bootstrap in res.stdout
    names = [topics.names[s] for s in ("tickets", "calls", "agents")]
    seen = asyncio.run(_count(broker.bootstrap, names, produced))
    assert sum(seen.values()) == produced
    assert all(seen.values()), seen


def test_generate_rejects_a_bad_config_before_producing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kafka:\n  bootstrap_servers: []\n  partitions: 0\n")
    res = _generate("--config", str(bad))
    assert res.returncode == 2
    assert "bad.yaml" in res.stderr and "kafka.partitions" in res.stderr
