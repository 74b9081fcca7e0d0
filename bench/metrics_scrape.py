"""Benchmark: /metrics size and render time with N queues, and one rule evaluation round.

    python bench/metrics_scrape.py --queues 500 1000

In process, on the real pipeline and registry: every queue gets tickets, calls and a
survey (so each exposes its usual series). Timed (best of 5): the old scrape
(`generate_latest` over `KpiCollector`, all on the loop), the new one
(`stream.exposition.scrape`) and its part on the loop, a scrape when no view arrived since
the last one (`Scraper.body`: the KPI text is a copy, the self-metrics rendered), and the
snapshot an alert round reads: every KPI (before) and only one rule's KPI (after). Then
the CPU time of rendering the KPI text (best of 5, a new snapshot each time): by a new
`Renderer` (before: every label set escaped from scratch) and by one kept across renders
(after: only the values formatted), and the series texts it keeps. The synthetic queues
repeat a handful of values, which a render formats once each: the `dv` columns render
the same snapshots with every value distinct (the worst case for that).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, generate_latest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.snapshot import KpiSnapshot
from stream.app import build_pipeline
from stream.config.root import Config
from stream.exposition import Scraper, kpi_snapshot, scrape
from stream.kpis.catalogue import Selection
from stream.metrics import KpiCollector
from stream.pipeline.batch import Record
from stream.render import Renderer

ONE_RULE = Selection.of(["abandon_rate"], ["15m"])
START = datetime.now(UTC) - timedelta(minutes=30)


def _events(q: int) -> dict[str, list[dict[str, Any]]]:
    def at(s: float) -> str:
        return (START + timedelta(seconds=s)).isoformat()

    queue, t, c = f"queue-{q:05d}", f"t{q}", f"c{q}"
    tk = {"ticket_id": t}
    cl = {"call_id": c}
    return {
        "tickets": [
            {"event_id": f"{t}-1", "type": "ticket.created", "occurred_at": at(0), **tk,
             "queue": queue, "channel": "email", "priority": "high"},
            {"event_id": f"{t}-2", "type": "ticket.replied", "occurred_at": at(60), **tk,
             "author": "agent"},
            {"event_id": f"{t}-3", "type": "ticket.status_changed", "occurred_at": at(90),
             **tk, "status": "solved"},
            {"event_id": f"{t}-4", "type": "survey.responded", "occurred_at": at(99), **tk,
             "survey": "csat", "score": 5},
        ],
        "calls": [
            {"event_id": f"{c}-1", "type": "call.queued", "occurred_at": at(0), **cl,
             "queue": queue},
            {"event_id": f"{c}-2", "type": "call.answered", "occurred_at": at(9), **cl,
             "agent_id": "a1"},
            {"event_id": f"{c}-3", "type": "call.ended", "occurred_at": at(99), **cl},
        ],
    }  # fmt: skip


def load(n: int, config: Config) -> tuple[Any, CollectorRegistry, int]:
    """Return a pipeline holding `n` queues, its registry, and the views refused."""
    registry = CollectorRegistry()
    pipeline = build_pipeline(config, registry)
    parts = config.kafka.partitions
    offset = 0
    dead = 0
    for q in range(n):
        for stream, events in _events(q).items():
            recs = []
            for ev in events:
                key = ev.get("ticket_id") or ev.get("call_id")
                offset += 1
                recs.append(Record(stream, 0, offset, key.encode(), orjson.dumps(ev)))
            out = pipeline.process_events(stream, recs)
            views = [
                Record("views", zlib.crc32(v.queue.encode()) % parts, 0, None, v.encode())
                for v in out.views
            ]
            dead += len(pipeline.process_views(views).dead_letters)
    return pipeline, registry, dead


def best(fn: Callable[[], object], rounds: int = 5) -> float:
    """Return the best wall time of `rounds` calls, in seconds."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


async def _cached(pipeline: Any, registry: CollectorRegistry, rounds: int = 5) -> float:
    """Return the best time of a scrape whose KPI text is cached (one render before)."""
    scraper = Scraper(pipeline, registry, max_age=3600.0)
    await scraper.body()
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        await scraper.body()
        times.append(time.perf_counter() - began)
    assert scraper.renders == 1
    return min(times)


def cpu_ms(render: Callable[[KpiSnapshot], bytes], snapshot: KpiSnapshot) -> float:
    """Return the CPU time of `render(snapshot)`, in milliseconds."""
    began = time.thread_time()
    render(snapshot)
    return (time.thread_time() - began) * 1000


def renders(snapshots: list[KpiSnapshot]) -> tuple[float, float, int]:
    """Return the CPU ms of a KPI render, new Renderer and kept one, and what it keeps."""
    kept = Renderer()
    kept.snapshot(snapshots[0])  # the first render after a start escapes every label set
    before, after = [], []
    for snapshot in snapshots[1:]:  # interleaved: both see the same load on the machine
        before.append(cpu_ms(lambda s: Renderer().snapshot(s), snapshot))
        after.append(cpu_ms(kept.snapshot, snapshot))
    return min(before), min(after), kept.kept()


def distinct(snapshot: KpiSnapshot, seed: int) -> KpiSnapshot:
    """Return `snapshot` with every value and sample count (nearly surely) distinct."""
    rng = random.Random(seed)
    samples = tuple(
        replace(
            s,
            value=None if s.value is None else rng.uniform(0.0, 1000.0),
            samples=None if s.samples is None else rng.randrange(1, 10**9),
        )
        for s in snapshot
    )
    return KpiSnapshot(snapshot.at, samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queues", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--max-queues", type=int, default=500)
    args = parser.parse_args()
    head = (
        "queues",
        "refused",
        "exposed",
        "MB",
        "old s",
        "new s",
        "loop s",
        "cached s",
        "all kpis s",
        "rule s",
        "new r ms",
        "kept r ms",
        "new dv ms",
        "kept dv ms",
        "kept",
    )
    print(" ".join(f"{h:>10}" for h in head))
    for n in args.queues:
        config = Config.model_validate({"limits": {"max_queues": args.max_queues}})
        pipeline, registry, refused = load(n, config)
        body = asyncio.run(scrape(pipeline, registry))
        exposed = len({line.split('queue="')[1].split('"')[0]
                       for line in body.decode().splitlines() if 'queue="' in line})  # fmt: skip
        old = CollectorRegistry()
        old.register(KpiCollector(pipeline.snapshot))
        cached = asyncio.run(_cached(pipeline, registry))
        figures = (
            best(lambda old=old: generate_latest(old)),  # before: one pass on the loop
            best(lambda p=pipeline, r=registry: asyncio.run(scrape(p, r))),
            best(lambda p=pipeline: asyncio.run(kpi_snapshot(p))),  # the part on the loop
            cached,  # nothing changed since the last scrape: a copy and the self-metrics
            best(pipeline.snapshot),  # what every alert round read before
            best(lambda p=pipeline: p.snapshot(ONE_RULE)),  # one rule's KPI and window
        )
        snapshots = [asyncio.run(kpi_snapshot(pipeline)) for _ in range(6)]
        before, after, kept = renders(snapshots)
        before_dv, after_dv, _ = renders([distinct(s, i) for i, s in enumerate(snapshots)])
        row = (
            n,
            refused,
            exposed,
            f"{len(body) / 1e6:.2f}",
            *(f"{f:.3f}" for f in figures),
            *(f"{f:.1f}" for f in (before, after, before_dv, after_dv)),
            kept,
        )
        print(" ".join(f"{v:>10}" for v in row))


if __name__ == "__main__":
    main()
