"""Records that would corrupt KPIs quietly reach the dead-letter topic with a reason."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.scenario import at
from tests.integration.test_pipeline import _read_all
from tests.support.worker import Topics, WorkerProcess, produce, sample

pytestmark = pytest.mark.integration


def _created(tid: str, **kw: Any) -> dict[str, Any]:
    body = {"event_id": f"{tid}-c", "type": "ticket.created", "occurred_at": at(0)}
    fields = {"ticket_id": tid, "queue": "billing", "channel": "email", "priority": "high"}
    return {**body, **fields, **kw}


def test_foreign_keys_absurd_times_and_oversized_fields_are_dead_lettered(
    broker: EmbeddedBroker, topics: Topics, start_worker: Callable[..., WorkerProcess]
) -> None:
    w = start_worker()
    t = topics.names["tickets"]
    bad = [
        (t, "t-foreign", _created("t1")),  # created under a foreign key
        (t, "t2", _created("t2", occurred_at="1970-01-01T00:00:00Z")),
        (t, "t3", _created("t3", tags=["x"] * 51)),
        (t, "t4", _created("t4", padding="x" * 100_000)),
    ]
    good = [
        (t, "t1", {**_created("t1"), "event_id": "t1-own"}),
        (t, "t1", {"event_id": "t1-s", "type": "ticket.status_changed", "ticket_id": "t1",
                   "occurred_at": at(60), "status": "solved"}),
        (t, "t5", _created("t5")),
    ]  # fmt: skip
    asyncio.run(produce(broker.bootstrap, bad + good))
    dead = asyncio.run(_read_all(broker.bootstrap, topics.names["dead_letter"], len(bad)))
    reasons = sorted(dict(h)["kpiwatch.reason"].decode() for _, h in dead)
    assert len(reasons) == 4, reasons
    for expected in ("differs from ticket_id 't1'", "before 2000-01-01", "at most 50", "64 KiB"):
        assert any(expected in r for r in reasons), (expected, reasons)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # t1 is solved under its own key; t5 stays open
        labels = {"queue": "billing", "channel": "email", "priority": "high"}
        if sample(w.metrics(), "kpiwatch_open_tickets", **labels) == 1:
            break
        time.sleep(0.3)
    assert sample(w.metrics(), "kpiwatch_open_tickets", **labels) == 1, w.tail()
