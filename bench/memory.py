"""Benchmark: memory per open ticket in the pure core (stage 1 + stage 2, no Kafka).

    python bench/memory.py --tickets 60000

Builds the pipeline as the worker does, feeds it `--tickets` `ticket.created`
events (raw record bytes, batches of 2,000 like the worker) and their views, and
prints the RSS growth or (`--traced`) the tracemalloc growth divided by the open
tickets, the latter split into stage 1 (entity state) and the rest.
Each figure comes from its own fresh process-local pipeline: tracemalloc slows
everything and adds its own bookkeeping, so RSS is measured without it first.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.core import TOPICS, VIEWS_TOPIC, Record, partition_of
from stream.app import build_pipeline
from stream.config.root import load_config

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, 9, tzinfo=UTC)
QUEUES = ("billing", "tech-support", "sales", "refunds")
CHANNELS = ("email", "chat", "web", "phone")
PRIORITIES = ("low", "normal", "high", "urgent")


def created(n: int, partitions: int) -> list[Record]:
    """Return `n` ticket.created records, one ticket each, a second apart."""
    out = []
    for i in range(n):
        at = (START + timedelta(seconds=i)).isoformat()
        value = {
            "event_id": f"ev-{i:08d}",
            "type": "ticket.created",
            "occurred_at": at,
            "ticket_id": f"T-{i:08d}",
            "queue": QUEUES[i % 4],
            "channel": CHANNELS[(i // 4) % 4],
            "priority": PRIORITIES[(i // 16) % 4],
        }
        key = value["ticket_id"].encode()
        out.append(
            Record(TOPICS["tickets"], partition_of(key, partitions), i, key, orjson.dumps(value))
        )
    return out


def rss() -> int:
    """Return this process's resident set size in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def feed(config_path: str, recs: list[Record], traced: bool) -> tuple[int, int]:
    """Feed `recs` through both stages; return (bytes they keep, of which stage 1's).

    Stage 1's share is what dropping its entity stages frees.
    """
    config = load_config(config_path)
    parts = config.kafka.partitions
    pipeline = build_pipeline(config, CollectorRegistry())
    last = START + timedelta(seconds=len(recs))
    pipeline.clock = lambda: last.timestamp()
    gc.collect()
    if traced:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0] if traced else rss()
    n_views = 0
    for i in range(0, len(recs), 2000):
        out = pipeline.process_events("tickets", recs[i : i + 2000])
        views = []
        for v in out.views:
            q = v.queue.encode()
            views.append(Record(VIEWS_TOPIC, partition_of(q, parts), n_views, q, v.encode()))
            n_views += 1
        pipeline.process_views(views)
        del out, views
    gc.collect()
    after = tracemalloc.get_traced_memory()[0] if traced else rss()
    open_now = sum(s.value for s in pipeline.snapshot().samples if s.kpi == "open_tickets")
    if open_now != len(recs):
        sys.exit(f"expected {len(recs)} open tickets, the snapshot says {open_now}")
    pipeline.entity.clear()
    gc.collect()
    without = tracemalloc.get_traced_memory()[0] if traced else rss()
    if traced:
        tracemalloc.stop()
    return after - before, after - without


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=60_000)
    ap.add_argument("--config", default=str(ROOT / "config" / "kpiwatch.yaml"))
    ap.add_argument("--traced", action="store_true", help="tracemalloc instead of RSS")
    args = ap.parse_args()
    config = load_config(args.config)
    recs = created(args.tickets, config.kafka.partitions)
    gc.collect()
    gc.freeze()
    grown, stage1 = feed(args.config, recs, args.traced)
    what = "tracemalloc" if args.traced else "RSS growth"
    n = args.tickets
    print(f"{what}: {grown / n:7,.0f} B per open ticket ({n} open)")
    if args.traced:  # freed memory rarely leaves RSS: split the traced figure only
        print(f"  stage 1: {stage1 / n:7,.0f} B, rest: {(grown - stage1) / n:7,.0f} B")


if __name__ == "__main__":
    main()
