"""Alerting.stop at SIGTERM: stop notifying, persist the alert state, then close the client."""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry

from stream.alerting import Alerting
from stream.app import build_pipeline
from stream.config.root import Config
from stream.kafka.outbox import Outbox
from stream.kafka.writer import ALERT_PREFIX
from stream.pipeline.batch import Record
from stream.pipeline.stages import Dirty


class Sink:
    """Where the outbox's writes land: records each with whether the client was still open."""

    def __init__(self, alerting: list[Alerting]) -> None:
        self.alerting = alerting
        self.persisted: list[tuple[str, list[Dirty], bool]] = []

    async def persist(self, table_name: str, state: list[Dirty]) -> None:
        self.persisted.append((table_name, state, not self.alerting[0].client.is_closed))

    async def dead_letter(self, value: bytes, reason: str) -> None:
        raise AssertionError("no dead letter expected")


def _config(url: str) -> Config:
    return Config.model_validate(
        {
            "receivers": [{"name": "hang", "type": "webhook", "url": url}],
            "rules": [
                {
                    "name": "waiting",
                    "kpi": "calls_waiting",
                    "op": ">=",
                    "threshold": 1,
                    "receivers": ["hang"],
                    "group_wait": "0s",
                }
            ],
        }
    )


def _queue_a_call(alerting: Alerting) -> None:
    p = alerting.pipeline
    now = datetime.now(UTC).isoformat()
    ev = {"event_id": "c1-1", "type": "call.queued", "occurred_at": now, "call_id": "c1"}
    out = p.process_events(
        "calls", [Record("calls", 0, 1, b"c1", orjson.dumps({**ev, "queue": "q"}))]
    )
    parts = alerting.config.kafka.partitions
    views = [
        Record("views", zlib.crc32(v.queue.encode()) % parts, 0, None, v.encode())
        for v in out.views
    ]
    p.process_views(views)


async def test_stop_cuts_deliveries_persists_alert_state_then_closes_the_client() -> None:
    import httpx

    arrived = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        arrived.set()
        await asyncio.sleep(3600)  # a receiver that never answers
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.5)  # the hanging handler is cut
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    holder: list[Alerting] = []
    sink, outbox = Sink(holder), Outbox()
    serving = asyncio.create_task(outbox.serve(sink))
    try:
        config = _config(f"http://127.0.0.1:{port}/hook")
        registry = CollectorRegistry()
        alerting = Alerting(
            config,
            None,
            build_pipeline(config, registry),
            registry,
            clock=lambda: datetime.now(UTC),
            client=httpx.AsyncClient(timeout=10.0),
            outbox=outbox,
        )
        holder.append(alerting)
        await alerting.start()
        _queue_a_call(alerting)
        assert alerting.engine is not None
        alerting.engine.evaluate(alerting.pipeline.snapshot())  # fires; its state not yet taken
        await asyncio.wait_for(arrived.wait(), 10)  # a delivery is in flight, hanging

        await asyncio.wait_for(alerting.stop(), 5)  # the hanging delivery does not hold it

        assert alerting.client.is_closed
        written = [(t, [k for _, k, _ in state], open_) for t, state, open_ in sink.persisted]
        assert written == [("queues", [ALERT_PREFIX + k for k in _fingerprints(alerting)], True)]
        assert alerting.evaluate() == []  # stopped: nothing evaluated, nothing enqueued
    finally:
        serving.cancel()
        await runner.cleanup()


def _fingerprints(alerting: Alerting) -> list[Any]:
    assert alerting.engine is not None
    return [a["fingerprint"] for a in alerting.engine.alerts_json()]
