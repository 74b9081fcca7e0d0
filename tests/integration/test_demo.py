"""`kpiwatch demo` runs through its billing incident: billing pages, nothing else does.

The demo is ended as a person ends it, with Ctrl-C (SIGINT to its process), once the
worker's API shows billing's page sent; `--duration` only caps a run that never pages.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from stream.dev.broker import free_port

pytestmark = pytest.mark.integration
RUN_S = 330  # the incident starts 60 s in; AbandonRateHigh holds 1 m over a 5 m window
SHOWN_S = 8  # after the page: group_wait 1 s, the screen polls every 2 s


def _billing_paged(port: int) -> bool:
    """Return whether the worker reports AbandonRateHigh on billing firing and notified."""
    try:
        reply = httpx.get(f"http://127.0.0.1:{port}/api/v1/alerts", timeout=5)
    except httpx.HTTPError:
        return False  # the worker is not up yet
    if reply.status_code != 200:
        return False
    return any(
        a["rule"] == "AbandonRateHigh"
        and a["labels"].get("queue") == "billing"
        and any(n["status"] == "firing" for n in a["notified"].values())
        for a in reply.json()["alerts"]
    )


@pytest.mark.timeout(RUN_S + 240)
def test_demo_incident_pages_billing_only_and_the_screen_shows_it(tmp_path: Path) -> None:
    env = {**os.environ, "KPIWATCH_DEMO_LOGS": str(tmp_path / "logs"), "COLUMNS": "160"}
    port = free_port()
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stream", "demo", "--port", str(port), "--duration", str(RUN_S)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        while proc.poll() is None and not _billing_paged(port):
            time.sleep(2)
        if proc.poll() is None:
            time.sleep(SHOWN_S)
            proc.send_signal(signal.SIGINT)  # Ctrl-C: the demo stops its children, then reports
        out, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.decode()
    assert proc.returncode == 0, text
    assert time.monotonic() - began < RUN_S + 120, "demo did not stop by itself"
    assert f"console http://127.0.0.1:{port}/" in text

    paged = re.search(r"^paged: (.*)$", text, re.M)
    assert paged, text
    fired = {tuple(p.split(" on ")) for p in paged.group(1).split(", ")}
    assert ("AbandonRateHigh", "billing") in fired, text
    assert {q for _, q in fired} == {"billing"}, text  # healthy queues never page

    # the last frame: every queue's KPIs, and the billing alert with its value
    for queue in ("billing", "refunds", "sales", "tech-support"):
        assert re.search(rf"│ {queue} +│", text), text
    row = next(ln for ln in text.splitlines() if "│ firing" in ln and "AbandonRateHigh" in ln)
    assert "billing" in row and "> 10.0%" in row and "ago" in row, row
