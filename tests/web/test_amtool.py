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
from tests.support.worker import Topics, WorkerProcess, produce
from tests.web.conftest import TOKEN, Sink, calls_waiting

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
    asyncio.run(produce(broker.bootstrap, [(topics.names[s], k, v) for s, k, v in EVENTS]))

    alerts = _wait_firing(w.url, auth)
    assert [(a["labels"]["alertname"], a["labels"]["queue"]) for a in alerts] == [
        ("CallsWaiting", "billing")
    ]
    assert alerts[0]["receivers"] == [{"name": "sink"}]
    assert alerts[0]["status"]["state"] == "active"
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
    status = httpx.get(f"{w.url}/api/v2/status", timeout=5).json()
    assert status["cluster"]["status"] == "ready"
    assert "CallsWaiting" in status["config"]["original"]
    assert sink.url not in status["config"]["original"]
