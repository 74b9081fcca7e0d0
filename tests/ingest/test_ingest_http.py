"""The ingest service's answers against the embedded broker: 401, 413, 422 + dead letter, 429."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from stream.dev.broker import EmbeddedBroker, free_port
from tests.deploy.tools import require
from tests.ingest.helpers import (
    CONNECT_TOKEN,
    EVENTS_TOKEN,
    INGEST,
    TWILIO_TOKEN,
    ZENDESK_SECRET,
    fixture,
    twilio_form,
    zendesk_headers,
)
from tests.ingest.process import IngestProcess, read_topic
from tests.support.worker import Topics, new_port, sample, write_config

pytestmark = pytest.mark.integration


def _start(
    broker: EmbeddedBroker, topics: Topics, tmp_path: Path, ingest: dict[str, Any]
) -> IngestProcess:
    port = new_port()
    section = {**ingest, "host": "127.0.0.1", "port": port}
    cfg = write_config(
        tmp_path / "ingest.yaml", broker.bootstrap, topics, new_port(), 2, {"ingest": section}
    )
    return IngestProcess(cfg, tmp_path / "ingest.log", port)


@pytest.fixture
def ingest(broker: EmbeddedBroker, topics: Topics, tmp_path: Path) -> Iterator[IngestProcess]:
    """`kpiwatch ingest` with every vendor configured; stopped by PID."""
    service = _start(broker, topics, tmp_path, INGEST)
    try:
        yield service.start()
    finally:
        service.stop()


def test_unmappable_payload_is_422_with_the_reason_and_dead_lettered_verbatim(
    ingest: IngestProcess, broker: EmbeddedBroker, topics: Topics
) -> None:
    event = fixture("zendesk", "ticket_created")
    event["detail"]["group_id"] = "404"
    body = orjson.dumps(event, option=orjson.OPT_INDENT_2)
    r = ingest.post("/ingest/zendesk", body, zendesk_headers(body))
    assert r.status_code == 422
    assert "group_id '404' is not in ingest.zendesk.queue.names" in r.json()["error"]
    (dead,) = read_topic(broker.bootstrap, topics.names["dead_letter"])
    headers = dict(dead.headers)
    assert dead.value == body
    assert headers["kpiwatch.source"] == b"ingest/zendesk"
    assert b"group_id '404'" in headers["kpiwatch.reason"]
    assert read_topic(broker.bootstrap, topics.names["tickets"], settle=0.2) == []
    own = ingest.metrics()
    assert sample(own, "kpiwatch_ingest_dead_letters_total", source="zendesk") == 1


def test_bad_signatures_and_tokens_are_401_counted_and_produce_nothing(
    ingest: IngestProcess, broker: EmbeddedBroker, topics: Topics
) -> None:
    body = orjson.dumps(fixture("zendesk", "ticket_created"))
    url = ingest.url + "/ingest/twilio/taskrouter"
    form, headers = twilio_form(fixture("twilio", "task_created"), url, token="wrong")
    connect = orjson.dumps(fixture("connect", "contact_queued"))
    answers = [
        ingest.post("/ingest/zendesk", body, zendesk_headers(body, "wrong")).status_code,
        ingest.post("/ingest/zendesk", body, {}).status_code,
        ingest.post("/ingest/twilio/taskrouter", form, headers).status_code,
        ingest.post("/ingest/connect", connect, {"Authorization": "Bearer nope"}).status_code,
        ingest.post("/ingest/events", b"{}", {}).status_code,
    ]
    assert answers == [401] * 5
    for name in topics.names.values():
        assert read_topic(broker.bootstrap, name, settle=0.2) == [], name
    own = ingest.metrics()
    refused = {
        s: sample(own, "kpiwatch_ingest_rejected_total", source=s, reason="signature")
        for s in ("zendesk", "twilio", "connect", "events")
    }
    assert refused == {"zendesk": 2, "twilio": 1, "connect": 1, "events": 1}
    log = ingest.log.read_text()
    for secret in (ZENDESK_SECRET, TWILIO_TOKEN, CONNECT_TOKEN, EVENTS_TOKEN):
        assert secret not in log


def test_own_events_lines_good_ones_written_bad_ones_dead_lettered(
    ingest: IngestProcess, broker: EmbeddedBroker, topics: Topics
) -> None:
    good = {
        "event_id": "e1",
        "type": "call.queued",
        "occurred_at": "2026-01-05T10:00:00Z",
        "call_id": "c1",
        "queue": "billing",
    }
    bad = b'{"event_id": "e2", "type": "call.queued", "call_id": "c2"}'
    body = orjson.dumps(good) + b"\n" + bad + b"\n"
    auth = {"Authorization": f"Bearer {EVENTS_TOKEN}"}
    r = ingest.post("/ingest/events", body, auth)
    assert r.status_code == 422
    assert r.json()["produced"] == 1
    assert r.json()["rejected"][0].startswith("line 2: missing fields: occurred_at, queue")
    (call,) = read_topic(broker.bootstrap, topics.names["calls"])
    assert (call.key, orjson.loads(call.value)) == (b"c1", good)
    (dead,) = read_topic(broker.bootstrap, topics.names["dead_letter"])
    assert dead.value == bad
    assert ingest.post("/ingest/events", orjson.dumps(good), auth).status_code == 200


def test_body_size_limit_probes_and_clean_metrics(ingest: IngestProcess, tmp_path: Path) -> None:
    huge = b"[" + b" " * (1_048_576 + 10) + b"]"
    auth = {"Authorization": f"Bearer {EVENTS_TOKEN}"}
    assert ingest.post("/ingest/events", huge, auth).status_code == 413
    assert httpx.get(ingest.url + "/healthz").status_code == 200
    assert httpx.get(ingest.url + "/readyz").status_code == 200
    own = ingest.metrics()
    promtool = require("promtool", apt="prometheus")
    check = subprocess.run(
        [promtool, "check", "metrics"], input=own, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert sample(own, "kpiwatch_ingest_rejected_total", source="events", reason="too_large") == 1
    assert sample(own, "kpiwatch_ingest_requests_total", source="events", code="413") == 1


def test_taskrouter_is_answered_well_within_its_time_limit(ingest: IngestProcess) -> None:
    url = ingest.url + "/ingest/twilio/taskrouter"
    took = []
    with httpx.Client() as client:  # one connection, as Twilio keeps one open
        for i in range(20):
            params = fixture("twilio", "task_created") | {"Sid": f"EVlatency{i}"}
            form, headers = twilio_form(params, url)
            began = time.monotonic()
            assert client.post(url, content=form, headers=headers).status_code == 204
            took.append(time.monotonic() - began)
    took.sort()
    print(
        "TaskRouter callback answered (broker-confirmed):"
        f" p50 {took[10] * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms"
    )
    assert took[-1] < 5.0  # Twilio allows 15 s


def test_rate_limit_429_unconfigured_vendor_404_port_taken_and_sigterm(
    broker: EmbeddedBroker, topics: Topics, tmp_path: Path
) -> None:
    # this test is about the rate limit: it sets one small enough to reach
    service = _start(broker, topics, tmp_path, {"rate_limit": {"per_second": 0.5, "burst": 3}})
    service.start()
    try:
        answers = [service.post("/ingest/events", b"", {}).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        r = service.post("/ingest/events", b"", {})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert service.post("/ingest/zendesk", b"{}", {}).status_code == 404
        taken = subprocess.run(
            [sys.executable, "-m", "stream", "ingest", "--config", str(service.config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert taken.returncode == 1, taken.stderr
        assert f"kpiwatch ingest: cannot listen on 127.0.0.1:{service.port}" in taken.stderr
        code, took = service.terminate()
        assert (code, took < 10) == (0, True), (code, took, service.tail())
    finally:
        service.stop()


def test_without_kafka_it_exits_1_saying_why(tmp_path: Path) -> None:
    # this test is about worker.startup_wait: a short one so the give-up comes quickly
    cfg = tmp_path / "ingest.yaml"
    cfg.write_text(
        f"kafka: {{bootstrap_servers: '127.0.0.1:{free_port()}'}}\nworker: {{startup_wait: 2s}}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "stream", "ingest", "--config", str(cfg), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "kpiwatch ingest: cannot reach Kafka at 127.0.0.1:" in proc.stderr


def test_firehose_delivery_of_agent_records_is_unwrapped_and_answered_its_way(
    ingest: IngestProcess, broker: EmbeddedBroker, topics: Topics
) -> None:
    good = fixture("connect", "agent_state_change")
    records = [orjson.dumps(good), orjson.dumps(fixture("connect", "agent_heart_beat")), b"{oops"]
    envelope = {
        "requestId": "ed4acda5-034f-9f42-bba1-f29aea6d7d8f",
        "timestamp": 1578090901599,
        "records": [{"data": base64.b64encode(r).decode()} for r in records],
    }
    headers = {"X-Amz-Firehose-Access-Key": CONNECT_TOKEN, "Content-Type": "application/json"}
    r = ingest.post("/ingest/connect", orjson.dumps(envelope), headers)
    assert r.status_code == 200
    assert r.json()["requestId"] == envelope["requestId"] and "errorMessage" not in r.json()
    (agent,) = read_topic(broker.bootstrap, topics.names["agents"])
    assert orjson.loads(agent.value)["status"] == "available"
    (dead,) = read_topic(broker.bootstrap, topics.names["dead_letter"])
    assert dead.value == b"{oops"
    wrong = {"X-Amz-Firehose-Access-Key": "nope"}
    assert ingest.post("/ingest/connect", orjson.dumps(envelope), wrong).status_code == 401
