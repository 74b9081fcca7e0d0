"""/metrics: the KPI snapshot rendered as Prometheus text, fast, off the loop, cached.

    body = await Scraper(pipeline, registry, version).body()     # in the /metrics handler

What touches live state runs on the loop, in slices: the KPI samples, queue by queue
with a yield every `CHUNK` queues, and one `registry.collect()` of the small
self-metrics. Turning them into text (most of a scrape's cost) runs in a thread. The
KPI text is written directly (the catalogue's label names are valid by construction),
byte for byte what `generate_latest` gives for `stream.metrics.KpiCollector`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, cast

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.utils import floatToGoString

from alerts.snapshot import KpiSample, KpiSnapshot
from stream.kpis.catalogue import KPIS, KpiKind
from stream.pipeline.batch import Pipeline

_go = cast(Callable[[float], str], floatToGoString)  # Go's float format, as the client's
CHUNK = 10  # queues between two yields to the loop
KPI_MAX_AGE_S = 1.0  # the oldest KPI text a scrape is served when no views arrived
_QUANTILE = {"p50": "0.5", "p90": "0.9"}
_AGENTS = ("kpiwatch_agents", "Agents per queue by current status.", "gauge")
_CLOCK = (
    "kpiwatch_kpi_time_seconds",
    "The instant the KPI values of this scrape are evaluated at (Unix time): the"
    " wall clock when live, the newest event time when replaying history.",
    "gauge",
)


def _esc(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _line(name: str, labels: dict[str, str], value: float) -> str:
    pairs = ",".join(f'{k}="{_esc(labels[k])}"' for k in sorted(labels))
    return f"{name}{{{pairs}}} {_go(value)}\n"


class _Families:
    """Metric families in first-seen order: (help, type) and their sample lines."""

    def __init__(self) -> None:
        self.heads: dict[str, tuple[str, str]] = {}
        self.lines: dict[str, list[str]] = {}

    def get(self, name: str, doc: str, kind: str) -> list[str]:
        lines = self.lines.get(name)
        if lines is None:
            self.heads[name] = (doc, kind)
            lines = self.lines[name] = []
        return lines

    def text(self) -> Iterator[str]:
        for name, (doc, kind) in self.heads.items():
            doc = doc.replace("\\", r"\\").replace("\n", r"\n")
            yield f"# HELP {name} {doc}\n# TYPE {name} {kind}\n"
            yield from self.lines[name]


def render_snapshot(snapshot: KpiSnapshot) -> bytes:
    """Return the Prometheus text of a KPI snapshot (as `KpiCollector` exposes it)."""
    fams = _Families()
    fams.get(*_CLOCK).append(f"{_CLOCK[0]} {_go(snapshot.at.timestamp())}\n")
    for s in snapshot.samples:
        if s.kpi.startswith("agents_"):
            fams.get(*_AGENTS).append(_line(_AGENTS[0], dict(s.labels), s.value or 0.0))
            continue
        d = KPIS.get(s.kpi)
        if d is None:
            continue
        labels = {k: s.labels[k] for k in d.labels}
        if d.kind is KpiKind.SUMMARY:
            lines = fams.get(d.metric, d.help, "summary")
            stat = s.labels.get("stat")
            if stat == "mean" and s.samples is not None:
                total = s.value * s.samples if s.value is not None else 0.0
                lines.append(_line(d.metric + "_sum", labels, total))
                lines.append(_line(d.metric + "_count", labels, float(s.samples)))
            elif stat in _QUANTILE and s.value is not None:
                quantile = {**labels, "quantile": _QUANTILE[stat]}
                lines.append(_line(d.metric, quantile, s.value))
            continue
        if s.value is not None:
            fams.get(d.metric, d.help, "gauge").append(_line(d.metric, labels, s.value))
        if d.samples_metric and s.samples is not None:
            doc = f"Observations behind {d.metric} in the window."
            fams.get(d.samples_metric, doc, "gauge").append(
                _line(d.samples_metric, labels, float(s.samples))
            )
    return "".join(fams.text()).encode()


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
    are small and always current.
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
        self.renders = 0  # KPI renders so far (a test and the benchmark read it)

    async def body(self) -> bytes:
        """Return the self-metrics, rendered now, and the KPI text of the latest snapshot."""
        families: list[Any] = list(self.registry.collect())
        own = await asyncio.to_thread(_self_metrics, families)
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
        text = await asyncio.to_thread(render_snapshot, snapshot)
        # tagged with the version read before: views applied meanwhile make the next
        # scrape render again
        self._kpis = (version, began, text)
        self.renders += 1
        return text

    def _finished(self, task: asyncio.Task[bytes]) -> None:
        self._running = None
