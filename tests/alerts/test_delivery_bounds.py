"""Delivery bounds: concurrent deliveries per receiver, one dead letter per notification,
no echoed secret in an error detail (real HTTP server on loopback)."""

from __future__ import annotations

import dataclasses
import time

import httpx

from alerts.redaction import REDACTOR

from .conftest import FakeClock, Sink
from .helpers import notification, view
from .test_delivery import Harness


async def test_a_hanging_receiver_does_not_serialize_deliveries(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    sink.script = [("hang", 1.0)] * 4
    h = Harness(sink, clock, client, timeout="5s", max_attempts=1)
    for i in range(4):
        n = notification(view(fingerprint=f"fp{i}"))
        assert h.worker.submit(dataclasses.replace(n, group_key=f"group-{i}"))
    began = time.monotonic()
    h.worker.start()
    await h.worker.join()
    await h.worker.stop()
    assert len(sink.received) == 4
    assert time.monotonic() - began < 2.5  # four 1 s hangs in parallel, not 4 s in a row


async def test_one_group_is_delivered_in_order(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    sink.script = [("hang", 0.3), 200, 200]
    h = Harness(sink, clock, client, timeout="5s", max_attempts=1)
    statuses = ["firing", "resolved", "firing"]
    for i, status in enumerate(statuses):
        h.worker.submit(notification(view(status=status, value=float(i))))
    h.worker.start()
    await h.worker.join()
    await h.worker.stop()
    got = [r.json()["alerts"][0]["status"] for r in sink.received]
    assert got == statuses
    gaps = [b.at - a.at for a, b in zip(sink.received, sink.received[1:], strict=False)]
    assert gaps[0] >= 0.25  # the second waited for the first to finish


async def test_a_notification_is_dead_lettered_once_across_flushes(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    sink.script = [400, 400, 400, 200, 400]
    h = Harness(sink, clock, client, max_attempts=1)
    n = notification()
    for _ in range(3):  # three group flushes find it still due
        await h.worker.process(n)
    assert len(sink.received) == 3
    assert len(h.dead) == 1
    assert h.metric("kpiwatch_notifications_dead_lettered_total", reason="http_4xx") == 1.0
    await h.worker.process(n)  # delivered after all: a later failure is news again
    await h.worker.process(n)
    assert len(h.dead) == 2


async def test_an_echoing_receiver_leaks_no_secret_into_errors(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    REDACTOR.add({"hdr-Secret-0451": "${API_KEY}", "hmac-Secret-0451": "${HMAC_KEY}"})
    sink.script = [("echo", 403, "hmac-Secret-0451")]
    h = Harness(
        sink,
        clock,
        client,
        max_attempts=1,
        headers={"X-Api-Key": "hdr-Secret-0451"},
        hmac_secret="hmac-Secret-0451",
        url=sink.url + "/hook?token=query-Secret-0451",
    )
    await h.worker.process(notification())
    [dead] = h.dead
    assert "query-Secret-0451" in sink.received[0].path or sink.received  # it was sent
    for secret in ("hdr-Secret-0451", "hmac-Secret-0451", "query-Secret-0451"):
        assert secret not in dead.detail, dead.detail
    assert "${API_KEY}" in dead.detail and "${HMAC_KEY}" in dead.detail
