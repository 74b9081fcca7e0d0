"""Run a kpiwatch worker as a child process for tests; stopped by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml
from aiokafka import AIOKafkaProducer

from stream.dev.broker import free_port
from stream.dev.children import stop_process

BASE_CONFIG: dict[str, Any] = {
    "timezone": "UTC",
    "sla_policies": [
        {
            "name": "urgent",
            "match": {"priority": "urgent"},
            "first_response": "30m",
            "resolution": "4h",
            "at_risk": "10m",
        },
        {"name": "standard", "first_response": "8h", "resolution": "3d", "at_risk": "1h"},
    ],
}


@dataclass
class Topics:
    """A fresh set of topic names and a consumer group for one test."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def names(self) -> dict[str, str]:
        """Return the source and dead-letter topic names."""
        return {
            "tickets": f"t-{self.tag}.tickets",
            "calls": f"t-{self.tag}.calls",
            "agents": f"t-{self.tag}.agents",
            "dead_letter": f"t-{self.tag}.dlq",
        }

    @property
    def client_id(self) -> str:
        """Return the worker's app id / consumer group."""
        return f"kpiwatch-{self.tag}"


def write_config(
    path: Path,
    bootstrap: str,
    topics: Topics,
    port: int,
    partitions: int = 2,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a worker config for a test and return its path."""
    cfg = {**BASE_CONFIG, **(extra or {})}
    cfg["kafka"] = {
        "bootstrap_servers": bootstrap,
        "client_id": topics.client_id,
        "partitions": partitions,
        "topics": topics.names,
    }
    cfg["http"] = {**cfg.get("http", {}), "host": "127.0.0.1", "port": port}
    path.write_text(yaml.safe_dump(cfg))
    return path


class WorkerProcess:
    """`kpiwatch run` in a child process with its own session (killable by PID)."""

    def __init__(
        self, config: Path, data_dir: Path, log: Path, port: int, env: dict[str, str] | None = None
    ) -> None:
        self.config, self.data_dir, self.log, self.port = config, data_dir, log, port
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_after: float | None = None

    @property
    def url(self) -> str:
        """Return the worker's HTTP base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> WorkerProcess:
        """Start the worker and wait until /readyz says ready."""
        env = {
            **os.environ,
            "KPIWATCH_CONFIG": str(self.config),
            "KPIWATCH_DATA_DIR": str(self.data_dir),
            "KPIWATCH_LOG_LEVEL": "INFO",
        }
        env.pop("KPIWATCH_HTTP_PORT", None)
        env.update(self.env)
        began = time.monotonic()
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "stream", "run"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait_ready(self.proc, f"{self.url}/readyz", timeout, self.tail):
            self.ready_after = time.monotonic() - began
            return self
        self.kill()
        raise TimeoutError(f"worker not ready in {timeout}s:\n{self.tail()}")

    def tail(self, n: int = 40) -> str:
        """Return the last lines of the worker's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the worker by PID and wait for it to exit."""
        proc, self.proc = self.proc, None
        stop_process(proc, sig, timeout=20)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), SIGKILL if it hangs."""
        self.kill(signal.SIGTERM)

    def metrics(self) -> str:
        """Return the /metrics text."""
        return httpx.get(f"{self.url}/metrics", timeout=5).text


def wait_ready(
    proc: subprocess.Popen[bytes], url: str, timeout: float, tail: Callable[[], str]
) -> bool:
    """Poll `url` until it answers 200 (True) or `timeout` passes (False); fail if `proc` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited {proc.returncode}:\n{tail()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def sample(text: str, name: str, **labels: str) -> float | None:
    """Return the value of one series in Prometheus text, None if absent."""
    from prometheus_client.parser import text_string_to_metric_families

    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


async def produce(bootstrap: str, records: Iterable[tuple[str, str | None, Any]]) -> None:
    """Produce (topic, key, value) records; dict values are JSON-encoded, bytes kept."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, key, value in records:
            raw = value if isinstance(value, bytes) else orjson.dumps(value)
            await producer.send_and_wait(topic, raw, key=key.encode() if key else None)
    finally:
        await producer.stop()


def new_port() -> int:
    """Return a free loopback port."""
    return free_port()
