"""SIGKILL under steady load, at random moments, three times: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.load import Load, caught_up, exact, totals, want
from tests.support.worker import Topics, WorkerProcess, new_port, write_config

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

KILLS = 3
MIN_EVENTS = 10_000


def _kill_group(w: WorkerProcess) -> None:
    """SIGKILL the worker's whole process group (it runs in its own session)."""
    proc = w.proc
    assert proc is not None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(20)
    w.proc = None


class _SameTopicsNewGroup(Topics):
    def __init__(self, base: Topics) -> None:
        super().__init__()
        self.base = base

    @property
    def names(self) -> dict[str, str]:
        return self.base.names


def test_three_sigkills_under_load_lose_and_double_nothing(
    broker: EmbeddedBroker,
    topics: Topics,
    start_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    w = start_worker()
    with Load(broker.bootstrap, topics.names, seed) as load:
        for _ in range(KILLS):
            time.sleep(rng.uniform(4.0, 16.0))  # a random moment of processing
            _kill_group(w)
            time.sleep(rng.uniform(0.0, 3.0))  # records keep arriving while it is down
            w.start()
        time.sleep(rng.uniform(5.0, 10.0))
        # restarts from a checkpoint are quick: keep the load on until it is a steady one
        deadline = time.monotonic() + 120
        while sum(load.produced.values()) <= MIN_EVENTS and time.monotonic() < deadline:
            time.sleep(0.5)
    assert load.error is None, load.error
    truth = load.produced
    assert sum(truth.values()) > MIN_EVENTS, truth  # steady load, not a trickle

    text = caught_up(w, truth, timeout=300)
    assert totals(text) == want(truth), f"seed {seed}: {totals(text)} != {want(truth)}"

    # every exact series (all queues and windows) equals a fresh worker that never died
    port = new_port()
    ref_cfg = write_config(
        tmp_path / "ref.yaml", broker.bootstrap, _SameTopicsNewGroup(topics), port
    )
    ref = WorkerProcess(ref_cfg, tmp_path / "ref-data", tmp_path / "ref.log", port)
    try:
        ref.start()
        ref_text = caught_up(ref, truth, timeout=300)
        text = w.metrics()
    finally:
        ref.kill()
    mine, theirs = exact(text), exact(ref_text)
    diff = {k: (mine.get(k), theirs.get(k)) for k in mine.keys() | theirs.keys()}
    diff = {k: v for k, v in diff.items() if v[0] != v[1]}
    assert diff == {}, f"seed {seed}: killed worker vs fresh worker differ: {diff}"
