"""Backtesting the integration scenario gives the alerts the live worker sent, at the same times.

The scenario's events (and the sales and answer events of test_alerting) are produced
to a real worker one event time at a time, in event-time order, waiting after each
step for the worker to apply them and evaluate; each notification the worker POSTs is
stamped with the event time of the step it followed. Then `backtest` reads the same
topics (from Kafka, by timestamp, no consumer group) with the same config, and must
have "sent" the same alerts, each at the same event time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import groupby
from typing import Any

import pytest

from stream.backtest.run import Plan, backtest
from stream.config.root import load_config
from stream.dev.broker import EmbeddedBroker
from stream.kafka.history import history_records
from tests.integration.scenario import EVENTS, T0, call
from tests.integration.test_alerting import alerting
from tests.support.sink import Sink
from tests.support.worker import Topics, WorkerProcess, produce, sample

pytestmark = pytest.mark.integration

MORE = [call(f"s{i}", f"s{i}-q", "call.queued", 250 + i, queue="sales") for i in range(3)] + [
    call("c5", "c5-a", "call.answered", 320, agent_id="a1"),
    call("c6", "c6-a", "call.answered", 330, agent_id="a1"),
]


def _total(text: str, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name
    )


def _settle(w: WorkerProcess, produced: int, timeout: float = 60) -> None:
    """Wait until the worker applied `produced` events and their views stopped moving."""
    deadline = time.monotonic() + timeout
    views = -1.0
    while time.monotonic() < deadline:
        text = w.metrics()
        done = _total(text, "kpiwatch_events_accepted_total")
        now_views = _total(text, "kpiwatch_views_applied_total")
        if done >= produced and now_views == views:
            time.sleep(1.5)  # evaluation rounds (500 ms) and the group interval (1 s)
            return
        views = now_views
        time.sleep(0.4)
    raise AssertionError(f"worker did not apply {produced} events\n{w.tail()}")


def test_backtest_sends_what_the_worker_sent_at_the_same_event_times(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    w = start_worker(extra=alerting(sink.url))
    events = sorted(EVENTS + MORE, key=lambda e: e[2]["occurred_at"])
    live: list[tuple[str, str, str]] = []
    produced = 0
    for when, step in groupby(events, key=lambda e: e[2]["occurred_at"]):
        batch = [(topics.names[s], k, v) for s, k, v in step]
        asyncio.run(produce(broker.bootstrap, batch))
        produced += len(batch)
        _settle(w, produced)
        got = [(a["status"], a["labels"]["queue"]) for b in sink.bodies for a in b["alerts"]]
        live += [(status, queue, when) for status, queue in got[len(live) :]]
    assert sample(w.metrics(), "kpiwatch_events_rejected_total") in (None, 0.0)
    at = lambda s: (T0 + timedelta(seconds=s)).isoformat()  # noqa: E731
    assert live == [
        ("firing", "billing", at(0)),  # c1 and c2 queued
        ("resolved", "billing", at(70)),  # c4 abandoned: none waiting
        ("firing", "billing", at(200)),  # c5 and c6 waiting
        ("firing", "sales", at(251)),
        ("resolved", "billing", at(330)),  # c6 answered
    ]

    config = load_config(w.config)
    start, end = T0 - timedelta(minutes=40), T0 + timedelta(minutes=10)
    doc = backtest(Plan(config, start, end, lambda since: history_records(config, since)))
    sent: list[tuple[str, str, str]] = []
    for n in doc["notifications"]:
        for a in n["alerts"]:
            status = "resolved" if a["kind"] == "resolved" else "firing"
            sent.append((status, a["labels"]["queue"], n["at"]))
    assert sent == live
    labels = {a["labels"]["queue"]: a["labels"] for n in doc["notifications"] for a in n["alerts"]}
    got_labels = {a["labels"]["queue"]: a["labels"] for b in sink.bodies for a in b["alerts"]}
    assert labels == got_labels
    assert doc["replay"]["events"]["accepted"] == len(events)


@pytest.fixture
def sink() -> Any:
    s = Sink()
    try:
        yield s
    finally:
        s.close()
