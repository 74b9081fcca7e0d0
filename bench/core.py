"""Benchmark: the pure pipeline core in-process (both stages, no Kafka).

    python bench/core.py --events 50000

Builds the pipeline as the worker does (`build_pipeline` from a config), feeds
it synthetic traffic as raw record bytes in batches like the worker's agents
(per source topic, then the views they produced, as bytes keyed by queue), and
prints events/s for stage 1, stage 2 and both (best of `--runs`; CPU time of
this process, so a busy shared machine skews the figures less). A checksum
of everything the core produced (views, changelog state, counters, the final
KPI snapshot) lets a change be checked for identical behaviour; `--kpi-checksum`
hashes only the counters and the KPI snapshot, so it survives a change of the
view or changelog encoding.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import hashlib
import pstats
import random
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream import native
from stream.app import build_pipeline
from stream.config.root import Config, load_config
from stream.dev.traffic import TrafficModel
from stream.pipeline.batch import Output, Pipeline, Record

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday morning: business hours run
TOPICS = {"tickets": "support.tickets", "calls": "support.calls", "agents": "support.agents"}
VIEWS_TOPIC = "kpiwatch-views"


def partition_of(key: bytes, partitions: int) -> int:
    """Return a stable partition for `key` (any hash will do in-process)."""
    return zlib.crc32(key) % partitions


def traffic(n: int, rate: float, dup: float, partitions: int) -> list[tuple[str, Record]]:
    """Return n (stream, record) pairs in time order, `dup` of them redelivered."""
    model = TrafficModel(seed=11, start=START, rate=rate)
    rng, offsets = random.Random(5), dict.fromkeys(TOPICS, 0)
    out: list[tuple[str, Record]] = []
    t = START
    while len(out) < n:
        t += timedelta(minutes=10)
        for r in model.events_until(t):
            key, value = r.key.encode(), orjson.dumps(r.value)
            copies = 2 if rng.random() < dup else 1
            for _ in range(copies):  # at-least-once delivery: the same record again
                offsets[r.stream] += 1
                part = partition_of(key, partitions)
                rec = Record(TOPICS[r.stream], part, offsets[r.stream], key, value)
                out.append((r.stream, rec))
    return out[:n]


def batches(recs: list[tuple[str, Record]], size: int) -> list[dict[str, list[Record]]]:
    """Split the traffic into slices of `size`, each grouped per source stream."""
    out = []
    for i in range(0, len(recs), size):
        per: dict[str, list[Record]] = {}
        for stream, rec in recs[i : i + size]:
            per.setdefault(stream, []).append(rec)
        out.append(per)
    return out


def newest(per: dict[str, list[Record]]) -> float:
    """Return the newest event time of a slice (the worker's clock when live)."""
    stamps = (orjson.loads(r.value or b"{}")["occurred_at"] for rs in per.values() for r in rs)
    return max(datetime.fromisoformat(at).timestamp() for at in stamps)


class Digest:
    """What the core produced, hashed; the final changelog state kept as a dict."""

    def __init__(self, kpi_only: bool = False) -> None:
        self.kpi_only = kpi_only  # hash the counters and the KPI snapshot only
        self.h = hashlib.sha256()
        self.state: dict[tuple[str, int, str], bytes | None] = {}

    def output(self, table: str, out: Output) -> None:
        if self.kpi_only:
            return
        for v in out.views:
            self.h.update(v.encode())
        for d in out.dead_letters:
            self.h.update(repr((d.key, d.value, d.headers[0])).encode())
        for p, k, value in sorted(out.state, key=lambda s: (s[0], s[1])):
            self.h.update(repr((table, p, k, value)).encode())
            self.state[(table, p, k)] = value

    def final(self, pipeline: Pipeline) -> str:
        if not self.kpi_only:
            self.h.update(repr(sorted(self.state.items())).encode())
        m = pipeline.metrics  # the counters; the lag histogram depends on the clock
        for metric in (m.accepted, m.duplicate, m.rejected, m.late, m.views, m.state_writes):
            for fam in metric.collect():
                rows = sorted(
                    repr((s.name, sorted(s.labels.items()), s.value)) for s in fam.samples
                )
                self.h.update("\n".join(rows).encode())
        samples = pipeline.snapshot().samples
        rows = sorted(repr((s.kpi, sorted(s.labels.items()), s.value, s.samples)) for s in samples)
        self.h.update("\n".join(rows).encode())
        return self.h.hexdigest()[:16]


def replay(
    config: Config, slices: list[dict[str, list[Record]]], kpi_only: bool = False
) -> tuple[float, float, int, str]:
    """Replay the traffic once; return (stage 1 s, stage 2 s, views, checksum)."""
    pipeline = build_pipeline(config, CollectorRegistry())
    parts, digest = config.kafka.partitions, Digest(kpi_only)
    t1 = t2 = 0.0
    n_views = 0
    for per in slices:
        # live: the wall clock ~1 s after the slice's newest event
        pipeline.clock = functools.partial(float, newest(per) + 1.0)
        began = time.process_time()
        outs = [(s, pipeline.process_events(s, recs)) for s, recs in per.items()]
        sent = [(v.queue.encode(), v.encode()) for _, out in outs for v in out.views]
        t1 += time.process_time() - began  # decode … derive, and encode as Worker._write does
        views = []
        for q, raw in sent:  # the views topic, keyed by queue
            views.append(Record(VIEWS_TOPIC, partition_of(q, parts), n_views, q, raw))
            n_views += 1
        began = time.process_time()
        qout = pipeline.process_views(views)
        t2 += time.process_time() - began
        for s, out in outs:
            digest.output(s, out)
        digest.output("queues", qout)
    top = max((q.watermark for q in pipeline.queues.queues()), default=0.0)
    pipeline.clock = lambda: top + 60.0  # a fixed "now" for the snapshot
    return t1, t2, n_views, digest.final(pipeline)


def report(n: int, best: tuple[float, float, int, str]) -> None:
    """Print the rates of one (best) run."""
    t1, t2, n_views, checksum = best
    print(f"stage 1: {n / t1:9,.0f} events/s  {t1 / n * 1e6:6.1f} µs/event")
    print(f"stage 2: {n_views / t2:9,.0f} views/s   {t2 / n * 1e6:6.1f} µs/event")
    print(f"both:    {n / (t1 + t2):9,.0f} events/s  {(t1 + t2) / n * 1e6:6.1f} µs/event")
    print(f"checksum: {checksum}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=2000, help="records per slice of traffic")
    ap.add_argument("--rate", type=float, default=20.0, help="new contacts per second")
    ap.add_argument("--dup", type=float, default=0.02, help="share of records redelivered")
    ap.add_argument("--config", default=str(ROOT / "config" / "kpiwatch.yaml"))
    ap.add_argument("--profile", metavar="FILE", help="cProfile one run into FILE")
    ap.add_argument(
        "--kpi-checksum", action="store_true", help="checksum the counters and KPIs only"
    )
    args = ap.parse_args()
    config = load_config(args.config)
    recs = traffic(args.events, args.rate, args.dup, config.kafka.partitions)
    slices = batches(recs, args.batch)
    # The worker never holds its whole input: keep these records out of every GC pass.
    gc.collect()
    gc.freeze()
    if args.profile:
        cProfile.runctx("replay(config, slices)", globals(), locals(), args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
        return
    runs = [replay(config, slices, args.kpi_checksum) for _ in range(args.runs)]
    if len({r[3] for r in runs}) != 1:
        sys.exit(f"runs disagree: {[r[3] for r in runs]}")
    print(
        f"kpiwatch core — {len(recs)} events, {len(slices)} slices, best of {len(runs)}"
        f" (core {native.status()}; KPIWATCH_PURE=1 runs the sources)"
    )
    report(len(recs), min(runs, key=lambda r: r[0] + r[1]))


if __name__ == "__main__":
    main()
