"""The fast KPI exposition: byte for byte the client library's, promtool-clean, and
rendered with the event loop free."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest

from alerts.snapshot import KpiSample, KpiSnapshot
from stream.exposition import CHUNK, render_snapshot, scrape
from stream.metrics import KpiCollector
from tests.deploy.tools import require
from tests.stream.kpis.harness import Harness, agent, call, ticket
from tests.stream.pipeline.test_queue_limit import _pipeline, _queue


def _busy_day() -> list[KpiSample]:
    h = Harness()
    h.send(
        ticket("t", "ticket.created", 0, queue='we"ird\\q', channel="email", priority="normal"),
        ticket("t", "ticket.replied", 100, author="agent"),
        ticket("t", "ticket.status_changed", 200, status="solved"),
        ticket("u", "ticket.created", 10, queue="billing", channel="chat", priority="urgent"),
        call("c", "call.queued", 0, queue="billing"),
        call("c", "call.answered", 12, agent_id="a"),
        call("d", "call.queued", 30, queue="billing"),
        agent("a", "busy", 5, ["billing"]),
    )
    samples = h.samples(1100)
    samples.append(KpiSample("not_a_kpi", {"queue": "x"}, 1.0))  # skipped by both
    return samples


def test_render_is_what_the_collector_gives() -> None:
    samples = _busy_day()
    registry = CollectorRegistry()
    snapshot = KpiSnapshot(datetime.now(UTC), tuple(samples))
    registry.register(KpiCollector(lambda: snapshot))
    assert render_snapshot(snapshot) == generate_latest(registry)
    assert b'queue="we\\"ird\\\\q"' in render_snapshot(snapshot)


def test_render_passes_promtool() -> None:
    promtool = require("promtool", apt="prometheus")
    done = subprocess.run(
        [promtool, "check", "metrics"],
        input=render_snapshot(KpiSnapshot(datetime.now(UTC), tuple(_busy_day()))),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def test_a_scrape_leaves_the_loop_free() -> None:
    p, registry = _pipeline(1000, 1)
    for i in range(150):
        _queue(p, f"q{i}", 0)
    gaps: list[float] = []
    loop = asyncio.get_running_loop()

    async def ticker() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0)
            gaps.append(loop.time() - last)
            last = loop.time()

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    body = await scrape(p, registry)
    task.cancel()
    assert body.count(b'queue="q1"') > 50  # every queue is there...
    assert b"kpiwatch_events_accepted_total" in body  # ...and the self-metrics
    assert len(gaps) >= 150 // CHUNK  # the loop ran between slices and during rendering
