"""/metrics: the KPI snapshot rendered as Prometheus text, fast, off the loop, cached.

    body = await Scraper(pipeline, registry, version).body()     # in the /metrics handler

What touches live state runs on the loop, in slices: the KPI samples, queue by queue
with a yield every `CHUNK` queues, and one `registry.collect()` of the small
self-metrics. Turning them into text (most of a scrape's cost) runs in a thread, by a
`Renderer` that keeps each series' escaped `name{labels}` text from one render to the
next: byte for byte what `generate_latest` gives (for the KPIs, over
`stream.metrics.KpiCollector`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.utils import floatToGoString

from alerts.snapshot import KpiSample, KpiSnapshot
from stream.pipeline.batch import Pipeline
from stream.render import Renderer, render_snapshot

_go = cast(Callable[[float], str], floatToGoString)  # Go's float format, as the client's
CHUNK = 10  # queues between two yields to the loop
KPI_MAX_AGE_S = 1.0  # the oldest KPI text a scrape is served when no views arrived


async def kpi_snapshot(pipeline: Pipeline) -> KpiSnapshot:
    """Return `pipeline.snapshot()`, yielding to the loop every `CHUNK` queues."""
    queues = list(pipeline.queues.queues())
    at = datetime.fromtimestamp(pipeline.clock(), UTC)
    wall = at.timestamp()  # one instant for every queue, as in `Pipeline.snapshot`
    newest = pipeline.newest()
    replay = pipeline.replaying(wall, newest)
    out: list[KpiSample] = []
    for i, q in enumerate(queues, 1):
        out.extend(q.samples(q.watermark if replay else wall))
        if i % CHUNK == 0:
            await asyncio.sleep(0)
    return KpiSnapshot(datetime.fromtimestamp(newest, UTC) if replay else at, tuple(out))


class _Collected:
    """Metric families already collected, for `generate_latest` in another thread."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def _self_metrics(families: list[Metric]) -> bytes:
    return generate_latest(_Collected(families))


async def scrape(pipeline: Pipeline, registry: CollectorRegistry) -> bytes:
    """Return the /metrics body: live state read on the loop, text rendered in a thread."""
    # nothing kept between calls: the client's own text for the self-metrics, a fresh
    # Renderer for the KPIs (what a `Scraper` body is compared with)
    snapshot = await kpi_snapshot(pipeline)
    families: list[Any] = list(registry.collect())
    return await asyncio.to_thread(_render, families, snapshot)


def _render(families: list[Metric], snapshot: KpiSnapshot) -> bytes:
    return _self_metrics(families) + render_snapshot(snapshot)


class Scraper:
    """The /metrics body, its KPI part rendered once per KPI snapshot and cached.

    scraper = Scraper(pipeline, registry, version=lambda: kpi_changes)
    body = await scraper.body()

    The KPI text is reused while `version()` (bumped by every batch of views and every
    rebuild) is unchanged and it is less than `max_age` seconds old (values that move
    with time alone, the longest wait, rolling windows, `kpiwatch_kpi_time_seconds`, are
    then at most that old); otherwise it is rendered again, off the loop, and scrapes
    that arrive meanwhile share that render. The self-metrics (counters, lag, broker)
    are small and always current. Both are written by one `Renderer`, kept across
    scrapes: a render escapes only the label sets the previous one did not have.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        registry: CollectorRegistry,
        version: Callable[[], int] = lambda: 0,
        max_age: float = KPI_MAX_AGE_S,
    ) -> None:
        self.pipeline, self.registry = pipeline, registry
        self.version, self.max_age = version, max_age
        self._kpis: tuple[int, float, bytes] | None = None  # version, rendered at, text
        self._running: asyncio.Task[bytes] | None = None
        self._renderer = Renderer()
        self.renders = 0  # KPI renders so far (a test and the benchmark read it)

    async def body(self) -> bytes:
        """Return the self-metrics, rendered now, and the KPI text of the latest snapshot."""
        families: list[Any] = list(self.registry.collect())
        own = await asyncio.to_thread(self._renderer.families, families)
        return own + await self._kpi_text()

    async def _kpi_text(self) -> bytes:
        now, cached = asyncio.get_running_loop().time(), self._kpis
        if cached is not None and cached[0] == self.version() and now - cached[1] < self.max_age:
            return cached[2]
        if self._running is None:
            self._running = asyncio.ensure_future(self._render_kpis())
            self._running.add_done_callback(self._finished)
        return await asyncio.shield(self._running)

    async def _render_kpis(self) -> bytes:
        version, began = self.version(), asyncio.get_running_loop().time()
        snapshot = await kpi_snapshot(self.pipeline)
        text = await asyncio.to_thread(self._renderer.snapshot, snapshot)
        # tagged with the version read before: views applied meanwhile make the next
        # scrape render again
        self._kpis = (version, began, text)
        self.renders += 1
        return text

    def _finished(self, task: asyncio.Task[bytes]) -> None:
        self._running = None
