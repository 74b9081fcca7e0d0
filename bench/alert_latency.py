"""Benchmark: how long after its `for` elapses an alert reaches a webhook, and a resolve.

    python bench/alert_latency.py --alerts 40 --for-seconds 2

Starts the embedded broker, one worker and a webhook sink on loopback. For each of N
queues it produces one `call.queued` (now), so `calls_waiting >= 1` holds from that
moment; the rule has `for: F`, `group_wait: 0s`. It prints, per notification kind:
firing = received − (produced + F); resolved = received − produced `call.answered`.
Both include the pipeline (two Kafka hops), the 0.5 s evaluation timer and delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream.dev.broker import EmbeddedBroker
from tests.support.worker import Topics, WorkerProcess, new_port, write_config


class Sink:
    """A webhook receiver that stamps each alert with its arrival time."""

    def __init__(self) -> None:
        self.arrivals: dict[tuple[str, str], float] = {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                now = time.time()
                body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                for a in body["alerts"]:
                    sink.arrivals.setdefault((a["status"], a["labels"]["queue"]), now)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def config(url: str, for_s: float) -> dict[str, Any]:
    return {
        "allowed_lateness": "1m",
        "receivers": [{"name": "sink", "type": "webhook", "url": url, "send_resolved": True}],
        "rules": [
            {
                "name": "CallWaiting",
                "kpi": "calls_waiting",
                "op": ">=",
                "threshold": 1,
                "for": f"{for_s:g}s",
                "severity": "warning",
                "receivers": ["sink"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            }
        ],
    }


def event(kind: str, i: int) -> tuple[bytes, bytes]:
    cid = f"c{i}"
    body = {
        "event_id": f"{cid}-{kind}",
        "type": f"call.{kind}",
        "call_id": cid,
        "occurred_at": datetime.now(UTC).isoformat(),
        **({"queue": f"q{i:03d}"} if kind == "queued" else {"agent_id": "a1"}),
    }
    return cid.encode(), orjson.dumps(body)


async def poll(cond: Callable[[], bool], wait_s: float) -> None:
    """Return once `cond()` holds or `wait_s` passed."""
    for _ in range(int(wait_s / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)


async def drive(
    bootstrap: str, topic: str, n: int, gap: float, sink: Sink, wait_s: float
) -> tuple[dict[int, float], dict[int, float]]:
    """Queue a call per queue, wait for its alert, answer it; return produce times."""
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await p.start()
    queued: dict[int, float] = {}
    answered: dict[int, float] = {}
    try:
        for i in range(n):
            key, value = event("queued", i)
            await p.send_and_wait(topic, value, key=key)
            queued[i] = time.time()
            await asyncio.sleep(gap)
        for i in range(n):
            await poll(partial(sink.arrivals.__contains__, ("firing", f"q{i:03d}")), wait_s)
            key, value = event("answered", i)
            await p.send_and_wait(topic, value, key=key)
            answered[i] = time.time()
            await asyncio.sleep(gap)
        await poll(lambda: len(sink.arrivals) >= 2 * n, wait_s)
    finally:
        await p.stop()
    return queued, answered


def summary(name: str, xs: list[float], expected: int) -> str:
    if not xs:
        return f"{name:<9} n=0 of {expected}"
    q = statistics.quantiles(xs, n=100, method="inclusive") if len(xs) > 1 else xs * 99
    return (
        f"{name:<9} n={len(xs)}/{expected}  p50 {statistics.median(xs):.2f} s  "
        f"p99 {q[98]:.2f} s  max {max(xs):.2f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=40)
    ap.add_argument("--for-seconds", type=float, default=2.0)
    ap.add_argument("--gap", type=float, default=0.25, help="seconds between queues")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kpiwatch-bench-"))
    broker = EmbeddedBroker(port=0, log_path=tmp / "tansu.log")
    broker.start()
    sink = Sink()
    topics = Topics()
    port = new_port()
    cfg = write_config(
        tmp / "w.yaml", broker.bootstrap, topics, port, extra=config(sink.url, args.for_seconds)
    )
    w = WorkerProcess(cfg, tmp / "data", tmp / "w.log", port)
    try:
        w.start()
        queued, answered = asyncio.run(
            drive(broker.bootstrap, topics.names["calls"], args.alerts, args.gap, sink, 30.0)
        )
    finally:
        w.kill()
        broker.stop()
        sink.server.shutdown()
    firing = [
        sink.arrivals[("firing", f"q{i:03d}")] - (t + args.for_seconds)
        for i, t in queued.items()
        if ("firing", f"q{i:03d}") in sink.arrivals
    ]
    resolved = [
        sink.arrivals[("resolved", f"q{i:03d}")] - t
        for i, t in answered.items()
        if ("resolved", f"q{i:03d}") in sink.arrivals
    ]
    print(f"alert delivery, for={args.for_seconds:g}s, group_wait=0s, one worker on Tansu")
    print(summary("firing", firing, args.alerts) + "   (after `for` elapsed)")
    print(summary("resolved", resolved, args.alerts) + "   (after the call was answered)")


if __name__ == "__main__":
    main()
