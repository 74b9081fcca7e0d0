"""End to end on the embedded broker: vendor payloads → `kpiwatch ingest` → worker KPIs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.ingest.day import (
    ACCEPTED,
    CONNECT_DAY,
    CREATED,
    EXPECTED,
    FORGED,
    TASKROUTER_DAY,
    ZENDESK_DAY,
)
from tests.ingest.helpers import CONNECT_TOKEN, INGEST, twilio_form, zendesk_headers
from tests.ingest.process import IngestProcess, read_topic
from tests.support.worker import Topics, WorkerProcess, new_port, sample, write_config

pytestmark = pytest.mark.integration

TWILIO_PATH = "/ingest/twilio/taskrouter"


@pytest.fixture
def ingest(broker: EmbeddedBroker, topics: Topics, tmp_path: Path) -> Iterator[IngestProcess]:
    """Start `kpiwatch ingest` on this test's topics; stopped by PID after the test."""
    port = new_port()
    extra = {"ingest": {**INGEST, "host": "127.0.0.1", "port": port}}
    cfg = write_config(tmp_path / "ingest.yaml", broker.bootstrap, topics, new_port(), 2, extra)
    service = IngestProcess(cfg, tmp_path / "ingest.log", port)
    try:
        yield service.start()
    finally:
        service.stop()


def _zendesk(service: IngestProcess, event: dict[str, Any], secret: str | None = None) -> int:
    body = orjson.dumps(event)
    headers = zendesk_headers(body) if secret is None else zendesk_headers(body, secret)
    return service.post("/ingest/zendesk", body, headers).status_code


def _twilio(service: IngestProcess, params: dict[str, str]) -> int:
    body, headers = twilio_form(params, service.url + TWILIO_PATH)
    return service.post(TWILIO_PATH, body, headers).status_code


def _connect(service: IngestProcess, body: bytes) -> int:
    headers = {"Authorization": f"Bearer {CONNECT_TOKEN}", "Content-Type": "application/json"}
    return service.post("/ingest/connect", body, headers).status_code


def _mismatches(text: str) -> list[str]:
    return [
        f"{name}{labels}: {got} != {value}"
        for name, labels, value in EXPECTED
        if (got := sample(text, name, **labels)) != pytest.approx(value)
    ]


def test_a_scripted_day_of_vendor_payloads_gives_the_hand_computed_kpis(
    ingest: IngestProcess,
    start_worker: Callable[..., WorkerProcess],
    broker: EmbeddedBroker,
    topics: Topics,
) -> None:
    worker = start_worker(extra={"ingest": INGEST})
    began = time.monotonic()
    answers = [_zendesk(ingest, e) for e in ZENDESK_DAY]
    answers += [_twilio(ingest, p) for p in TASKROUTER_DAY]
    # Connect: a Firehose-style batch of JSON lines, then one event per request
    answers.append(_connect(ingest, b"\n".join(orjson.dumps(e) for e in CONNECT_DAY[:3])))
    answers += [_connect(ingest, orjson.dumps(e)) for e in CONNECT_DAY[3:]]
    # vendor retries: the same webhook again counts once
    retries = [_zendesk(ingest, CREATED), _twilio(ingest, ACCEPTED)]
    forged = _zendesk(ingest, FORGED, secret="not-the-signing-secret")
    posted_in = time.monotonic() - began
    assert answers == [200] * 3 + [204] * 6 + [200] * 5, answers
    assert retries == [200, 204]
    assert forged == 401

    # the KPIs settle before the retries are read (a duplicate changes no KPI): wait for both
    deadline = time.monotonic() + 90
    problems: list[str] = []
    duplicates = 0.0
    while time.monotonic() < deadline:
        text = worker.metrics()
        problems = _mismatches(text)
        duplicates = sum(
            v
            for k, v in _series(text, "kpiwatch_events_duplicate_total").items()
            if dict(k).get("topic") in topics.names.values()
        )
        if not problems and duplicates >= 2:
            break
        time.sleep(0.5)
    assert problems == [], "\n".join(problems) + "\n" + worker.tail()
    assert duplicates == 2
    own = ingest.metrics()
    assert sample(own, "kpiwatch_ingest_rejected_total", source="zendesk", reason="signature") == 1
    assert (
        sample(
            own, "kpiwatch_ingest_events_produced_total", source="connect", type="call.abandoned"
        )
        == 1
    )
    statuses = [
        orjson.loads(r.value)["status"]
        for r in read_topic(broker.bootstrap, topics.names["tickets"])
        if orjson.loads(r.value)["type"] == "ticket.status_changed"
    ]
    assert statuses == ["solved"]  # the forged PENDING never reached the topic
    print(f"posted the day in {posted_in:.2f}s")


def _series(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        tuple(sorted(s.labels.items())): float(s.value)
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
        if s.name == name
    }
