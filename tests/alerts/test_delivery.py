"""Receivers and the retry stage against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from alerts.config import WebhookReceiver
from alerts.metrics import NotifyMetrics
from alerts.notification import Notification
from alerts.pipeline import DeadLetter, ReceiverWorker
from alerts.receivers.base import Notifier
from alerts.receivers.webhook import WebhookNotifier
from alerts.retry import RetryPolicy

from .conftest import FakeClock, Sink
from .helpers import notification


class AlwaysDue:
    def __init__(self) -> None:
        self.recorded: list[tuple[str, str]] = []

    def due(self, n: Notification, notifier: Notifier) -> bool:
        return True

    def record(self, n: Notification, receiver: str, at: datetime) -> None:
        self.recorded.append((receiver, n.group_key))


class Harness:
    def __init__(self, sink: Sink, clock: FakeClock, client: httpx.AsyncClient, **cfg: Any):
        self.registry = CollectorRegistry()
        self.dead: list[DeadLetter] = []
        self.ledger = AlwaysDue()
        receiver = WebhookReceiver.model_validate(
            {
                "type": "webhook",
                "name": "hook",
                "url": sink.url + "/hook",
                "timeout": "300ms",
                **cfg,
            }
        )
        self.worker = ReceiverWorker(
            WebhookNotifier(receiver, client),
            RetryPolicy(max_attempts=receiver.max_attempts, initial_backoff=0.01, max_backoff=2.0),
            self.ledger,
            NotifyMetrics(self.registry),
            self._dead_letter,
            clock,
            queue_size=receiver.queue_size,
        )

    async def _dead_letter(self, record: DeadLetter) -> None:
        self.dead.append(record)

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, {"receiver": "hook", **labels}) or 0.0


@pytest.mark.parametrize(
    ("script", "attempts", "sent", "dead_reason"),
    [
        ([200], 1, True, None),
        ([500, 200], 2, True, None),
        ([503, 502, 500], 3, False, "http_5xx"),
        ([400], 1, False, "http_4xx"),
        ([404, 200], 1, False, "http_4xx"),
        ([("hang", 1.0), 200], 2, True, None),
        ([("hang", 1.0), ("hang", 1.0), ("hang", 1.0)], 3, False, "timeout"),
    ],
)
async def test_retry_policy_attempt_counts(
    sink: Sink,
    clock: FakeClock,
    client: httpx.AsyncClient,
    script: list[Any],
    attempts: int,
    sent: bool,
    dead_reason: str | None,
) -> None:
    sink.script = list(script)
    h = Harness(sink, clock, client, max_attempts=3)
    await h.worker.process(notification())
    assert len(sink.received) == attempts
    assert h.metric("kpiwatch_notifications_sent_total") == (1.0 if sent else 0.0)
    assert h.metric("kpiwatch_notification_retries_total") == attempts - 1
    assert h.ledger.recorded == ([("hook", notification().group_key)] if sent else [])
    if dead_reason is None:
        assert h.dead == []
        return
    [record] = h.dead
    assert (record.reason, record.attempts, record.receiver) == (dead_reason, attempts, "hook")
    assert record.payload["version"] == "4"
    data = json.loads(json.dumps(record.to_dict()))
    assert data["alerts"][0]["fingerprint"] == "0123456789abcdef"
    assert sink.url not in json.dumps(data)  # no URL (it may hold a token)
    assert h.metric("kpiwatch_notifications_dead_lettered_total", reason=dead_reason) == 1.0


async def test_429_honours_retry_after(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    sink.script = [(429, {"Retry-After": "1"}), 200]
    h = Harness(sink, clock, client)
    await h.worker.process(notification())
    first, second = sink.received
    assert second.at - first.at >= 0.95
    assert h.metric("kpiwatch_notifications_failed_total", reason="http_429") == 1.0
    assert h.metric("kpiwatch_notifications_sent_total") == 1.0


async def test_429_asking_too_long_goes_to_dead_letter(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    sink.script = [(429, {"Retry-After": "3600"})]
    h = Harness(sink, clock, client)
    await h.worker.process(notification())
    assert len(sink.received) == 1
    [record] = h.dead
    assert record.reason == "http_429" and "exceeds max_backoff" in record.detail


async def test_connection_refused_is_retried_then_dead_lettered(
    clock: FakeClock, client: httpx.AsyncClient
) -> None:
    closed = Sink(url="http://127.0.0.1:9")  # discard port: nothing listens
    h = Harness(closed, clock, client, max_attempts=2)
    await h.worker.process(notification())
    [record] = h.dead
    assert (record.reason, record.attempts) == ("connection", 2)


async def test_webhook_signature_and_custom_headers(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    h = Harness(sink, clock, client, hmac_secret="s3cret", headers={"X-Team": "ops"})
    await h.worker.process(notification())
    [req] = sink.received
    expected = hmac.new(b"s3cret", req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Kpiwatch-Signature"] == f"sha256={expected}"
    assert req.headers["X-Team"] == "ops"
    assert req.headers["Content-Type"] == "application/json"
    assert req.json()["status"] == "firing"


async def test_full_queue_drops_without_blocking(
    sink: Sink, clock: FakeClock, client: httpx.AsyncClient
) -> None:
    h = Harness(sink, clock, client, queue_size=1)
    assert h.worker.submit(notification())
    assert not h.worker.submit(notification())
    assert h.metric("kpiwatch_notifications_failed_total", reason="queue_full") == 1.0
    h.worker.start()
    await h.worker.join()
    await h.worker.stop()
    assert len(sink.received) == 1
