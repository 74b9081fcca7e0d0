"""SIGTERM and SIGINT under load: exit 0 within 10 s; a restart counts everything once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.load import Load, caught_up, totals, want
from tests.support.worker import Topics, WorkerProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

STOP_WITHIN_S = 10.0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_worker_cleanly_and_a_restart_counts_everything_once(
    broker: EmbeddedBroker,
    topics: Topics,
    start_worker: Callable[..., WorkerProcess],
    sig: signal.Signals,
) -> None:
    w = start_worker()
    with Load(broker.bootstrap, topics.names, seed=int(sig)) as load:
        time.sleep(8.0)  # mid-stream: batches in flight, offsets not yet committed
        proc = w.proc
        assert proc is not None
        began = time.monotonic()
        proc.send_signal(sig)  # what `docker stop` / Ctrl-C send to the worker
        try:
            code = proc.wait(30)
        finally:
            took = time.monotonic() - began
        w.proc = None
        assert code == 0, f"exit code {code} after {sig.name}:\n{w.tail()}"
        assert took <= STOP_WITHIN_S, f"{sig.name} took {took:.1f} s:\n{w.tail()}"
        print(f"{sig.name} under load: exit 0 in {took:.1f} s")
        assert "alerting stopped" in w.log.read_text(errors="replace"), w.tail()  # client closed
        w.start()
        time.sleep(3.0)
    assert load.error is None, load.error
    text = caught_up(w, load.produced, timeout=300)
    assert totals(text) == want(load.produced)
    log = w.log.read_text(errors="replace")
    assert "Crashed" not in log and "StopAsyncIteration" not in log, w.tail(80)
