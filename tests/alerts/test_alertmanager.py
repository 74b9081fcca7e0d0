"""Against a real Alertmanager (Debian `prometheus-alertmanager`), started on loopback.

kpiwatch pushes alerts to it (alertmanager receiver) and posts its own webhook
payload to a loopback sink; Alertmanager posts *its* webhook payload for the
same alert to the same sink, so the two can be compared field by field.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import TypeAdapter

from alerts.config import Receiver, Rule
from alerts.engine import AlertEngine
from alerts.fingerprint import fingerprint
from alerts.pipeline import DeadLetter
from alerts.snapshot import KpiSample, KpiSnapshot
from tests.deploy.tools import require

from .conftest import Received, Sink

# A missing binary skips on a developer machine and fails under CI=1 (see `require`).
pytestmark = pytest.mark.integration

AM_CONFIG = """
route:
  receiver: sink
  group_by: [alertname, queue]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: {url}/am
        send_resolved: true
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def alertmanager(tmp_path: Path, sink: Sink) -> Iterator[str]:
    binary = require("prometheus-alertmanager", "alertmanager", apt="prometheus-alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_text(AM_CONFIG.format(url=sink.url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "alertmanager.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(base, proc, tmp_path / "alertmanager.log")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"alertmanager exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/-/ready", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"alertmanager not ready: {log.read_text()[-2000:]}")


RULE = Rule.model_validate(
    {
        "name": "AbandonRateHigh",
        "kpi": "abandon_rate",
        "window": "15m",
        "op": ">",
        "threshold": 0.05,
        "severity": "critical",
        "annotations": {"summary": "Abandon rate {{ value | percent }} on {{ queue }}"},
        "receivers": ["am", "hook"],
        "group_wait": "0s",
        "group_interval": "1s",
    }
)


@pytest.fixture
async def engine(alertmanager: str, sink: Sink) -> AsyncIterator[AlertEngine]:
    receivers = TypeAdapter(list[Receiver]).validate_python(
        [
            {"type": "alertmanager", "name": "am", "url": alertmanager, "timeout": "2s"},
            {"type": "webhook", "name": "hook", "url": sink.url + "/hook", "timeout": "2s"},
        ]
    )
    dead: list[DeadLetter] = []

    async def dead_letter(record: DeadLetter) -> None:
        dead.append(record)

    async with httpx.AsyncClient() as client:
        e = AlertEngine(
            [RULE],
            receivers,
            clock=lambda: datetime.now(UTC),
            client=client,
            registry=CollectorRegistry(),
            dead_letter=dead_letter,
            external_url="http://kpiwatch:8000",
        )
        await e.start()
        try:
            yield e
        finally:
            await e.stop()
        assert dead == []


def evaluate(engine: AlertEngine, value: float) -> None:
    sample = KpiSample("abandon_rate", {"queue": "billing", "window": "15m"}, value, 100)
    engine.evaluate(KpiSnapshot(at=datetime.now(UTC), samples=(sample,)))


async def am_alerts(base: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base}/api/v2/alerts")
    response.raise_for_status()
    data: list[dict[str, Any]] = response.json()
    return data


async def received(sink: Sink, path: str, status: str) -> Received:
    async with asyncio.timeout(10):
        while True:
            for r in sink.received:
                if r.path == path and r.json()["status"] == status:
                    return r
            await asyncio.sleep(0.05)


def shape(value: Any) -> Any:
    """Return the key structure of a payload (alerts[] compared by their union of keys)."""
    if isinstance(value, dict):
        return {
            k: shape(v) if k not in ("labels", "annotations") else "map"
            for k, v in value.items()
            if k not in ("groupLabels", "commonLabels", "commonAnnotations")
        } | {k: "map" for k in ("groupLabels", "commonLabels", "commonAnnotations") if k in value}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for item in value:
            merged |= shape(item)
        return [merged]
    return type(value).__name__


async def test_push_fire_and_resolve(engine: AlertEngine, alertmanager: str, sink: Sink) -> None:
    evaluate(engine, 0.12)
    await engine.drain()
    [alert] = await am_alerts(alertmanager)
    labels = {"alertname": "AbandonRateHigh", "queue": "billing", "severity": "critical"}
    assert alert["labels"] == labels
    assert alert["status"]["state"] == "active"
    assert alert["annotations"]["summary"] == "Abandon rate 12% on billing"
    assert alert["fingerprint"] == fingerprint(labels)  # same fingerprint algorithm

    evaluate(engine, 0.01)
    await asyncio.sleep(1.1)  # group_interval: the resolved notification is flushed
    await engine.drain()
    assert await am_alerts(alertmanager) == []  # endsAt passed: no longer active


async def test_webhook_payload_matches_alertmanager(
    engine: AlertEngine, alertmanager: str, sink: Sink
) -> None:
    evaluate(engine, 0.12)
    ours = (await received(sink, "/hook", "firing")).json()
    theirs = (await received(sink, "/am", "firing")).json()
    assert shape(ours) == shape(theirs)
    for key in ("version", "status", "groupLabels", "commonLabels", "commonAnnotations"):
        assert ours[key] == theirs[key], key
    for field in ("status", "labels", "annotations", "endsAt", "generatorURL", "fingerprint"):
        assert ours["alerts"][0][field] == theirs["alerts"][0][field], field

    evaluate(engine, 0.01)
    ours = (await received(sink, "/hook", "resolved")).json()
    theirs = (await received(sink, "/am", "resolved")).json()
    assert shape(ours) == shape(theirs)
    assert ours["alerts"][0]["fingerprint"] == theirs["alerts"][0]["fingerprint"]
    assert ours["alerts"][0]["status"] == theirs["alerts"][0]["status"] == "resolved"
