"""Benchmark: SIGKILL → restart timeline of a worker holding N open tickets.

    python bench/restart.py --open 60000
    python bench/restart.py --open 60000 --stop term   # SIGTERM instead of SIGKILL

Starts the embedded broker, produces `--open` `ticket.created` events (one ticket
each), runs one worker until every ticket is counted and its checkpoints have
settled, stops it (SIGKILL by default) and starts it again on the same disk. Prints
the restart's timeline: process start → group joined → checkpoints loaded → tail
replayed (tables rebuilt) → ready (/readyz 200) → open_tickets correct (/metrics),
with the wall time and the worker's CPU time (utime + stime, sampled every 20 ms)
of each phase. Phase ends come from the worker's log timestamps; a phase whose
line is missing is shown as "-".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream.dev.broker import EmbeddedBroker
from stream.dev.children import stop_process
from tests.support.worker import Topics, new_port, write_config

QUEUES = ("billing", "tech-support", "sales", "refunds")
CHANNELS = ("email", "chat", "web", "phone")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKS = os.sysconf("SC_CLK_TCK")
PHASES = (  # name, log line that ends it (first match after start; last for "loaded")
    ("group joined", re.compile(r"assigned partitions")),
    ("checkpoints loaded", re.compile(r"from checkpoint")),
    ("tail replayed", re.compile(r"rebuilt queues from")),
)
_STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})[\] ]")


def tickets(n: int) -> list[tuple[bytes, bytes]]:
    """Return `n` ticket.created records (key, value) of the last hour, one ticket each."""
    start = datetime.now(UTC) - timedelta(hours=1)
    step = 3600 / n
    out = []
    for i in range(n):
        tid = f"T-{i:08d}"
        value = {
            "event_id": f"ev-{i:08d}",
            "type": "ticket.created",
            "occurred_at": (start + timedelta(seconds=i * step)).isoformat(),
            "ticket_id": tid,
            "queue": QUEUES[i % 4],
            "channel": CHANNELS[(i // 4) % 4],
            "priority": PRIORITIES[(i // 16) % 4],
        }
        out.append((tid.encode(), orjson.dumps(value)))
    return out


async def produce(bootstrap: str, topic: str, recs: list[tuple[bytes, bytes]]) -> None:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1 << 20)
    await p.start()
    try:
        for i in range(0, len(recs), 10_000):
            futs = [await p.send(topic, v, key=k) for k, v in recs[i : i + 10_000]]
            await asyncio.gather(*futs)
    finally:
        await p.stop()


class CpuSampler:
    """Sample a process's CPU seconds (utime + stime) every 20 ms, against wall time."""

    def __init__(self, pid: int) -> None:
        self.pid, self.walls, self.cpus = pid, list[float](), list[float]()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                with open(f"/proc/{self.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                return
            self.walls.append(time.time())
            self.cpus.append((int(fields[11]) + int(fields[12])) / TICKS)
            time.sleep(0.02)

    def at(self, wall: float) -> float:
        """Return the CPU seconds used by `wall` (the first sample at or after it)."""
        i = min(bisect_left(self.walls, wall), len(self.walls) - 1)
        return self.cpus[i] if i >= 0 else 0.0


def open_total(text: str) -> float:
    """Return the sum of kpiwatch_open_tickets over every label set."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("kpiwatch_open_tickets{")
    )


def start_worker(
    cfg: Path, data: Path, log: Path, extra: dict[str, str]
) -> tuple[subprocess.Popen[bytes], float]:
    env = {
        **extra,
        **os.environ,
        "KPIWATCH_CONFIG": str(cfg),
        "KPIWATCH_DATA_DIR": str(data),
        "KPIWATCH_LOG_LEVEL": "INFO",
    }
    env.pop("KPIWATCH_HTTP_PORT", None)
    began = time.time()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stream", "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, began


def wait_for(url: str, proc: subprocess.Popen[bytes], check: object, timeout: float) -> float:
    """Poll `url` every 0.1 s until `check(response)` holds; return the wall time it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited {proc.returncode}")
        try:
            r = httpx.get(url, timeout=5)
            if check(r):  # type: ignore[operator]
                return time.time()
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


def settled(directory: Path, quiet: float = 13.0, timeout: float = 300.0) -> None:
    """Wait until the checkpoint files exist and none changed for `quiet` seconds.

    The default is longer than the worker's checkpoint interval (10 s), so the last
    checkpoints hold every ticket.
    """
    deadline = time.monotonic() + timeout
    last: dict[Path, float] = {}
    while time.monotonic() < deadline:
        now = {p: p.stat().st_mtime for p in directory.glob("*.ckpt")}
        if now and now == last:
            return
        last = now
        time.sleep(quiet)
    raise TimeoutError(f"checkpoints in {directory} never settled")


def log_times(text: str) -> list[tuple[float, str]]:
    """Return (wall time, line) of the timestamped lines of a worker log."""
    out = []
    for line in text.splitlines():
        if m := _STAMP.match(line):
            stamp = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").astimezone()
            out.append((stamp.timestamp(), line))
    return out


def timeline(lines: list[tuple[float, str]], began: float) -> list[tuple[str, float | None]]:
    """Return (phase, wall time its end was logged) from the restart's log lines."""
    out: list[tuple[str, float | None]] = []
    for name, pattern in PHASES:
        hits = [t for t, line in lines if t >= began - 1 and pattern.search(line)]
        out.append(
            (name, (max(hits) if name == "checkpoints loaded" else min(hits)) if hits else None)
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--open", type=int, default=60_000, help="open tickets")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--stop", choices=("kill", "term"), default="kill")
    ap.add_argument(
        "--instance-id", action="store_true", help="set KPIWATCH_INSTANCE_ID (static membership)"
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kpiwatch-restart-"))
    with EmbeddedBroker(port=0, log_path=tmp / "broker.log") as broker:
        topics = Topics()
        port = new_port()
        cfg = write_config(tmp / "bench.yaml", broker.bootstrap, topics, port, args.partitions)
        data, log = tmp / "data", tmp / "worker.log"
        url = f"http://127.0.0.1:{port}"
        env = {"KPIWATCH_INSTANCE_ID": f"bench-{topics.tag}"} if args.instance_id else {}
        proc, _ = start_worker(cfg, data, log, env)
        try:
            wait_for(f"{url}/readyz", proc, lambda r: r.status_code == 200, 120)
            t = time.monotonic()
            asyncio.run(produce(broker.bootstrap, topics.names["tickets"], tickets(args.open)))
            wait_for(f"{url}/metrics", proc, lambda r: open_total(r.text) == args.open, 1800)
            fill = time.monotonic() - t
            settled(data / "checkpoints")
            size = sum(p.stat().st_size for p in (data / "checkpoints").glob("*.ckpt"))
            stop_process(proc, signal.SIGKILL if args.stop == "kill" else signal.SIGTERM, 60)
            since = len(log.read_bytes())
            proc, began = start_worker(cfg, data, log, env)
            sampler = CpuSampler(proc.pid)
            ready = wait_for(f"{url}/readyz", proc, lambda r: r.status_code == 200, 900)
            correct = wait_for(
                f"{url}/metrics", proc, lambda r: open_total(r.text) == args.open, 900
            )
            text = log.read_bytes()[since:].decode(errors="replace")
        finally:
            stop_process(proc, signal.SIGKILL, 20)
    sampler.stop.set()
    phases = timeline(log_times(text), began)
    phases += [("ready (/readyz 200)", ready), ("open_tickets correct", correct)]
    phases.sort(key=lambda p: p[1] if p[1] is not None else float("inf"))
    static = "on" if args.instance_id else "off"
    print(f"\nkpiwatch restart — {args.open:,} open tickets, {args.partitions} partitions,")
    print(f"filled in {fill:.1f} s, checkpoints {size / 1e6:.1f} MB, SIG{args.stop.upper()},")
    print(f"static membership {static}\n")
    print("| phase (ends at) | since start | phase wall | phase CPU |\n|---|---|---|---|")
    prev_wall, prev_cpu = began, 0.0
    for name, wall in phases:
        if wall is None:
            print(f"| {name} | - | - | - |")
            continue
        cpu = sampler.at(wall)
        print(
            f"| {name} | {wall - began:.2f} s | {wall - prev_wall:.2f} s | {cpu - prev_cpu:.2f} s |"
        )
        prev_wall, prev_cpu = wall, cpu
    print(f"\nworker log: {log}")


if __name__ == "__main__":
    main()
