"""Steady synthetic load for the kill and shutdown tests, and how to read exact counts back."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families

from stream.dev.traffic import TrafficModel
from stream.kafka.producer import Producer
from stream.kpis.catalogue import KPIS
from tests.support.worker import WorkerProcess

RATE = 100.0  # new contacts/s: ~200–300 events/s once calls and tickets progress
EXACT = (
    *("tickets_created", "tickets_solved", "calls_offered", "calls_answered", "calls_abandoned"),
    *("open_tickets", "calls_waiting", "agents"),
)


class Load:
    """Produce the traffic model in real time from a thread; keep every confirmed record."""

    def __init__(self, bootstrap: str, topics: dict[str, str], seed: int) -> None:
        self.bootstrap, self.topics = bootstrap, topics
        self.model = TrafficModel(seed=seed, start=datetime.now(UTC), rate=RATE)
        self.produced: Counter[str] = Counter()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(60)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    async def _run(self) -> None:
        async with Producer(self.bootstrap, linger_ms=5) as producer:
            while not self.stop.is_set():
                records = self.model.events_until(datetime.now(UTC))
                await producer.send_all(
                    (self.topics[r.stream], r.key.encode(), orjson.dumps(r.value)) for r in records
                )
                self.produced.update(r.value["type"] for r in records)
                await asyncio.sleep(0.1)


def series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every series of a Prometheus text as (name, labels) → value."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    return out


def exact(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return the KPI series that must match exactly: counts, current state, sample counts."""
    metrics = {d.metric for d in KPIS.values()} - {"kpiwatch_occupancy"}  # grows with time
    names = {f"kpiwatch_{n}" for n in EXACT}
    names |= {f"{m}{suffix}" for m in metrics for suffix in ("_samples", "_count")}
    return {k: v for k, v in series(text).items() if k[0] in names}


def total(text: str, kpi: str, window: str = "24h") -> float:
    """Return a windowed KPI summed over queues."""
    return sum(
        v
        for (name, labels), v in series(text).items()
        if name == f"kpiwatch_{kpi}" and dict(labels).get("window") == window
    )


def lags(text: str) -> dict[str, float]:
    """Return the partitions whose consumer lag is not 0."""
    return {
        str(dict(labels)): v
        for (name, labels), v in series(text).items()
        if name == "kpiwatch_consumer_lag_records" and v
    }


def caught_up(w: WorkerProcess, truth: Counter[str], timeout: float) -> str:
    """Wait until lag is 0 everywhere, every produced ticket is counted, twice 1 s apart."""
    deadline = time.monotonic() + timeout
    last, text = "", ""
    while time.monotonic() < deadline:
        try:
            text = w.metrics()
        except httpx.HTTPError:  # a scrape slower than 5 s on a loaded machine: ask again
            time.sleep(1.0)
            continue
        done = not lags(text) and total(text, "tickets_created") >= truth["ticket.created"]
        if done and last and exact(last) == exact(text):
            return text
        last = text if done else ""
        time.sleep(1.0)
    raise AssertionError(
        f"never caught up: lag {lags(text)}; {totals(text)} != produced {want(truth)}\n" + w.tail()
    )


def totals(text: str) -> dict[str, float]:
    """Return the counts compared with what was produced."""
    return {k: total(text, k) for k in ("tickets_created", "calls_answered", "calls_abandoned")}


def want(truth: Counter[str]) -> dict[str, float]:
    """Return what `totals` must be for the produced event types."""
    return {
        "tickets_created": truth["ticket.created"],
        "calls_answered": truth["call.answered"],
        "calls_abandoned": truth["call.abandoned"],
    }
