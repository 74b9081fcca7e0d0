"""Benchmark: raw Kafka ceiling vs kpiwatch pipeline throughput, and event→metric latency.

    python bench/throughput.py --events 100000
    python bench/throughput.py --events 100000 --profile /tmp/worker.prof  # + cProfile of (b)

Starts the embedded broker, produces synthetic traffic, and prints one table:
(a) aiokafka getmany + orjson.loads, no processing (the ceiling),
(b) one kpiwatch worker process, all stages, from ready to fully caught up,
(c) event→metric latency: produce one event, poll /metrics until it shows,
(d) while `--steady-rate` events/s arrive for `--steady-seconds`: event→metric and
    breach→webhook latency p50/p99 (bench/steady.py; 0 s skips it),
(e) the worker's RSS growth per open ticket, `--open` tickets created (0 skips it).

`--profile FILE` runs the worker under cProfile (KPIWATCH_PROFILE, stream/kafka/profiling.py),
saves the stats of (b) (start to caught up, plus one dump interval) in FILE and prints the
top functions; the profiler slows the worker, so (b) is then not a throughput figure.
"""

from __future__ import annotations

import argparse
import asyncio
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import steady  # bench/steady.py

from stream import native
from stream.dev.broker import EmbeddedBroker
from stream.dev.traffic import TrafficModel
from stream.kafka.profiling import DUMP_EVERY, ENV
from tests.support.worker import Topics, WorkerProcess, new_port, sample, write_config


def traffic(n: int) -> list[tuple[str, bytes, bytes]]:
    """Return n synthetic (stream, key, value) records."""
    start = datetime.now(UTC) - timedelta(days=2)
    model = TrafficModel(seed=11, start=start, rate=20.0)
    out: list[tuple[str, bytes, bytes]] = []
    t = start
    while len(out) < n:
        t += timedelta(minutes=10)
        out += [(r.stream, r.key.encode(), orjson.dumps(r.value)) for r in model.events_until(t)]
    return out[:n]


async def produce(
    bootstrap: str, topics: dict[str, str], recs: list[tuple[str, bytes, bytes]]
) -> None:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1 << 20)
    await p.start()
    try:
        futs = [await p.send(topics[s], v, key=k) for s, k, v in recs]
        await asyncio.gather(*futs)
    finally:
        await p.stop()


async def ceiling(bootstrap: str, topics: list[str], n: int) -> float:
    c = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
        max_poll_records=10000,
    )
    await c.start()
    seen, began = 0, time.perf_counter()
    try:
        while seen < n:
            for msgs in (await c.getmany(timeout_ms=1000, max_records=10000)).values():
                for m in msgs:
                    orjson.loads(m.value)
                seen += len(msgs)
    finally:
        await c.stop()
    return n / (time.perf_counter() - began)


async def wait_committed(bootstrap: str, group: str, topics: list[str], n: int) -> None:
    """Return once the worker's group has committed `n` source records (stage 1 done).

    Asks the broker, not the worker: scraping /metrics every half second cost the
    worker a KPI snapshot each time. Offsets are committed every second, so this ends
    up to a second late (the rate is understated by at most that).
    """
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await c.start()
    try:
        await c.topics()  # metadata, for partitions_for_topic
        tps = [TopicPartition(t, p) for t in topics for p in c.partitions_for_topic(t) or ()]
        while True:
            if sum([await c.committed(tp) or 0 for tp in tps]) >= n:
                return
            await asyncio.sleep(0.1)
    finally:
        await c.stop()


def progress(text: str) -> tuple[float, float]:
    """Return (events taken in, views-topic records not yet committed)."""
    from prometheus_client.parser import text_string_to_metric_families

    taken = lag = 0.0
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name in (
                "kpiwatch_events_accepted_total",
                "kpiwatch_events_duplicate_total",
                "kpiwatch_events_rejected_total",
            ):
                taken += s.value
            elif s.name == "kpiwatch_consumer_lag_records" and s.labels["topic"].endswith("-views"):
                lag += s.value
    return taken, lag


def run_variant(
    broker: EmbeddedBroker,
    tmp: Path,
    recs: list[tuple[str, bytes, bytes]],
    n_latency: int,
    profile: Path | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[float, list[float], float, float]:
    """Return (events/s, latencies, seconds to ready, seconds to ready after SIGKILL)."""
    topics = Topics()
    asyncio.run(produce(broker.bootstrap, topics.names, recs))
    port = new_port()
    cfg = write_config(tmp / f"bench-{topics.tag}.yaml", broker.bootstrap, topics, port, 4, extra)
    env = {ENV: str(tmp / "worker.prof")} if profile else None
    log = tmp / f"worker-{topics.tag}.log"
    w = WorkerProcess(cfg, tmp / f"data-{topics.tag}", log, port, env)
    began = time.perf_counter()
    w.start()
    ready = time.perf_counter() - began
    t0 = time.perf_counter()
    try:
        sources = [topics.names[s] for s in ("tickets", "calls", "agents")]
        asyncio.run(wait_committed(broker.bootstrap, topics.client_id, sources, len(recs)))
        while True:  # every event in, and stage 2 caught up on the views topic
            taken, lag = progress(httpx.get(f"{w.url}/metrics", timeout=60).text)
            if taken >= len(recs) and lag == 0:
                break
            time.sleep(0.2)
        rate = len(recs) / (time.perf_counter() - t0)
        if profile:
            time.sleep(DUMP_EVERY + 1)
            shutil.copy(tmp / "worker.prof", profile)
        lat = latency(broker.bootstrap, topics.names["calls"], w, n_latency)
        w.kill()  # SIGKILL, then the same worker again: group rejoin + state recovery
        began = time.perf_counter()
        w.start(timeout=900)  # a full changelog replay takes minutes on a loaded machine
        restart = time.perf_counter() - began
    finally:
        w.kill()
    return rate, lat, ready, restart


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--latency-samples", type=int, default=50)
    ap.add_argument("--profile", type=Path, help="save a cProfile of the worker in (b) here")
    ap.add_argument(
        "--no-checkpoints", action="store_true", help="worker.checkpoints off (full replay)"
    )
    ap.add_argument("--steady-rate", type=float, default=5000.0, help="(d) events/s")
    ap.add_argument("--steady-seconds", type=float, default=300.0, help="(d) length; 0: skip")
    ap.add_argument("--open", type=int, default=60_000, help="(e) open tickets; 0: skip")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kpiwatch-bench-"))
    recs = traffic(args.events)
    rows = []
    with EmbeddedBroker(port=0, log_path=tmp / "broker.log") as broker:
        topics = Topics()
        asyncio.run(produce(broker.bootstrap, topics.names, recs))
        names = [topics.names[s] for s in ("tickets", "calls", "agents")]
        raw = asyncio.run(ceiling(broker.bootstrap, names, len(recs)))
        extra = {"worker": {"checkpoints": False}} if args.no_checkpoints else None
        label = "no checkpoints" if args.no_checkpoints else "one consume path"
        variant = run_variant(broker, tmp, recs, args.latency_samples, args.profile, extra)
        rows.append((label, *variant))
        load = (
            steady.steady(broker, tmp, args.steady_rate, args.steady_seconds)
            if args.steady_seconds
            else None
        )
        per_ticket = steady.memory(broker, tmp, args.open) if args.open else None
    print(
        f"\nkpiwatch bench — {len(recs)} events, 1 worker process, Tansu on loopback,"
        f" core {native.status()}\n"
    )
    print("| measure | value |\n|---|---|")
    print(f"| (a) ceiling: aiokafka getmany + orjson.loads | {raw:,.0f} events/s |")
    for label, rate, lat, ready, restart in rows:
        q = statistics.quantiles(lat, n=100)
        print(f"| (b) full pipeline, both stages caught up — {label} | {rate:,.0f} events/s |")
        print(
            f"| (c) event→metric latency p50 / p99 — {label} "
            f"| {q[49] * 1000:.0f} ms / {q[98] * 1000:.0f} ms |"
        )
        print(f"| worker start → ready (fresh group) — {label} | {ready:.1f} s |")
        print(f"| SIGKILL → restarted worker ready (state recovered) — {label} | {restart:.1f} s |")
    if load is not None:
        what = f"{args.steady_rate:,.0f} events/s for {args.steady_seconds:g} s"
        print(
            f"| (d) steady {what}: sent / taken in | {load['sent'] / args.steady_seconds:,.0f} / "
            f"{load['taken'] / load['seconds']:,.0f} events/s, worker CPU "
            f"{load['cpu'] / max(load['taken'], 1) * 1e6:.0f} µs/event |"
        )
        print(
            f"| (d) event→metric p50 / p99 under that load | {steady.quantiles(load['metric'])} |"
        )
        print(
            f"| (d) breach→webhook p50 / p99 under that load | {steady.quantiles(load['hook'])}"
            f" ({load['missed_hooks']} probes not notified in 30 s) |"
        )
    if per_ticket is not None:
        print(
            f"| (e) worker RSS growth per open ticket ({args.open:,} ticket.created) "
            f"| {per_ticket:,.0f} B |"
        )
    if args.profile:
        print(f"\ncProfile of the worker in (b), in {args.profile} (slowed by the profiler)\n")
        stats = pstats.Stats(str(args.profile))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)


def latency(bootstrap: str, topic: str, w: WorkerProcess, n: int) -> list[float]:
    async def run() -> list[float]:
        p = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await p.start()
        out = []
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                for i in range(n):
                    q = f"lat{i}"
                    key, value = steady.queued_call(q)
                    began = time.perf_counter()
                    await p.send_and_wait(topic, value, key=key)
                    while True:
                        text = (await client.get(f"{w.url}/metrics")).text
                        if sample(text, "kpiwatch_calls_waiting", queue=q) == 1.0:
                            break
                        await asyncio.sleep(0.005)
                    out.append(time.perf_counter() - began)
        finally:
            await p.stop()
        return out

    return asyncio.run(run())


if __name__ == "__main__":
    main()
