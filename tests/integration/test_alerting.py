"""Alerting end to end on the embedded broker: events → rule → webhook POST."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.scenario import CONFIG, EVENTS, call
from tests.support.sink import Sink
from tests.support.worker import Topics, WorkerProcess, produce, sample, write_config

pytestmark = pytest.mark.integration


def alerting(url: str) -> dict[str, Any]:
    return {
        **CONFIG,
        "receivers": [{"name": "sink", "type": "webhook", "url": url, "send_resolved": True}],
        "rules": [
            {
                "name": "CallsWaiting",
                "kpi": "calls_waiting",
                "op": ">=",
                "threshold": 2,
                "recovery_threshold": 1,
                "for": "0s",
                "severity": "critical",
                "annotations": {"summary": "{{ value }} calls waiting in {{ queue }}"},
                "receivers": ["sink"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            }
        ],
    }


def _records(topics: Topics, events: list[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    return [(topics.names[s], k, v) for s, k, v in events]


def test_fire_restart_without_resend_and_bad_reload(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    w = start_worker(extra=alerting(sink.url))
    asyncio.run(produce(broker.bootstrap, _records(topics, EVENTS)))
    fired = sink.wait("firing", "billing")
    assert fired["labels"]["alertname"] == "CallsWaiting"
    assert fired["labels"]["severity"] == "critical"
    assert fired["annotations"]["summary"] == "2 calls waiting in billing"
    body = sink.bodies[0]
    assert body["version"] == "4" and body["status"] == "firing"
    api = httpx.get(f"{w.url}/api/v1/alerts", timeout=5).json()["alerts"]
    assert [a["labels"]["queue"] for a in api if a["state"] == "firing"] == ["billing"]
    assert sink.url not in w.log.read_text()  # receiver URLs may hold tokens: never logged

    # SIGKILL and restart: the notification log was persisted, nothing is re-sent
    w.kill()
    w2 = start_worker(extra=alerting(sink.url))
    time.sleep(4)  # several evaluation rounds
    assert len(sink.alerts("firing", "billing")) == 1, sink.bodies

    # an invalid config is rejected; the running rules keep working
    w2.config.write_text("rules: [{name: broken, kpi: no_such_kpi}]\n")
    r = httpx.post(f"{w2.url}/-/reload", timeout=10)
    assert r.status_code == 400
    assert sample(w2.metrics(), "kpiwatch_config_last_reload_successful") == 0
    sales = [call(f"s{i}", f"s{i}-q", "call.queued", 250 + i, queue="sales") for i in range(3)]
    answered = [
        call("c5", "c5-a", "call.answered", 320, agent_id="a1"),
        call("c6", "c6-a", "call.answered", 330, agent_id="a1"),
    ]
    asyncio.run(produce(broker.bootstrap, _records(topics, sales + answered)))
    # the three calls may reach the queue stage in two batches: the rule fires at 2 or 3
    summary = sink.wait("firing", "sales")["annotations"]["summary"]
    assert summary in ("2 calls waiting in sales", "3 calls waiting in sales")
    _wait_metric(w2, "kpiwatch_calls_waiting", 3, queue="sales")
    sink.wait("resolved", "billing")

    # a valid file that also changes a KPI definition: alerting swaps, the rest waits
    cfg = {**alerting(sink.url), "kpis": {"short_abandon": "9s"}}
    write_config(w2.config, broker.bootstrap, topics, w2.port, extra=cfg)
    r = httpx.post(f"{w2.url}/-/reload", timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["restart_required"] == ["kpis"]
    text = w2.metrics()
    assert sample(text, "kpiwatch_config_last_reload_successful") == 1
    assert sample(text, "kpiwatch_config_restart_required") == 1


def test_api_silence_mutes_on_every_worker_and_needs_the_token(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    from datetime import UTC, datetime, timedelta

    cfg = {**alerting(sink.url), "http": {"auth_token": "t0ken"}}
    a = start_worker(extra=cfg, name="a")
    b = start_worker(extra=cfg, name="b")
    silence = {
        "matchers": {"queue": "billing"},
        "created_by": "oncall",
        "comment": "known incident",
        "ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    assert httpx.post(f"{a.url}/api/v1/silences", json=silence, timeout=5).status_code == 401
    r = httpx.post(
        f"{a.url}/api/v1/silences",
        json=silence,
        timeout=5,
        headers={"Authorization": "Bearer t0ken"},
    )
    assert r.status_code == 200, r.text
    sid = r.json()["silenceID"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # replicated to the other worker
        listed = httpx.get(f"{b.url}/api/v1/silences", timeout=5).json()["silences"]
        if any(s["id"] == sid for s in listed):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"silence not replicated to b: {listed}")
    sales = [call(f"s{i}", f"s{i}-q", "call.queued", 250 + i, queue="sales") for i in range(3)]
    asyncio.run(produce(broker.bootstrap, _records(topics, EVENTS + sales)))
    sink.wait("firing", "sales")  # the pipeline and receiver work …
    time.sleep(3)
    assert sink.alerts("firing", "billing") == []  # … but billing is muted on its owner
    firing = [
        x
        for w in (a, b)
        for x in httpx.get(f"{w.url}/api/v1/alerts", timeout=5).json()["alerts"]
        if x["labels"].get("queue") == "billing"
    ]
    assert [x["state"] for x in firing] == ["firing"], firing

    # bad requests get a clear error; expiring the silence on the other worker un-mutes
    auth = {"Authorization": "Bearer t0ken"}
    bad = httpx.post(f"{a.url}/api/v1/silences", content=b"{}", headers=auth, timeout=5)
    assert bad.status_code == 400 and "matchers" in bad.json()["error"], bad.text
    gone = httpx.delete(f"{a.url}/api/v1/silences/no-such-id", headers=auth, timeout=5)
    assert gone.status_code == 404, gone.text
    assert httpx.delete(f"{b.url}/api/v1/silences/{sid}", timeout=5).status_code == 401
    r = httpx.delete(f"{b.url}/api/v1/silences/{sid}", headers=auth, timeout=5)
    assert r.status_code == 200, r.text
    sink.wait("firing", "billing")  # the owner, told by the silences topic, now notifies


def _wait_metric(
    w: WorkerProcess, name: str, value: float, timeout: float = 20, **labels: str
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sample(w.metrics(), name, **labels) == value:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} never became {value}\n{w.tail()}")


def _reloads(w: WorkerProcess) -> int:
    return w.log.read_text(errors="replace").count("config reloaded from")


def test_file_change_and_sighup_reload(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    w = start_worker(extra=alerting(sink.url))
    assert w.proc is not None
    # an edit alone is picked up: an invalid file is refused, the old rules keep running
    w.config.write_text("rules: [{name: broken, kpi: no_such_kpi}]\n")
    _wait_metric(w, "kpiwatch_config_last_reload_successful", 0)
    asyncio.run(produce(broker.bootstrap, _records(topics, EVENTS)))
    assert sink.wait("firing", "billing")["labels"]["alertname"] == "CallsWaiting"
    # the fixed file is swapped in without a signal
    write_config(w.config, broker.bootstrap, topics, w.port, extra=alerting(sink.url))
    _wait_metric(w, "kpiwatch_config_last_reload_successful", 1)
    time.sleep(1.0)  # let the watcher settle
    before = _reloads(w)
    os.kill(w.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 20
    while _reloads(w) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _reloads(w) > before, w.tail()
    assert w.proc.poll() is None  # SIGHUP reloads, it does not stop the worker


QUEUES = ("billing", "sales", "refunds", "tech")  # they hash to both views partitions


def test_rebalance_neither_resends_nor_drops(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    cfg = alerting(sink.url)
    a = start_worker(extra=cfg, name="a")
    waiting = [
        call(f"{q}-{i}", f"{q}-{i}-q", "call.queued", 100 + i, queue=q)
        for q in QUEUES
        for i in (1, 2)
    ]
    asyncio.run(produce(broker.bootstrap, _records(topics, waiting)))
    for q in QUEUES:
        sink.wait("firing", q)
    # a second worker joins: the group rebalances and some queues (and their alerts) move
    b = start_worker(extra=cfg, name="b")
    owners = {
        w: [
            x["labels"]["queue"]
            for x in httpx.get(f"{w.url}/api/v1/alerts", timeout=5).json()["alerts"]
        ]
        for w in (a, b)
    }
    assert all(owners.values()), f"no alert moved to the new worker: {owners}"
    time.sleep(4)  # evaluation rounds on both workers
    for q in QUEUES:
        assert len(sink.alerts("firing", q)) == 1, (q, owners, sink.bodies)
    answered = [
        call(f"{q}-{i}", f"{q}-{i}-a", "call.answered", 150 + i, agent_id="x")
        for q in QUEUES
        for i in (1, 2)
    ]
    asyncio.run(produce(broker.bootstrap, _records(topics, answered)))
    for q in QUEUES:
        sink.wait("resolved", q)
    time.sleep(2)
    for q in QUEUES:
        assert len(sink.alerts("resolved", q)) == 1, (q, sink.bodies)
        assert len(sink.alerts("firing", q)) == 1, (q, sink.bodies)
    listed = [
        x["labels"]["queue"]
        for w in (a, b)
        for x in httpx.get(f"{w.url}/api/v1/alerts", timeout=5).json()["alerts"]
    ]
    assert sorted(listed) == sorted(QUEUES), listed  # each alert on exactly one worker
