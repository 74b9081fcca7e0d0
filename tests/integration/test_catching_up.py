"""No page from history: a backlog read on start pages only for what is still going on.

Everything is on the 4-partition input topics before the worker starts: three hours
of traffic (several batches per partition), an abandon-rate incident in `past` from
two hours to 40 minutes ago and one in `now` that is still going on. A real worker
reads it as a backlog; a real webhook receiver on loopback records what it is sent.
Without the hold on notifications while catching up, `past` pages (checked).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.backlog import PARTITIONS, create_topics, produce
from tests.reference.traffic import Record
from tests.support.sink import Sink
from tests.support.worker import Topics, WorkerProcess, sample

pytestmark = pytest.mark.integration


def config(url: str) -> dict[str, Any]:
    return {
        "receivers": [{"name": "sink", "type": "webhook", "url": url, "send_resolved": True}],
        "rules": [
            {
                "name": "AbandonRateHigh",
                "kpi": "abandon_rate",
                "window": "15m",
                "op": ">",
                "threshold": 0.5,
                "for": "0s",
                "severity": "critical",
                "receivers": ["sink"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            }
        ],
    }


def calls(
    queue: str, start: float, end: float, every: float, abandon: bool, tag: str = ""
) -> list[Record]:
    """Return calls queued every `every` s in [start, end), answered after 10 s or abandoned."""
    out: list[Record] = []
    t, n = start, 0
    while t < end:
        cid = f"{queue}{tag}-{n}"
        out.append(_call(cid, t, "call.queued", queue=queue))
        if abandon:
            out.append(_call(cid, t + 60, "call.abandoned"))
        else:
            out.append(_call(cid, t + 10, "call.answered", agent_id="a1"))
        t, n = t + every, n + 1
    return out


def _call(cid: str, at: float, type_: str, **fields: Any) -> Record:
    stamp = datetime.fromtimestamp(at, UTC).isoformat()
    body = {"event_id": f"{cid}-{type_}", "type": type_, "occurred_at": stamp, "call_id": cid}
    return ("calls", cid, {**body, **fields})


def test_an_incident_over_before_now_pages_nobody_one_still_going_pages_once(
    broker: EmbeddedBroker,
    topics: Topics,
    sink: Sink,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    now = time.time()
    minute = 60.0
    records = [
        *calls("calm", now - 180 * minute, now - 2 * minute, 1.0, abandon=False),
        *calls("past", now - 180 * minute, now - 2 * minute, 30.0, abandon=False),
        *calls("past", now - 120 * minute, now - 41 * minute, 5.0, abandon=True, tag="i"),
        *calls("now", now - 180 * minute, now - 12 * minute, 30.0, abandon=False),
        *calls("now", now - 11 * minute, now - 2 * minute, 5.0, abandon=True, tag="i"),
    ]
    records.sort(key=lambda r: r[2]["occurred_at"])
    assert len(records) > 20_000
    asyncio.run(create_topics(broker.bootstrap, topics))
    asyncio.run(produce(broker.bootstrap, topics, records))

    w = start_worker(partitions=PARTITIONS, extra=config(sink.url))
    seen_catching_up = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = httpx.get(f"{w.url}/readyz", timeout=5).json()
        seen_catching_up |= body["catching_up"]
        if not body["catching_up"]:
            break
        time.sleep(0.1)
    assert seen_catching_up, "a backlog of 20,000 records was never reported as catching up"
    assert body["mode"] == "live", body

    fired = sink.wait("firing", "now", timeout=30)
    time.sleep(5)  # several evaluation rounds and group intervals
    assert sink.alerts("firing", "past") == [] and sink.alerts("resolved", "past") == []
    assert len(sink.alerts("firing", "now")) == 1, sink.bodies
    starts = datetime.fromisoformat(fired["startsAt"]).timestamp()
    assert now - 11 * minute <= starts <= time.time(), fired["startsAt"]

    api = httpx.get(f"{w.url}/api/v1/alerts", timeout=5).json()
    assert api["catching_up"] is False
    assert [a["labels"]["queue"] for a in api["alerts"] if a["state"] == "firing"] == ["now"]
    assert sample(w.metrics(), "kpiwatch_catching_up") == 0
