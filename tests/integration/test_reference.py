"""The worker on the embedded broker agrees with the reference model, value for value.

Seeded traffic (tests/reference/traffic.py: ≥ 5,000 events over 2.5 hours ending
now, 5 queues, every event type, duplicates, reordering, transfers, pauses,
reopens…) in three modes: live (produced in order while the worker runs), backlog
(everything into 4-partition topics first, then the worker starts) and crash (half,
SIGKILL, the other half, restart). The model is evaluated at the KPI clock of the
very scrape it is compared with (`kpiwatch_kpi_time_seconds`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.backlog import PARTITIONS, create_topics, produce
from tests.reference.compare import compare
from tests.reference.core import SETTINGS, body_events
from tests.reference.model import evaluate
from tests.reference.scrape import scrape
from tests.reference.traffic import Record, generate
from tests.support.worker import Topics, WorkerProcess, sample

pytestmark = pytest.mark.integration


def _total(text: str, *names: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
        if s.name in names
    )


def settle(w: WorkerProcess, records: int, timeout: float = 180) -> str:
    """Return a scrape once every record is in and nothing is left to read (twice in a row)."""
    deadline = time.monotonic() + timeout
    streak = 0
    text = ""
    while time.monotonic() < deadline:
        text = w.metrics()
        seen = _total(text, "kpiwatch_events_accepted_total", "kpiwatch_events_duplicate_total")
        lag = _total(text, "kpiwatch_consumer_lag_records")
        live = sample(text, "kpiwatch_catching_up") == 0
        streak = streak + 1 if seen >= records and lag == 0 and live else 0
        if streak >= 2:
            return w.metrics()
        time.sleep(1.0)
    ready = httpx.get(f"{w.url}/readyz", timeout=5).text
    raise AssertionError(f"not settled: seen {seen}/{records}, lag {lag}, {ready}\n{w.tail()}")


def check(text: str, records: list[Record], mode: str) -> None:
    now, got = scrape(text)
    compared, wrong = compare(evaluate(body_events(records), now, SETTINGS), got)
    print(f"\nreference check, {mode}: {len(records)} records, {compared} values compared")
    assert compared > 1000
    assert not wrong, f"{mode}: {len(wrong)} of {compared} differ:\n" + "\n".join(wrong[:30])


@pytest.mark.parametrize("mode", ["live", "backlog", "crash"])
def test_worker_matches_the_reference_model(
    mode: str,
    broker: EmbeddedBroker,
    topics: Topics,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    records = generate(seed=101, end=time.time(), hours=2.5, tickets=700, calls=1000)
    assert len(records) >= 5000
    run: Callable[[list[Record]], Any] = lambda rs: asyncio.run(  # noqa: E731
        produce(broker.bootstrap, topics, rs)
    )
    expect = len(records)  # records the last worker reads (not counting replays)
    if mode == "live":
        w = start_worker(partitions=PARTITIONS)
        step = len(records) // 10 + 1
        for i in range(0, len(records), step):
            run(records[i : i + step])
            time.sleep(0.5)
    elif mode == "backlog":
        asyncio.run(create_topics(broker.bootstrap, topics))
        run(records)
        w = start_worker(partitions=PARTITIONS)
    else:
        half = len(records) // 2
        first = start_worker(partitions=PARTITIONS, name="first")
        run(records[:half])
        settle(first, half)
        first.kill()  # SIGKILL
        run(records[half:])
        w = start_worker(partitions=PARTITIONS, name="second")
        expect -= half
    check(settle(w, expect), records, mode)
