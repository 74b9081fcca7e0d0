"""`kpiwatch ingest` redacts its log: configured secrets, URL userinfo and query strings."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.ingest.helpers import INGEST
from tests.ingest.process import IngestProcess
from tests.support.worker import Topics, new_port, write_config

pytestmark = pytest.mark.integration

TOKEN = "ingest-events-token-9f3c1a"  # the events bearer token, given as ${INGEST_TEST_TOKEN}
PASSWORD = "userinfo-pw-77d2"
QUERY = "query-token-5e8b"


def test_a_secret_echoed_into_an_ingest_log_line_is_redacted(
    broker: EmbeddedBroker, topics: Topics, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_TEST_TOKEN", TOKEN)  # the child inherits it
    port = new_port()
    section = {**INGEST, "events": {"token": "${INGEST_TEST_TOKEN}"}}
    extra = {"ingest": {**section, "host": "127.0.0.1", "port": port}}
    cfg = write_config(tmp_path / "ingest.yaml", broker.bootstrap, topics, new_port(), 2, extra)
    service = IngestProcess(cfg, tmp_path / "ingest.log", port)
    try:
        service.start()
        # an unmappable event is logged with its reason, which quotes the bad type
        kind = f"{TOKEN} https://bob:{PASSWORD}@hooks.example/x?token={QUERY}"
        body = orjson.dumps({"type": kind, "event_id": "e1"})
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        reply = service.post("/ingest/events", body, headers)
        assert reply.status_code == 422, reply.text
    finally:
        service.stop()
    log = service.log.read_text(errors="replace")
    assert "unmappable, dead-lettered" in log, log  # the line that quotes the input was written
    assert "${INGEST_TEST_TOKEN} https://***@hooks.example/x?***" in log, log
    leaks = [s for s in (TOKEN, PASSWORD, QUERY) if s in log]
    assert leaks == [], log
