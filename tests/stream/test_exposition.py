"""The fast KPI exposition: byte for byte the client library's, promtool-clean, and
rendered with the event loop free."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest

from alerts.snapshot import KpiSample, KpiSnapshot
from stream.exposition import CHUNK, Scraper, render_snapshot, scrape
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


async def test_kpi_text_rendered_once_per_snapshot_self_metrics_current() -> None:
    p, registry = _pipeline(1000, 1)
    for i in range(30):
        _queue(p, f"q{i}", 0)
    p.clock = lambda: 1_800_000_000.0  # one instant: the cached text is comparable
    version = [0]
    scraper = Scraper(p, registry, lambda: version[0], max_age=3600.0)
    first = await scraper.body()
    assert first == await scrape(p, registry)  # byte for byte the uncached body
    p.metrics.views.inc(7)  # a self-metric moves, no view reached the KPIs
    second = await scraper.body()
    assert scraper.renders == 1  # the KPI text was a copy
    assert b"kpiwatch_views_applied_total 37.0" in second  # 30 views + 7
    assert second == await scrape(p, registry)

    _queue(p, "late", 0)
    version[0] += 1  # what the views agent's `kpis_changed` does
    third = await scraper.body()
    assert scraper.renders == 2 and b'queue="late"' in third


async def test_kpi_text_older_than_max_age_is_rendered_again() -> None:
    p, registry = _pipeline(1000, 1)
    _queue(p, "q", 0)
    scraper = Scraper(p, registry, max_age=0.05)
    await scraper.body()
    await scraper.body()
    assert scraper.renders == 1
    await asyncio.sleep(0.06)  # values that move with time alone (longest wait) move on
    await scraper.body()
    assert scraper.renders == 2


async def test_concurrent_scrapes_share_one_render() -> None:
    p, registry = _pipeline(1000, 1)
    for i in range(50):
        _queue(p, f"q{i}", 0)
    scraper = Scraper(p, registry)
    bodies = await asyncio.gather(*(scraper.body() for _ in range(5)))
    assert (
        scraper.renders == 1 and len({b.split(b"# HELP kpiwatch_kpi_time")[1] for b in bodies}) == 1
    )
