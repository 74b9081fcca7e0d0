"""`kpiwatch demo`: broker, worker, traffic with an incident and an alert sink.

Everything runs on this machine: the embedded broker and the worker and
generator as child processes (stopped by PID), the webhook sink and the KPI
table in this process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from stream.dev.broker import EmbeddedBroker, free_port
from stream.dev.children import stop_process

LATENCIES: list[float] = []  # firing → received, seconds (reported at exit)
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
COLUMNS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("open", "kpiwatch_open_tickets", {}),
    ("at_risk", "kpiwatch_sla_at_risk_tickets", {}),
    ("breached", "kpiwatch_sla_breached_tickets", {}),
    ("waiting", "kpiwatch_calls_waiting", {}),
    ("longest", "kpiwatch_longest_wait_seconds", {}),
    ("abandon15m", "kpiwatch_abandon_rate", {"window": "15m"}),
    ("sl15m", "kpiwatch_service_level", {"window": "15m"}),
)


def _table(text: str) -> str:
    rows: dict[str, dict[str, float]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            for col, name, want in COLUMNS:
                if s.name == name and all(s.labels.get(k) == v for k, v in want.items()):
                    row = rows.setdefault(s.labels["queue"], {})
                    row[col] = row.get(col, 0.0) + s.value
    head = f"{'queue':<14}" + "".join(f"{c:>11}" for c, _, _ in COLUMNS)
    lines = [head]
    for q in sorted(rows):
        cells = []
        for col, _, _ in COLUMNS:
            v = rows[q].get(col)
            cells.append("-" if v is None else f"{v:.1%}" if col.endswith("15m") else f"{v:.0f}")
        lines.append(f"{q:<14}" + "".join(f"{c:>11}" for c in cells))
    return "\n".join(lines)


async def _sink(port: int) -> web.AppRunner:
    async def receive(request: web.Request) -> web.Response:
        body: dict[str, Any] = orjson.loads(await request.read())
        now = datetime.now(UTC)
        for a in body.get("alerts", []):
            labels, ann = a.get("labels", {}), a.get("annotations", {})
            if a.get("status") == "firing":  # startsAt is when the rule's `for` elapsed
                lag = (now - datetime.fromisoformat(a["startsAt"])).total_seconds()
                LATENCIES.append(lag)
                note = f"(delivered {lag:.2f}s after firing)"
                ann = {**ann, "summary": f"{ann.get('summary', '')} {note}"}
            print(
                f"\n>>> ALERT {a.get('status', '?').upper():8} {labels.get('alertname')}"
                f" [{labels.get('severity')}] queue={labels.get('queue', '-')}: "
                f"{ann.get('summary', '')}",
                flush=True,
            )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/alerts", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stream", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def _watch(metrics_url: str, duration: float) -> None:
    began = time.monotonic()
    async with httpx.AsyncClient(timeout=5) as client:
        while duration <= 0 or time.monotonic() - began < duration:
            await asyncio.sleep(5)
            try:
                text = (await client.get(metrics_url)).text
            except httpx.HTTPError:
                print("(worker starting…)", flush=True)
                continue
            print(f"\n[{time.strftime('%H:%M:%S')}] KPIs per queue\n{_table(text)}", flush=True)


def run_demo(http_port: int = 8000, rate: float = 2.0, duration: float = 0.0) -> int:
    """Run the whole demo until Ctrl-C (or `duration` seconds); return an exit code."""
    logs = Path(os.environ.get("KPIWATCH_DEMO_LOGS", "kpiwatch-demo-logs"))
    logs.mkdir(exist_ok=True)
    broker = EmbeddedBroker(port=0, log_path=logs / "broker.log")
    broker.start()
    sink_port = free_port()
    env = {
        **os.environ,
        "KPIWATCH_CONFIG": str(DEMO_CONFIG),
        "KPIWATCH_BOOTSTRAP_SERVERS": broker.bootstrap,
        "KPIWATCH_HTTP_PORT": str(http_port),
        "KPIWATCH_DATA_DIR": str(logs / "data"),
        "KPIWATCH_DEMO_SINK_URL": f"http://127.0.0.1:{sink_port}/alerts",
    }
    procs: list[subprocess.Popen[bytes]] = []
    print(f"broker   {broker.bootstrap} (pid {broker.pid})")
    try:
        procs.append(
            _spawn(
                [
                    "generate",
                    "--bootstrap",
                    broker.bootstrap,
                    "--rate",
                    str(rate),
                    "--duration",
                    "86400",
                    "--incident",
                    "--incident-after",
                    "60",
                    "--incident-for",
                    "240",
                ],
                env,
                logs / "generator.log",
            )
        )
        procs.append(_spawn(["run"], env, logs / "worker.log"))
        print(f"metrics  http://127.0.0.1:{http_port}/metrics")
        print(f"alerts   http://127.0.0.1:{http_port}/api/v1/alerts  (sink on :{sink_port})")
        print(
            f"logs     {logs}/  — billing incident from ~1 min for 4 min; Ctrl-C stops\n",
            flush=True,
        )
        asyncio.run(_main(sink_port, f"http://127.0.0.1:{http_port}/metrics", duration))
    except KeyboardInterrupt:
        print("\nstopping…")
    finally:
        for p in reversed(procs):
            stop_process(p, timeout=15)
        broker.stop()
    if LATENCIES:
        ordered = sorted(LATENCIES)
        print(
            f"alert delivery after firing: n={len(ordered)} "
            f"p50={ordered[len(ordered) // 2]:.2f}s max={ordered[-1]:.2f}s"
        )
    return 0


async def _main(sink_port: int, metrics_url: str, duration: float) -> None:
    runner = await _sink(sink_port)
    try:
        await _watch(metrics_url, duration)
    finally:
        await runner.cleanup()
