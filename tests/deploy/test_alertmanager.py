"""The committed Alertmanager config runs in a real Alertmanager: it routes and
inhibits what it is sent, and kpiwatch's own `alertmanager` receiver, configured
as the compose stack configures it, pushes alerts into it and resolves them."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from alerts.engine import AlertEngine
from alerts.fingerprint import fingerprint
from alerts.pipeline import DeadLetter
from alerts.snapshot import KpiSample, KpiSnapshot
from stream.config.root import Config, load_config
from stream.dev.broker import free_port
from tests.deploy.tools import DEPLOY, Server, require

pytestmark = pytest.mark.integration

COMPOSE_CONFIG = DEPLOY / "kpiwatch" / "kpiwatch.yaml"


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """Run Alertmanager with the committed config (only ports and data dir adapted)."""
    binary = require("prometheus-alertmanager", "alertmanager", apt="prometheus-alertmanager")
    config = tmp_path / "alertmanager.yml"
    shutil.copy(DEPLOY / "alertmanager" / "alertmanager.yml", config)  # used as committed
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]  # fmt: skip
    with Server(argv, f"{url}/-/ready", tmp_path / "alertmanager.log"):
        yield url


def _alert(name: str, severity: str, queue: str = "billing", **extra: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": severity, "queue": queue, **extra},
        "annotations": {"summary": f"{name} on {queue}"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=5)).isoformat(),
        "generatorURL": "http://kpiwatch.example/api/v1/alerts",
    }


def test_alertmanager_runs_the_config_routes_and_inhibits(alertmanager: str) -> None:
    url = alertmanager
    alerts = [_alert("AbandonRateHigh", "critical"), _alert("SlaAtRisk", "warning"),
              _alert("SlaAtRisk", "warning", queue="sales")]  # fmt: skip
    r = httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5)
    assert r.status_code == 200, r.text
    got = httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
    by_key = {(a["labels"]["alertname"], a["labels"]["queue"]): a for a in got}
    assert by_key.keys() == {("AbandonRateHigh", "billing"), ("SlaAtRisk", "billing"),
                             ("SlaAtRisk", "sales")}  # fmt: skip
    assert all(a["receivers"] == [{"name": "oncall-webhook"}] for a in got)
    # the critical alert mutes the warning of the same queue, not of another
    assert by_key["SlaAtRisk", "billing"]["status"]["inhibitedBy"]
    assert by_key["SlaAtRisk", "billing"]["status"]["state"] == "suppressed"
    assert by_key["SlaAtRisk", "sales"]["status"]["state"] == "active"


# --- kpiwatch's own alertmanager receiver, as the compose workers run it ------------


@pytest.fixture
async def sink() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback HTTP server standing in for Slack and the ops webhook: 200, and log paths."""
    paths: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        paths.append(request.path)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", paths
    finally:
        await runner.cleanup()


def compose_config(alertmanager: str, sink: str) -> Config:
    """Load the compose workers' config with this test's addresses in its ${VAR}s."""
    env = {
        "ALERTMANAGER_URL": alertmanager,
        "SLACK_WEBHOOK_URL": f"{sink}/slack",
        "OPS_WEBHOOK_URL": f"{sink}/hook",
    }
    return load_config(COMPOSE_CONFIG, env)


class OffsetClock:
    """The wall clock plus an offset the test moves forward (group_wait, group_interval)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def abandon_rate(at: datetime, value: float) -> KpiSnapshot:
    sample = KpiSample("abandon_rate", {"queue": "billing", "window": "15m"}, value, 100)
    return KpiSnapshot(at=at, samples=(sample,))


async def am_alerts(base: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base}/api/v2/alerts", timeout=5)
    response.raise_for_status()
    data: list[dict[str, Any]] = response.json()
    return data


def ours(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return kpiwatch's alerts (Prometheus' carry its external label `stack`)."""
    return [a for a in alerts if "stack" not in a["labels"]]


async def until(probe: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Poll `probe` until it returns a true value, for up to 15 s; return it."""
    deadline = asyncio.get_running_loop().time() + 15.0
    while not (got := await probe()):
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)
    return got


async def test_kpiwatch_pushes_to_the_committed_alertmanager_and_resolves(
    alertmanager: str, sink: tuple[str, list[str]]
) -> None:
    sink_url, posted = sink
    cfg = compose_config(alertmanager, sink_url)
    rule = next(r for r in cfg.rules if r.name == "AbandonRateHigh")
    assert "alertmanager" in rule.receivers
    clock = OffsetClock()
    dead: list[DeadLetter] = []

    async def dead_letter(record: DeadLetter) -> None:
        dead.append(record)

    async with httpx.AsyncClient() as client:
        engine = AlertEngine(cfg.rules, cfg.receivers, cfg.silences, cfg.inhibit_rules,
                             clock=clock, client=client, registry=CollectorRegistry(),
                             dead_letter=dead_letter,
                             external_url="http://kpiwatch-1:8000")  # fmt: skip
        await engine.start()
        try:
            await _fire_and_resolve(engine, clock, rule.for_, alertmanager)
        finally:
            await engine.stop()
    assert dead == [], dead
    assert {"/slack", "/hook"} <= set(posted)  # the other receivers of the rule got it too


async def _fire_and_resolve(
    engine: AlertEngine, clock: OffsetClock, for_: timedelta, am: str
) -> None:
    start = datetime.now(UTC) - for_ - timedelta(minutes=1)
    engine.evaluate(abandon_rate(start, 0.12))  # pending
    engine.evaluate(abandon_rate(start + for_ + timedelta(seconds=1), 0.12))  # firing
    clock.offset += timedelta(seconds=31)  # past the rule's group_wait (30s)

    [alert] = await until(lambda: _ours(am), "kpiwatch's alert never reached Alertmanager")
    labels = {"alertname": "AbandonRateHigh", "queue": "billing", "severity": "critical"}
    assert alert["labels"] == labels
    assert alert["status"]["state"] == "active"
    assert alert["annotations"]["summary"] == "Abandon rate 12% on billing (15m)"
    assert alert["fingerprint"] == fingerprint(labels)
    assert alert["generatorURL"].startswith("http://kpiwatch-1:8000")

    # Prometheus' copy of the same alert is muted while kpiwatch's is active
    copy = _alert("AbandonRateHigh", "critical", window="15m", stack="kpiwatch")
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{am}/api/v2/alerts", json=[copy], timeout=5)
    assert r.status_code == 200, r.text
    (theirs,) = [a for a in await am_alerts(am) if "stack" in a["labels"]]
    assert theirs["status"]["state"] == "suppressed"
    assert theirs["status"]["inhibitedBy"] == [alert["fingerprint"]]

    engine.evaluate(abandon_rate(datetime.now(UTC), 0.01))  # below recovery: resolved
    clock.offset += timedelta(minutes=5, seconds=1)  # past group_interval: resolved is sent
    await until(lambda: _gone(am), "the resolved alert is still active in Alertmanager")
    (theirs,) = await am_alerts(am)
    assert theirs["status"]["state"] == "active"  # kpiwatch's resolved: the copy pages


async def _ours(am: str) -> list[dict[str, Any]]:
    return ours(await am_alerts(am))


async def _gone(am: str) -> bool:
    return not ours(await am_alerts(am))
