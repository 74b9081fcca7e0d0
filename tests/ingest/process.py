"""`kpiwatch ingest` as a child process for tests (stopped by PID), and topic reading."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from stream.dev.children import stop_process
from tests.support.worker import wait_ready


class IngestProcess:
    """The ingest service on `port`, configured by `config`."""

    def __init__(self, config: Path, log: Path, port: int) -> None:
        self.config, self.log, self.port = config, log, port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the service's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> IngestProcess:
        """Start the service and wait until /readyz answers 200."""
        env = {**os.environ, "KPIWATCH_CONFIG": str(self.config), "KPIWATCH_LOG_LEVEL": "INFO"}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "stream", "ingest"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_ready(self.proc, f"{self.url}/readyz", timeout, self.tail):
            self.stop()
            raise TimeoutError(f"ingest not ready in {timeout}s:\n{self.tail()}")
        return self

    def tail(self, n: int = 40) -> str:
        """Return the last lines of the service's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        """SIGTERM by PID (SIGKILL if it hangs)."""
        proc, self.proc = self.proc, None
        stop_process(proc, signal.SIGTERM, timeout=20)

    def terminate(self, timeout: float = 20.0) -> tuple[int | None, float]:
        """SIGTERM by PID; return the exit code (None if it had to be killed) and the time."""
        proc = self.proc
        assert proc is not None
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - began
        self.stop()  # SIGKILL if it is still there
        return code, took

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST `body` to `path`."""
        return httpx.post(f"{self.url}{path}", content=body, headers=headers, timeout=10)

    def metrics(self) -> str:
        """Return the service's /metrics text."""
        return httpx.get(f"{self.url}/metrics", timeout=5).text


def read_topic(bootstrap: str, topic: str, settle: float = 1.0) -> list[Any]:
    """Return every record of `topic` (all partitions, from the start)."""
    return asyncio.run(_read(bootstrap, topic, settle))


async def _read(bootstrap: str, topic: str, settle: float) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # fetches the cluster's metadata
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[Any] = []
        deadline = time.monotonic() + settle + 10
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                out.extend(records)
            positions = [await consumer.position(p) for p in parts]
            if all(pos >= ends[p] for pos, p in zip(positions, parts, strict=True)):
                break
        return out
    finally:
        await consumer.stop()
