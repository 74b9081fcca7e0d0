"""The real amtool against a real worker on the embedded broker (Alertmanager API v2)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.scenario import EVENTS
from tests.support.sink import Sink
from tests.support.worker import Topics, WorkerProcess, produce
from tests.web.conftest import TOKEN, calls_waiting

pytestmark = pytest.mark.integration


def _amtool(url: str, auth: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = ["amtool", f"--alertmanager.url={url}", "--no-version-check", *args]
    if auth is not None:
        cmd.insert(1, f"--http.config.file={auth}")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def _wait_firing(url: str, auth: Path, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = _amtool(url, auth, "-o", "json", "alert", "query")
        if out.returncode == 0 and (alerts := json.loads(out.stdout)):
            return list(alerts)
        time.sleep(0.3)
    raise AssertionError(f"amtool listed no alert: {out.stdout} {out.stderr}")


def test_amtool_alert_query_and_silence_round_trip(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    tmp_path: Path,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    if shutil.which("amtool") is None:
        if os.environ.get("CI"):
            raise AssertionError("amtool missing: install Debian's prometheus-alertmanager")
        pytest.skip("amtool not installed")
    auth = tmp_path / "amtool-http.yaml"
    auth.write_text(f"authorization:\n  type: Bearer\n  credentials: {TOKEN}\n")
    w = start_worker(extra=calls_waiting(sink.url))
    log = w.log.read_text()  # one start-up banner; faust's own start-up chatter is debug
    assert f"console http://127.0.0.1:{w.port}/, 1 rule(s), 1 receiver(s)" in log, log
    assert "[^Worker]" not in log, log
    asyncio.run(produce(broker.bootstrap, [(topics.names[s], k, v) for s, k, v in EVENTS]))

    alerts = _wait_firing(w.url, auth)
    assert [(a["labels"]["alertname"], a["labels"]["queue"]) for a in alerts] == [
        ("CallsWaiting", "billing")
    ]
    assert alerts[0]["receivers"] == [{"name": "sink"}]
    assert alerts[0]["status"]["state"] == "active"
    groups = httpx.get(f"{w.url}/api/v2/alerts/groups", timeout=5).json()
    assert [(g["labels"], g["receiver"]["name"], len(g["alerts"])) for g in groups] == [
        ({"alertname": "CallsWaiting", "queue": "billing"}, "sink", 1)
    ]
    assert httpx.get(f"{w.url}/api/v2/receivers", timeout=5).json() == [{"name": "sink"}]
    plain = _amtool(w.url, auth, "alert", "query", "queue=billing")
    assert "CallsWaiting" in plain.stdout, plain
    assert _amtool(w.url, auth, "alert", "query", "queue=sales").stdout.count("\n") <= 1

    # writes need the token (amtool shows the status: 401 is not in Alertmanager's spec)
    denied = _amtool(w.url, None, "silence", "add", "queue=billing", "--comment=x")
    assert denied.returncode != 0 and "status 401" in denied.stderr, denied

    added = _amtool(
        w.url, auth, "silence", "add", "alertname=CallsWaiting", "queue=~bill.*",
        "--comment=known incident", "--author=oncall", "--duration=1h",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    sid = added.stdout.strip()
    queried = _amtool(w.url, auth, "-o", "json", "silence", "query", "queue=~bill.*")
    listed = json.loads(queried.stdout)
    assert [s["id"] for s in listed] == [sid], queried
    assert listed[0]["createdBy"] == "oncall" and listed[0]["status"]["state"] == "active"
    assert {(m["name"], m["value"], m["isRegex"]) for m in listed[0]["matchers"]} == {
        ("alertname", "CallsWaiting", False),
        ("queue", "bill.*", True),
    }
    # the alert is now suppressed: hidden by default, listed with --silenced
    assert _amtool(w.url, auth, "-o", "json", "alert", "query").stdout.strip() == "[]"
    muted = json.loads(_amtool(w.url, auth, "-o", "json", "alert", "query", "-s").stdout)
    assert muted[0]["status"] == {"state": "suppressed", "silencedBy": [sid], "inhibitedBy": []}

    expired = _amtool(w.url, auth, "silence", "expire", sid)
    assert expired.returncode == 0, expired.stderr
    assert _amtool(w.url, auth, "-o", "json", "silence", "query").stdout.strip() == "[]"
    gone = httpx.get(f"{w.url}/api/v2/silence/{sid}", timeout=5).json()
    assert gone["status"]["state"] == "expired"
    assert _wait_firing(w.url, auth)[0]["status"]["state"] == "active"
    # a bad request: one readable line per problem, the same shape on v1 and v2
    auth_header = {"Authorization": f"Bearer {TOKEN}"}
    for path in ("/api/v1/silences", "/api/v2/silences"):
        bad = httpx.post(f"{w.url}{path}", content=b"{}", headers=auth_header, timeout=5)
        assert bad.status_code == 400, bad.text
        body = bad.json()
        assert len(body["problems"]) == 4 and body["error"] == "; ".join(body["problems"])
        assert all("Field required" in p for p in body["problems"][1:]), body
    status = httpx.get(f"{w.url}/api/v2/status", timeout=5).json()
    assert status["cluster"]["status"] == "ready"
    assert "CallsWaiting" in status["config"]["original"]
    assert sink.url not in status["config"]["original"]
