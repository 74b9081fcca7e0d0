"""`kpiwatch demo` runs through its billing incident: billing pages, nothing else does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream.dev.broker import free_port

pytestmark = pytest.mark.integration
RUN_S = 330  # the incident starts 60 s in; AbandonRateHigh holds 1 m over a 5 m window


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
        out, _ = proc.communicate(timeout=RUN_S + 180)
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
