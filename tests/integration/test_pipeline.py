"""End to end on the embedded broker: scripted events → worker → exact /metrics."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from stream.dev.broker import EmbeddedBroker
from tests.integration.scenario import BAD, CONFIG, DUPLICATES, EVENTS, EXPECTED, FRT_P50
from tests.support.worker import Topics, WorkerProcess, produce, sample

pytestmark = pytest.mark.integration


def _records(topics: Topics, events: list[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    return [(topics.names[s], k, v) for s, k, v in events]


def _wait_for(
    w: WorkerProcess, name: str, value: float, timeout: float = 60.0, **labels: str
) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = w.metrics()
        if sample(text, name, **labels) == value:
            return text
        time.sleep(0.3)
    raise AssertionError(
        f"{name}{labels} never reached {value}; last:\n"
        + "\n".join(ln for ln in text.splitlines() if name in ln)
        + "\n"
        + w.tail()
    )


def _kpi_series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    skip = (
        "kpiwatch_events_",
        "kpiwatch_views_",
        "kpiwatch_state_",
        "kpiwatch_batch_",
        "kpiwatch_event_processing",
        "kpiwatch_consumer_lag",
        "kpiwatch_worker_",
        "kpiwatch_dead_letters",
        "kpiwatch_kpi_info",
        "kpiwatch_notification",
        "kpiwatch_alerts",
        "kpiwatch_config",
        "kpiwatch_catching_up",
        "kpiwatch_broker_",
        "kpiwatch_kpi_time_seconds",
    )
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name.startswith("kpiwatch_") and not s.name.startswith(skip):
                out[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    return out


def _mismatches(text: str) -> list[str]:
    out = [
        f"{name}{labels}: {got} != {value}"
        for name, labels, value in EXPECTED
        if (got := sample(text, name, **labels)) != pytest.approx(value)
    ]
    name, labels, value = FRT_P50
    if (got := sample(text, name, **labels)) != pytest.approx(value, rel=0.01):
        out.append(f"{name}{labels}: {got} != {value} (±1 %)")
    return out


def _lagging(text: str) -> list[str]:
    return [
        f"lag {dict(k[1])}: {v:g}"
        for k, v in _kpi_or_all(text).items()
        if k[0] == "kpiwatch_consumer_lag_records" and v > 0
    ]


def _wait_for_expected(w: WorkerProcess, timeout: float = 60.0) -> str:
    """Wait until the worker consumed everything and every expected value holds.

    Waiting on one or two series is not enough: records of the two input topics
    are consumed in no fixed order, so the last events may still be in flight.
    """
    deadline = time.monotonic() + timeout
    problems: list[str] = []
    while time.monotonic() < deadline:
        text = w.metrics()
        problems = _lagging(text) + _mismatches(text)
        if not problems:
            return text
        time.sleep(0.3)
    raise AssertionError("\n".join(problems) + "\n" + w.tail())


ACCEPTED = len(EVENTS)


def test_scenario_values_duplicates_and_dead_letters(
    broker: EmbeddedBroker, topics: Topics, start_worker: Callable[..., WorkerProcess]
) -> None:
    w = start_worker(extra=CONFIG)
    assert w.ready_after is not None and w.ready_after < 30, w.ready_after
    asyncio.run(produce(broker.bootstrap, _records(topics, EVENTS + DUPLICATES + BAD)))
    _wait_for_expected(w)
    deadline = time.monotonic() + 30
    while True:  # the duplicates and bad records may still be in flight
        text = w.metrics()
        dup, rej = (
            sum(v for (n, _), v in _kpi_or_all(text).items() if n == f"kpiwatch_events_{c}_total")
            for c in ("duplicate", "rejected")
        )
        if (dup, rej) == (2, 3) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (dup, rej) == (2, 3)
    assert _mismatches(text) == []
    dead = asyncio.run(_read_all(broker.bootstrap, topics.names["dead_letter"], 3))
    reasons = sorted(dict(h)["kpiwatch.reason"].decode() for h in (d[1] for d in dead))
    assert any("invalid JSON" in r for r in reasons), reasons
    assert any("queue" in r for r in reasons), reasons
    assert any("offset" in r for r in reasons), reasons
    assert sorted(d[0] for d in dead) == sorted(raw for _, _, raw in BAD)
    for _, headers in dead:
        h = dict(headers)
        assert h["kpiwatch.source.topic"].decode() in topics.names.values()
        int(h["kpiwatch.source.offset"])
    ids = [s for s in text.splitlines() if "ticket_id" in s or "call_id" in s or '"c1"' in s]
    assert ids == []


def _kpi_or_all(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    return out


async def _read_all(bootstrap: str, topic: str, n: int) -> list[tuple[bytes, list[Any]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    out: list[tuple[bytes, list[Any]]] = []
    try:
        deadline = time.monotonic() + 20
        while len(out) < n and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for msgs in batch.values():
                out.extend((m.value, list(m.headers)) for m in msgs)
    finally:
        await consumer.stop()
    return out


@pytest.mark.parametrize("instance_id", ["", "static-1"], ids=["dynamic", "static-member"])
def test_sigkill_and_restart_loses_and_doubles_nothing(
    broker: EmbeddedBroker,
    topics: Topics,
    start_worker: Callable[..., WorkerProcess],
    instance_id: str,
) -> None:
    env = {"KPIWATCH_INSTANCE_ID": instance_id}
    w = start_worker(extra=CONFIG, env=env)
    half = len(EVENTS) // 2
    asyncio.run(produce(broker.bootstrap, _records(topics, EVENTS[:half])))
    time.sleep(1.0)  # some of it processed, maybe not all flushed and committed
    w.kill()
    w2 = start_worker(extra=CONFIG, env=env)
    asyncio.run(produce(broker.bootstrap, _records(topics, EVENTS[half:] + DUPLICATES)))
    _wait_for_expected(w2)


def test_two_workers_expose_the_union_of_one(
    broker: EmbeddedBroker, topics: Topics, start_worker: Callable[..., WorkerProcess]
) -> None:
    events = list(EVENTS)
    for q in ("sales", "refunds", "tech"):  # more queues so both workers own some
        events += [
            (
                s,
                f"{k}-{q}",
                {
                    **v,
                    "event_id": f"{v['event_id']}-{q}",
                    ("call_id" if s == "calls" else "ticket_id"): f"{k}-{q}",
                    **({"queue": q} if "queue" in v else {}),
                },
            )
            for s, k, v in EVENTS
        ]
    a = start_worker(partitions=2, name="a", extra=CONFIG)
    b = start_worker(partitions=2, name="b", extra=CONFIG)
    asyncio.run(produce(broker.bootstrap, _records(topics, events)))
    deadline = time.monotonic() + 90
    problems = ["no scrape yet"]
    while problems and time.monotonic() < deadline:
        sa, sb = _kpi_series(a.metrics()), _kpi_series(b.metrics())
        assert not set(sa) & set(sb), "a series is exposed by both workers"
        problems = _union_problems({**sa, **sb})
        time.sleep(0.5)

    mine = {
        w: sorted({dict(k[1]).get("queue", "") for k in _kpi_series(w.metrics())}) for w in (a, b)
    }
    assert not problems, (
        "\n".join(problems) + f"\nqueues per worker: {list(mine.values())}"
        f"\n--- a ---\n{a.tail(25)}\n--- b ---\n{b.tail(25)}"
    )
    # the views topic has 2 partitions and the 4 queues hash to both: each worker owns some
    assert all(mine.values()), f"one worker owns every queue: {mine}"


def _union_problems(union: dict[Any, float]) -> list[str]:
    """Compare the union with what one worker exposes: the scenario's table, per queue."""
    out = []
    for q in ("billing", "sales", "refunds", "tech"):
        for name, labels, want in EXPECTED:
            wanted = {**labels, "queue": q}.items()
            got = next((v for (n, ls), v in union.items() if n == name and wanted <= set(ls)), None)
            if got != pytest.approx(want):
                out.append(f"{name}{dict(wanted)}: {got} != {want}")
    return out


def test_promtool_accepts_a_real_scrape(
    broker: EmbeddedBroker, topics: Topics, start_worker: Callable[..., WorkerProcess]
) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool missing: apt-get install prometheus (.ci/run does)")
    w = start_worker(extra=CONFIG)
    asyncio.run(produce(broker.bootstrap, _records(topics, EVENTS + BAD)))
    text = _wait_for(w, "kpiwatch_tickets_created", 5, queue="billing", window="1h")
    res = subprocess.run(
        [promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30
    )
    assert res.returncode == 0, res.stdout.decode() + res.stderr.decode()


def test_restart_restores_every_series_after_large_batches(
    broker: EmbeddedBroker, topics: Topics, start_worker: Callable[..., WorkerProcess]
) -> None:
    from datetime import UTC, datetime, timedelta

    from stream.dev.traffic import TrafficModel

    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    model = TrafficModel(seed=5, start=start, rate=3.0)
    events = [(r.stream, r.key, r.value) for r in model.events_until(start + timedelta(hours=1))]
    assert len(events) > 3000
    w = start_worker()
    asyncio.run(produce_fast(broker.bootstrap, _records(topics, events)))
    before = _settled(w, len(events))
    w.kill()
    w2 = start_worker()
    after = _settled(w2, 0)
    assert after == before


def _settled(w: WorkerProcess, accepted: int, timeout: float = 90) -> dict[Any, float]:
    """Return the KPI series once `accepted` events are in and two scrapes agree."""
    deadline = time.monotonic() + timeout
    last: dict[Any, float] | None = None
    while time.monotonic() < deadline:
        text = w.metrics()
        n = sum(
            v
            for (name, _), v in _kpi_or_all(text).items()
            if name in ("kpiwatch_events_accepted_total", "kpiwatch_events_duplicate_total")
        )
        series = _kpi_series(text)
        if n >= accepted and series and series == last:
            return series
        last = series
        time.sleep(1.0)
    raise AssertionError(f"worker did not settle\n{w.tail()}")


async def produce_fast(bootstrap: str, records: list[tuple[str, str, Any]]) -> None:
    """Produce many records in large batches."""
    import orjson
    from aiokafka import AIOKafkaProducer

    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=10, max_batch_size=1 << 20)
    await p.start()
    try:
        futs = [await p.send(t, orjson.dumps(v), key=k.encode()) for t, k, v in records]
        await asyncio.gather(*futs)
    finally:
        await p.stop()
