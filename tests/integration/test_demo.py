"""`kpiwatch demo` starts everything and shows live KPIs within 30 s."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream.dev.broker import free_port

pytestmark = pytest.mark.integration


def test_demo_shows_live_kpis_within_30s(tmp_path: Path) -> None:
    env = {**os.environ, "KPIWATCH_DEMO_LOGS": str(tmp_path / "logs")}
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stream", "demo", "--port", str(free_port()), "--duration", "30"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.decode()
    assert proc.returncode == 0, text
    assert time.monotonic() - began < 90, "demo did not stop by itself"
    assert "metrics  http://127.0.0.1:" in text
    tables = text.split("KPIs per queue")[1:]
    assert tables, text
    rows = [ln.split() for t in tables for ln in t.splitlines()[2:] if ln.strip()]
    live = [r for r in rows if r[0] in ("billing", "refunds", "sales", "tech-support")]
    assert live, text  # at least one table with queue rows inside the 30 s
