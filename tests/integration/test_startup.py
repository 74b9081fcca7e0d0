"""`kpiwatch run` says clearly why it cannot start, and exits non-zero."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream.dev.broker import free_port
from tests.support.worker import Topics, write_config

pytestmark = pytest.mark.integration


def test_unreachable_kafka_is_one_clear_line_after_the_startup_wait(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens there
    extra = {"worker": {"startup_wait": "2s"}}
    cfg = write_config(tmp_path / "w.yaml", bootstrap, Topics(), free_port(), extra=extra)
    began = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "stream", "run", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 1, res.stderr
    assert 2 <= time.monotonic() - began < 30
    last = res.stderr.splitlines()[-1]  # before it: the client's log line per failed attempt
    assert last.startswith(f"kpiwatch run: cannot reach Kafka at {bootstrap} within 2s"), last
    assert "Traceback" not in res.stderr, res.stderr
