"""Rows (d) and (e) of bench/throughput.py: latency under steady load, memory per open ticket.

(d) `steady(...)`: a child process (`python bench/steady.py produce …`) sends the
demo's traffic model at a fixed `rate` events/s for `seconds`, stamped as sent;
meanwhile, every `probe_every` s, this process queues one call in a probe queue of its
own and times (1) until `/metrics` shows it waiting (event→metric; polled every 100 ms:
a scrape while views arrive renders a fresh KPI snapshot, so polling faster loads the
worker it measures) and (2) until the webhook of a rule `calls_waiting >= 1` (for 0s,
group_wait 0s) on the probe queues receives its firing alert (breach→webhook). Prints
p50/p99 of both, the rate the worker took in, and its CPU per event. Alone:
`python bench/steady.py --rate 5000 --seconds 60`.

(e) `memory(...)`: a worker on empty topics, ready; its RSS; then `n` distinct
`ticket.created` (open tickets, now), consumed; its RSS again: growth ÷ n.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import restart  # bench/restart.py: its ticket records and producer
from alert_latency import Sink  # bench/alert_latency.py: a webhook that stamps arrivals

from stream import native
from stream.dev.broker import EmbeddedBroker
from stream.dev.traffic import TrafficModel
from tests.support.worker import Topics, WorkerProcess, new_port, sample, write_config


def queued_call(queue: str) -> tuple[bytes, bytes]:
    """Return (key, value) of a call queued now, alone in `queue` (a latency probe)."""
    cid = f"{queue}-call"
    ev = {
        "event_id": f"{queue}-queued",
        "type": "call.queued",
        "call_id": cid,
        "queue": queue,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    return cid.encode(), orjson.dumps(ev)


def probe_rule(url: str) -> dict[str, Any]:
    return {
        "receivers": [{"name": "sink", "type": "webhook", "url": url}],
        "rules": [
            {
                "name": "ProbeWaiting",
                "kpi": "calls_waiting",
                "match": {"queue": "probe-.*"},
                "op": ">=",
                "threshold": 1,
                "for": "0s",
                "receivers": ["sink"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            }
        ],
    }


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime, stime in clock ticks


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def taken_in(text: str) -> float:
    total = 0.0
    for name in ("accepted", "duplicate", "rejected"):
        for line in text.splitlines():
            if line.startswith(f"kpiwatch_events_{name}_total{{"):
                total += float(line.rsplit(" ", 1)[1])
    return total


def steady(
    broker: EmbeddedBroker, tmp: Path, rate: float, seconds: float, probe_every: float = 1.0
) -> dict[str, Any]:
    """Row (d): latencies while `rate` events/s arrive for `seconds`."""
    topics, sink, port = Topics(), Sink(), new_port()
    cfg = write_config(
        tmp / f"steady-{topics.tag}.yaml", broker.bootstrap, topics, port, 4, probe_rule(sink.url)
    )
    w = WorkerProcess(cfg, tmp / f"data-{topics.tag}", tmp / f"steady-{topics.tag}.log", port)
    w.start()
    assert w.proc is not None
    argv = [sys.executable, __file__, "produce", broker.bootstrap, json.dumps(topics.names)]
    child = subprocess.Popen([*argv, str(rate), str(seconds)], stdout=subprocess.PIPE)
    try:
        cpu0, t0 = cpu_seconds(w.proc.pid), time.perf_counter()
        metric, produced = asyncio.run(probes(broker.bootstrap, topics.names["calls"], w, seconds))
        sent = float((child.communicate(timeout=seconds + 120)[0] or b"0").split()[-1])
        took = time.perf_counter() - t0
        taken = taken_in(httpx.get(f"{w.url}/metrics", timeout=60).text)
        cpu = cpu_seconds(w.proc.pid) - cpu0
        deadline = time.time() + 30
        firing = sink.arrivals  # (status, queue) → first arrival
        while sum(("firing", q) in firing for q in produced) < len(produced):
            if time.time() > deadline:
                break
            time.sleep(0.1)
        hook = [firing[("firing", q)] - at for q, at in produced.items() if ("firing", q) in firing]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        w.kill()
        sink.server.shutdown()
    return {
        "sent": sent,
        "taken": taken,
        "seconds": took,
        "cpu": cpu,
        "metric": metric,
        "hook": hook,
        "missed_hooks": len(produced) - len(hook),
    }


async def probes(
    bootstrap: str, topic: str, w: WorkerProcess, seconds: float
) -> tuple[list[float], dict[str, float]]:
    """Queue one probe call a second; return event→metric latencies and produce times."""
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await p.start()
    metric: list[float] = []
    produced: dict[str, float] = {}
    end = time.time() + seconds
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            i = 0
            while time.time() < end:
                began = time.time()
                q = f"probe-{i}"
                key, value = queued_call(q)
                await p.send_and_wait(topic, value, key=key)
                produced[q] = began
                while time.time() < began + 30:
                    text = (await client.get(f"{w.url}/metrics")).text
                    if sample(text, "kpiwatch_calls_waiting", queue=q) == 1.0:
                        metric.append(time.time() - began)
                        break
                    await asyncio.sleep(0.1)
                i += 1
                await asyncio.sleep(max(0.0, began + 1.0 - time.time()))
    finally:
        await p.stop()
    return metric, produced


def produce(bootstrap: str, names: dict[str, str], rate: float, seconds: float) -> None:
    """Send `rate` events/s for `seconds`, stamped now; print how many were sent.

    The events are the traffic model's (20 contacts/s of model time, in its order), sent
    at a fixed pace every 10 ms with `occurred_at` set to the moment each is sent: a
    steady real-time stream whatever the model's own rhythm.
    """
    model = TrafficModel(seed=3, start=datetime.now(UTC) - timedelta(days=1), rate=20.0)

    def events() -> Iterator[Any]:
        t = model.start
        while True:
            t += timedelta(minutes=1)
            yield from model.events_until(t)

    async def run() -> int:
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=1 << 20)
        await p.start()
        source, n, began = events(), 0, time.time()
        try:
            while (now := time.time()) < began + seconds:
                due = int((now - began) * rate)
                stamp = datetime.fromtimestamp(now, UTC).isoformat()
                while n < due:
                    r = next(source)
                    value = {**r.value, "occurred_at": stamp}
                    await p.send(names[r.stream], orjson.dumps(value), key=r.key.encode())
                    n += 1
                await asyncio.sleep(0.01)
            await p.flush()
        finally:
            await p.stop()
        return n

    print(asyncio.run(run()), flush=True)


def memory(broker: EmbeddedBroker, tmp: Path, n: int) -> float:
    """Row (e): the worker's RSS growth per open ticket, `n` tickets created."""
    topics, port = Topics(), new_port()
    cfg = write_config(tmp / f"mem-{topics.tag}.yaml", broker.bootstrap, topics, port, 4)
    w = WorkerProcess(cfg, tmp / f"data-{topics.tag}", tmp / f"mem-{topics.tag}.log", port)
    w.start()
    assert w.proc is not None
    try:
        time.sleep(5)  # settle: the first scrapes, timers, imports done
        before = rss(w.proc.pid)
        asyncio.run(restart.produce(broker.bootstrap, topics.names["tickets"], restart.tickets(n)))
        deadline = time.time() + 600
        while time.time() < deadline:
            text = httpx.get(f"{w.url}/metrics", timeout=60).text
            if taken_in(text) >= n:
                break
            time.sleep(1)
        time.sleep(5)  # the last views, changelog writes and checkpoints
        return (rss(w.proc.pid) - before) / n
    finally:
        w.kill()


def quantiles(xs: list[float]) -> str:
    if len(xs) < 2:
        return "n/a"
    q = statistics.quantiles(xs, n=100)
    return f"{q[49] * 1000:.0f} ms / {q[98] * 1000:.0f} ms"


def main() -> None:
    """Row (d) alone: `python bench/steady.py [--rate 5000] [--seconds 60]`."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=5000.0, help="events/s")
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kpiwatch-steady-"))
    with EmbeddedBroker(port=0, log_path=tmp / "broker.log") as broker:
        load = steady(broker, tmp, args.rate, args.seconds)
    print(f"\nkpiwatch bench (d) — core {native.status()}\n")
    print("| measure | value |\n|---|---|")
    print(
        f"| (d) steady {args.rate:,.0f} events/s for {args.seconds:g} s: sent / taken in "
        f"| {load['sent'] / args.seconds:,.0f} / {load['taken'] / load['seconds']:,.0f} events/s,"
        f" worker CPU {load['cpu'] / max(load['taken'], 1) * 1e6:.0f} µs/event |"
    )
    print(f"| (d) event→metric p50 / p99 | {quantiles(load['metric'])} |")
    print(
        f"| (d) breach→webhook p50 / p99 | {quantiles(load['hook'])}"
        f" ({load['missed_hooks']} probes not notified in 30 s) |"
    )


if __name__ == "__main__" and sys.argv[1:2] == ["produce"]:
    produce(sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
elif __name__ == "__main__":
    main()
