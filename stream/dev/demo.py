"""`kpiwatch demo`: broker, worker, traffic with a billing incident, a webhook sink, a screen.

Everything runs on this machine: the embedded broker, and the worker and
generator as child processes (stopped by PID); the sink and the screen in this
process. The screen (stream/dev/screen.py) is redrawn in place on a terminal;
elsewhere the last frame is printed when the demo stops.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiohttp import web
from rich.console import Console
from rich.live import Live

from stream.config.root import load_config
from stream.dev.broker import EmbeddedBroker, free_port
from stream.dev.children import stop_process
from stream.dev.screen import DemoView, Page
from stream.startup import port_problem

DEMO_CONFIG = Path(__file__).with_name("demo.yaml")  # package data: found after `pip install .`
INCIDENT_AFTER, INCIDENT_FOR = 60, 240  # seconds from the start: billing only
POLL_S = 2.0
# half an hour of past traffic first, tickets handled ten times faster than in life: the
# windows start full and open tickets sit at their steady level from the first screen
HISTORY, TICKET_PACE = 1800, 0.1


class Demo:
    """The demo's state: pages received, the latest KPIs and alerts, the view."""

    def __init__(self, http_port: int, incident_at: float) -> None:
        self.view = DemoView.of(load_config(DEMO_CONFIG, environ={}))
        self.url = f"http://127.0.0.1:{http_port}"
        self.pages: list[Page] = []
        self.latencies: list[float] = []  # firing → received, seconds
        self.rows: dict[str, dict[str, float]] = {}
        self.alerts: list[dict[str, Any]] = []
        self.began = time.monotonic()
        self.incident_at = incident_at
        self.worker_up = False

    async def receive(self, request: web.Request) -> web.Response:
        """Record a webhook notification from the worker."""
        body: dict[str, Any] = orjson.loads(await request.read())
        now = datetime.now(UTC)
        for a in body.get("alerts", []):
            labels = a.get("labels", {})
            if a.get("status") == "firing":
                self.latencies.append((now - datetime.fromisoformat(a["startsAt"])).total_seconds())
            self.pages.append(
                Page(
                    now,
                    a.get("status", "?"),
                    labels.get("alertname", "?"),
                    labels.get("queue", "–"),
                    a.get("annotations", {}).get("summary", ""),
                )
            )
        return web.Response(text="ok")

    async def poll(self, client: httpx.AsyncClient) -> None:
        """Fetch the worker's KPIs and alerts (keep the last ones if it does not answer)."""
        try:
            metrics = (await client.get(f"{self.url}/metrics")).text
            alerts = (await client.get(f"{self.url}/api/v1/alerts")).json()["alerts"]
        except (httpx.HTTPError, ValueError, KeyError):
            return
        self.worker_up = True
        self.rows, self.alerts = self.view.kpis(metrics), alerts

    def screen(self) -> Any:
        """Return the current frame."""
        elapsed = time.monotonic() - self.began
        t = self.incident_at - elapsed
        incident = (
            f"billing incident in {t:.0f}s"
            if t > 0
            else f"billing incident running ({-t:.0f}s of {INCIDENT_FOR}s)"
            if -t < INCIDENT_FOR
            else "billing incident over"
        )
        state = "" if self.worker_up else " · worker starting…"
        header = (
            f"kpiwatch demo · console {self.url}/ · {elapsed:.0f}s · {incident}{state}"
            " · Ctrl-C stops"
        )
        return self.view.render(self.rows, self.alerts, self.pages, header, datetime.now(UTC))


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stream", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def _run(
    demo: Demo, sink_port: int, duration: float, console: Console, procs: list[Any]
) -> None:
    app = web.Application()
    app.router.add_post("/alerts", demo.receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", sink_port).start()
    live = Live(demo.screen(), console=console, screen=True, auto_refresh=False)
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            if console.is_terminal:
                live.start()
            while duration <= 0 or time.monotonic() - demo.began < duration:
                if any(p.poll() is not None for p in procs):
                    raise ChildProcessError("a demo process exited; see the logs")
                await demo.poll(client)
                if console.is_terminal:
                    live.update(demo.screen(), refresh=True)
                await asyncio.sleep(POLL_S)
    finally:
        live.stop()
        await runner.cleanup()


def run_demo(http_port: int = 8000, rate: float = 2.0, duration: float = 0.0) -> int:
    """Run the whole demo until Ctrl-C (or `duration` seconds); return an exit code."""
    console = Console()
    if (problem := port_problem("127.0.0.1", http_port)) is not None:
        console.print(f"kpiwatch demo: {problem} (--port)", highlight=False)
        return 1
    logs = Path(os.environ.get("KPIWATCH_DEMO_LOGS", "kpiwatch-demo-logs"))
    logs.mkdir(exist_ok=True)
    # the embedded broker starts empty: an earlier demo's checkpoints are of another log
    shutil.rmtree(logs / "data", ignore_errors=True)
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
    gen = ["generate", "--bootstrap", broker.bootstrap, "--rate", str(rate), "--duration",
           "86400", "--incident", "--incident-after", str(INCIDENT_AFTER),
           "--incident-for", str(INCIDENT_FOR), "--history", str(HISTORY),
           "--ticket-pace", str(TICKET_PACE)]  # fmt: skip
    demo = Demo(http_port, INCIDENT_AFTER)
    procs = [_spawn(gen, env, logs / "generator.log"), _spawn(["run"], env, logs / "worker.log")]
    code = 0
    try:
        asyncio.run(_run(demo, sink_port, duration, console, procs))
    except KeyboardInterrupt:
        pass
    except ChildProcessError as exc:
        console.print(f"kpiwatch demo: {exc} in {logs}/", highlight=False)
        code = 1
    finally:
        for p in reversed(procs):
            stop_process(p, timeout=15)
        broker.stop()
    console.print(demo.screen())
    _summary(console, demo, logs)
    return code


def _summary(console: Console, demo: Demo, logs: Path) -> None:
    fired = sorted({(p.alertname, p.queue) for p in demo.pages if p.status == "firing"})
    console.print(
        "paged: " + (", ".join(f"{a} on {q}" for a, q in fired) or "nothing"), highlight=False
    )
    if demo.latencies:
        ordered = sorted(demo.latencies)
        console.print(
            f"alert delivery after firing: n={len(ordered)} "
            f"p50={ordered[len(ordered) // 2]:.2f}s max={ordered[-1]:.2f}s",
            highlight=False,
        )
    console.print(f"logs in {logs}/", highlight=False)
