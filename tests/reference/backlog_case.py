"""Issue 9's backlog case: 60,000 events of the last 20 hours, then a worker starts.

    .venv/bin/python -m tests.reference.backlog_case --repo /work/main

Starts the embedded broker, puts the events on 4-partition input topics, starts
`python -m stream run` of `--repo` (its own .venv) on product defaults, waits until
it has read everything, and prints the 24h `tickets_created` and calls answered +
abandoned summed over queues, and `kpiwatch_events_late_total`, against the
reference model (the truth). Processes it starts are stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from stream.dev.broker import EmbeddedBroker
from stream.dev.children import stop_process
from tests.integration.backlog import PARTITIONS, create_topics, produce
from tests.reference.core import SETTINGS, body_events
from tests.reference.model import evaluate
from tests.reference.traffic import generate
from tests.support.worker import Topics, new_port, wait_ready, write_config


def totals(text: str) -> dict[str, float]:
    """Return the 24h sums over queues and the pipeline counters this case is about."""
    out = dict.fromkeys(("created", "concluded", "late", "seen", "lag"), 0.0)
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            w = s.labels.get("window")
            if s.name == "kpiwatch_tickets_created" and w == "24h":
                out["created"] += s.value
            elif s.name in ("kpiwatch_calls_answered", "kpiwatch_calls_abandoned") and w == "24h":
                out["concluded"] += s.value
            elif s.name == "kpiwatch_events_late_total":
                out["late"] += s.value
            elif s.name in ("kpiwatch_events_accepted_total", "kpiwatch_events_duplicate_total"):
                out["seen"] += s.value
            elif s.name == "kpiwatch_consumer_lag_records":
                out["lag"] += s.value
    return out


def truth(events: list[dict[str, object]], now: float) -> tuple[float, float]:
    """Return the model's 24h tickets created and calls answered + abandoned, over queues."""
    values = evaluate(events, now, SETTINGS)

    def total(*kpis: str) -> float:
        return sum(
            v or 0.0
            for (k, lab), (v, _) in values.items()
            if k in kpis and ("window", "24h") in lab
        )

    return total("tickets_created"), total("calls_answered", "calls_abandoned")


def run(repo: Path, n_events: int, hours: float) -> None:
    """Run the case against the worker of `repo` and print the figures."""
    end = time.time()
    records = generate(seed=2009, end=end, hours=hours, tickets=5100, calls=7650)[:n_events]
    tmp = Path(tempfile.mkdtemp(prefix="kpiwatch-backlog-"))
    broker = EmbeddedBroker(port=0, log_path=tmp / "tansu.log")
    broker.start()
    proc = None
    try:
        topics = Topics()
        asyncio.run(create_topics(broker.bootstrap, topics))
        asyncio.run(produce(broker.bootstrap, topics, records))
        port = new_port()
        cfg = write_config(tmp / "w.yaml", broker.bootstrap, topics, port, PARTITIONS)
        env = {"KPIWATCH_CONFIG": str(cfg), "KPIWATCH_DATA_DIR": str(tmp / "data")}
        with open(tmp / "w.log", "ab") as log:
            proc = subprocess.Popen(
                [str(repo / ".venv/bin/python"), "-m", "stream", "run"],
                cwd=repo,
                env={**_env(), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        log_path = tmp / "w.log"

        def tail() -> str:
            return log_path.read_text(errors="replace")[-3000:]

        assert wait_ready(proc, f"{url}/readyz", 180, tail), tail()
        got = _settled(url, len(records))
        now = time.time()
        created, concluded = truth(body_events(records), now)
        print(f"repo {repo}: {len(records)} events over {hours:g} h, 4 partitions, backlog")
        print(f"  24h tickets_created          {got['created']:8.0f}  truth {created:8.0f}")
        print(f"  24h calls answered+abandoned {got['concluded']:8.0f}  truth {concluded:8.0f}")
        print(f"  kpiwatch_events_late_total   {got['late']:8.0f}")
    finally:
        stop_process(proc, timeout=20)
        broker.stop()


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("KPIWATCH_", "VIRTUAL_ENV"))}


def _settled(url: str, n: int, timeout: float = 600) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    streak = 0
    got: dict[str, float] = {}
    while time.monotonic() < deadline:
        got = totals(httpx.get(f"{url}/metrics", timeout=10).text)
        streak = streak + 1 if got["seen"] >= n and got["lag"] == 0 else 0
        if streak >= 3:
            return got
        time.sleep(2)
    raise TimeoutError(f"not settled: {got}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=Path.cwd())
    ap.add_argument("--events", type=int, default=60_000)
    ap.add_argument("--hours", type=float, default=20.0)
    a = ap.parse_args()
    run(a.repo.resolve(), a.events, a.hours)
