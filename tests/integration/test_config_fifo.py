"""A FIFO at the config path does not freeze the worker (issue 11 §6)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import httpx
import pytest

from tests.support.worker import WorkerProcess, sample

pytestmark = pytest.mark.integration


def test_a_fifo_replacing_the_config_is_refused_and_the_loop_keeps_serving(
    start_worker: Callable[..., WorkerProcess],
) -> None:
    w = start_worker()
    w.config.unlink()
    os.mkfifo(w.config)  # the watcher sees the change; nobody ever writes to the FIFO
    deadline = time.monotonic() + 30
    while sample(w.metrics(), "kpiwatch_config_last_reload_successful") != 0:
        assert time.monotonic() < deadline, w.tail()
        assert httpx.get(f"{w.url}/healthz", timeout=5).status_code == 200
        time.sleep(0.3)
    r = httpx.post(f"{w.url}/-/reload", timeout=10)
    assert r.status_code == 400 and "not a regular file (a FIFO)" in r.json()["error"], r.text
    assert httpx.get(f"{w.url}/healthz", timeout=5).status_code == 200
