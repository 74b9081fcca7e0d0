"""A real Prometheus, with the repo's config and rules, scrapes two real workers
fed with synthetic traffic; every PromQL expression in the committed dashboards
and recording rules must return data through the HTTP API.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from stream.dev.broker import EmbeddedBroker, free_port
from stream.dev.generator import send_records
from stream.dev.traffic import Incident, Record, TrafficModel
from stream.kafka.producer import Producer
from tests.deploy.tools import DEPLOY, ROOT, Server, require
from tests.support.worker import Topics, WorkerProcess, write_config

pytestmark = pytest.mark.integration

PROM_DIR = DEPLOY / "prometheus"
RECORDING = PROM_DIR / "rules" / "kpiwatch-recording.yml"
VARIABLES = {"$__rate_interval": "1m", "$window": "15m", "$instance": ".*"}
# All queues, and one picked from the list (not billing: during the incident its
# agents stop replying, so a 15m window there has no resolutions to show).
QUEUE_VALUES = (".*", "tech-support")
ALERTING_METRICS = re.compile(r"kpiwatch_(alerts|notification)")
WAIT_FOR_DATA = 60.0


# --- what to query ----------------------------------------------------------------


def dashboard_exprs() -> dict[str, str]:
    """Return every panel expression of every dashboard, keyed by where it is."""
    out = {}
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                out[f"{path.stem} / {panel['title']} / {target['refId']}"] = target["expr"]
    return out


def dashboard_variables() -> dict[str, str]:
    """Return every template variable query (`label_values(...)`), keyed by where it is."""
    out = {}
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        for var in json.loads(path.read_text())["templating"]["list"]:
            if var["type"] == "query":
                out[f"{path.stem} / ${var['name']}"] = var["definition"]
    return out


def recorded_names() -> list[str]:
    """Return the name of every recording rule."""
    groups = yaml.safe_load(RECORDING.read_text())["groups"]
    return [r["record"] for g in groups for r in g["rules"]]


def substitute(expr: str, queue: str) -> str:
    """Replace Grafana variables the way Grafana would for a given selection."""
    for name, value in {**VARIABLES, "$queue": queue}.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, f"unknown variable left in {expr}"
    return expr


# --- the running stack ------------------------------------------------------------------


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def alerting_config(sink_url: str) -> dict[str, Any]:
    """Return rules that fire at once, to a working and to a dead receiver."""
    retry = {"max_attempts": 2, "initial_backoff": "100ms", "max_backoff": "200ms"}
    return {
        "receivers": [
            {"name": "sink", "type": "webhook", "url": sink_url, **retry},
            {"name": "dead", "type": "webhook", "url": f"http://127.0.0.1:{free_port()}/", **retry},
        ],
        "rules": [
            {"name": "CallsWaitingSeen", "kpi": "calls_waiting", "op": ">=", "threshold": 0,
             "severity": "warning", "receivers": ["sink", "dead"], "group_wait": "1s",
             "group_interval": "1s", "repeat_interval": "1m"},
        ],
    }  # fmt: skip


def late_call() -> list[Record]:
    """Return a call queued and abandoned an hour ago: late for the 15m window."""
    at = datetime.now(UTC) - timedelta(hours=1)
    call = f"late-{uuid.uuid4().hex[:12]}"
    events = [("call.queued", at, {"queue": "tech-support"}),
              ("call.abandoned", at + timedelta(seconds=40), {})]  # fmt: skip
    return [
        Record("calls", call, {"event_id": f"{call}-{i}", "type": type_, "call_id": call,
                               "occurred_at": ts.isoformat(), **fields})
        for i, (type_, ts, fields) in enumerate(events)
    ]  # fmt: skip


def orphan_reply() -> Record:
    """Return a reply to a ticket never created: accepted, but in no known queue."""
    ticket = f"orphan-{uuid.uuid4().hex[:12]}"
    return Record("tickets", ticket, {"event_id": f"{ticket}-r", "type": "ticket.replied",
                                      "ticket_id": ticket, "author": "agent",
                                      "occurred_at": datetime.now(UTC).isoformat()})  # fmt: skip


class LiveTraffic:
    """Backfill 20 minutes of traffic, then keep it flowing in real time until stopped."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self.bootstrap, self.names = bootstrap, topics.names
        self.model = TrafficModel(
            seed=11,
            start=datetime.now(UTC) - timedelta(minutes=20),
            rate=2.0,
            incident=Incident(start_after=timedelta(minutes=5), duration=timedelta(minutes=15)),
        )
        self.backfilled = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> LiveTraffic:
        self._thread.start()
        assert self.backfilled.wait(60), "backfill did not finish"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    async def _run(self) -> None:
        async with Producer(self.bootstrap, linger_ms=5) as producer:
            first = self.model.events_until(datetime.now(UTC))
            await send_records(producer, self.names, first)
            self.backfilled.set()
            # agents' logs are trimmed (their old event ids forgotten): repeat a call's event
            dup = next(r for r in first if r.stream == "calls")
            while not self._stop.is_set():
                await asyncio.sleep(0.5)
                await send_records(producer, self.names, self.model.events_until(datetime.now(UTC)))
                # a bad record, a duplicate, a late call, an orphan reply: the health board has each
                await producer.send_all([(self.names["calls"], b"c-bad", b"{not json")])
                await send_records(producer, self.names, [dup, *late_call(), orphan_reply()])


def prometheus_config(tmp: Path, prom_port: int, workers: list[WorkerProcess]) -> Path:
    """Copy the repo's prometheus.yml and rules; point the kpiwatch job at `workers`."""
    cfg = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    cfg["global"].update(scrape_interval="1s", evaluation_interval="1s")
    cfg.pop("alerting")  # no Alertmanager here: test_alertmanager.py runs that config
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    jobs["kpiwatch"]["static_configs"] = [{"targets": [f"127.0.0.1:{w.port}" for w in workers]}]
    jobs["prometheus"]["static_configs"] = [{"targets": [f"127.0.0.1:{prom_port}"]}]
    del jobs["alertmanager"]
    cfg["scrape_configs"] = list(jobs.values())
    for rule_file in cfg["rule_files"]:
        (tmp / rule_file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROM_DIR / rule_file, tmp / rule_file)
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@dataclass
class Stack:
    """Prometheus on loopback and the workers it scrapes."""

    prom: str
    workers: list[WorkerProcess]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Return the result vector of an instant query (raise on a PromQL error)."""
        r = httpx.get(f"{self.prom}/api/v1/query", params={"query": expr}, timeout=10)
        body = r.json()
        assert body["status"] == "success", f"{expr}: {body.get('error')}"
        return list(body["data"]["result"])

    def label_values(self, definition: str) -> list[str]:
        """Return what a Grafana `label_values(metric, label)` variable would list."""
        m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", definition)
        assert m, f"unsupported variable query {definition}"
        r = httpx.get(f"{self.prom}/api/v1/label/{m[2]}/values",
                      params={"match[]": m[1]}, timeout=10)  # fmt: skip
        return list(r.json()["data"])

    def empty(self, exprs: dict[str, str]) -> dict[str, str]:
        """Return the expressions (for every queue selection) that return no series."""
        out = {}
        for where, expr in exprs.items():
            for queue in QUEUE_VALUES if "$queue" in expr else (".*",):
                query = substitute(expr, queue)
                if not self.query(query):
                    out[f"{where} [queue={queue}]"] = query
        return out

    def wait_for(self, exprs: dict[str, str], timeout: float = WAIT_FOR_DATA) -> dict[str, str]:
        """Poll until every expression returns data; return those that never did."""
        deadline = time.monotonic() + timeout
        while (missing := self.empty(exprs)) and time.monotonic() < deadline:
            time.sleep(2)
        return missing


@pytest.fixture(scope="module")
def stack(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Start 2 workers, traffic and Prometheus; stop them all by PID afterwards."""
    prometheus = require("prometheus", apt="prometheus")
    tmp = tmp_path_factory.mktemp("prom-stack")
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    topics, workers = Topics(), []
    extra = alerting_config(f"http://127.0.0.1:{sink.server_port}/alerts")
    try:
        for name in ("a", "b"):
            port = free_port()
            cfg = write_config(tmp / f"{name}.yaml", broker.bootstrap, topics, port, 2, extra)
            workers.append(WorkerProcess(cfg, tmp / f"{name}-data", tmp / f"{name}.log", port))
            workers[-1].start()
        prom_port = free_port()
        argv = [prometheus, f"--config.file={prometheus_config(tmp, prom_port, workers)}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}"]  # fmt: skip
        with (
            LiveTraffic(broker.bootstrap, topics),
            Server(argv, f"http://127.0.0.1:{prom_port}/-/ready", tmp / "prometheus.log"),
        ):
            s = Stack(f"http://127.0.0.1:{prom_port}", workers)
            s.wait_for({"both workers scraped": 'count(up{job="kpiwatch"} == 1) == 2'})
            yield s
    finally:
        for w in workers:
            w.kill()
        sink.shutdown()
        sink.server_close()


# --- the checks ----------------------------------------------------------------------


def _report(missing: dict[str, str], stack: Stack) -> str:
    lines = [f"{k}: {v}" for k, v in missing.items()]
    return "no data for:\n" + "\n".join(lines) + f"\nworker log:\n{stack.workers[0].tail(10)}"


def test_every_recording_rule_returns_data(stack: Stack) -> None:
    missing = stack.wait_for({name: name for name in recorded_names()})
    assert not missing, _report(missing, stack)


def test_every_kpi_and_pipeline_panel_returns_data(stack: Stack) -> None:
    exprs = {k: v for k, v in dashboard_exprs().items() if not ALERTING_METRICS.search(v)}
    missing = stack.wait_for(exprs)
    assert not missing, _report(missing, stack)


def test_every_alerting_panel_returns_data(stack: Stack) -> None:
    exposed = stack.workers[0].metrics()
    if "# TYPE kpiwatch_alerts gauge" not in exposed:
        pytest.fail(
            "the worker exposes no alerting metrics (alerts/metrics.py is not wired into "
            "stream/app.py), so the health board's alerting row is empty"
        )
    exprs = {k: v for k, v in dashboard_exprs().items() if ALERTING_METRICS.search(v)}
    missing = stack.wait_for(exprs)
    assert not missing, _report(missing, stack)


def test_every_template_variable_lists_values(stack: Stack) -> None:
    stack.wait_for({"rules ran": "queue:kpiwatch_open_tickets:sum"})
    empty = [where for where, q in dashboard_variables().items() if not stack.label_values(q)]
    assert not empty
    windows = stack.label_values("label_values(kpiwatch_calls_offered, window)")
    assert VARIABLES["$window"] in windows


def test_every_rule_evaluates_without_error(stack: Stack) -> None:
    stack.wait_for({"rules ran": "queue:kpiwatch_open_tickets:sum"})
    groups = httpx.get(f"{stack.prom}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    alerts = yaml.safe_load((PROM_DIR / "alerts.yml").read_text())["groups"]
    assert len(rules) == len(recorded_names()) + sum(len(g["rules"]) for g in alerts)
    bad = {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}
    assert not bad


def test_ratios_are_rebuilt_from_numerators_and_denominators(stack: Stack) -> None:
    """The all-queue abandon rate lies between the lowest and highest queue's rate."""
    stack.wait_for({"rules ran": "window:kpiwatch_abandon_rate:ratio"})
    (total,) = stack.query('window:kpiwatch_abandon_rate:ratio{window="1h"}')
    per_queue = [float(s["value"][1]) for s in stack.query(
        'queue_window:kpiwatch_abandon_rate:ratio{window="1h"}')]  # fmt: skip
    assert len(per_queue) == 4
    assert min(per_queue) <= float(total["value"][1]) <= max(per_queue)


def test_every_metric_named_in_deploy_is_exposed(stack: Stack) -> None:
    exposed = "\n".join(w.metrics() for w in stack.workers)
    families = set(re.findall(r"^# TYPE (\w+)", exposed, re.M))
    text = "\n".join(
        p.read_text()
        for p in [
            RECORDING,
            PROM_DIR / "alerts.yml",
            *(DEPLOY / "grafana" / "dashboards").glob("*.json"),
        ]
    )
    named = set(re.findall(r"(?<![:\w])(kpiwatch_\w+)", text)) - {"kpiwatch_"}
    documented = set(re.findall(r"kpiwatch_\w+", (ROOT / "alerts" / "metrics.py").read_text()))
    unknown = {
        n for n in named
        if n not in families
        and re.sub(r"_(bucket|sum|count)$", "", n) not in families
        and n not in documented
    }  # fmt: skip
    assert not unknown, f"named in deploy/ but exposed nowhere: {sorted(unknown)}"
