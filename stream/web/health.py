"""/metrics, /healthz and /readyz on the worker.

    add_metrics(routes, Scraper(pipeline, registry, version))
    add_health(routes, processor, alerting.catch_up_status, probe)

/readyz is 200 once every table has recovered and while the broker answers the
probe; otherwise 503 with a `cause` naming why (docs/api.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from stream.exposition import Scraper
from stream.kafka.probe import BrokerProbe
from stream.kafka.processor import Processor
from stream.kafka.web import Reply, Request, Routes


def add_metrics(routes: Routes, scraper: Scraper) -> None:
    """Register /metrics, served by `scraper`."""

    async def metrics(request: Request) -> Reply:
        return Reply(await scraper.body(), content_type=CONTENT_TYPE_LATEST)

    routes.add("/metrics", get=metrics)


def add_health(
    routes: Routes,
    processor: Processor,
    catch_up: Callable[[], dict[str, Any]] = dict,
    broker: BrokerProbe | None = None,
) -> None:
    """Register /healthz and /readyz (which says live or catching up, and why not ready)."""

    async def healthz(request: Request) -> Reply:
        return Reply({"status": "ok"})

    async def readyz(request: Request) -> Reply:
        body = readiness(processor.ready, sorted(processor.recovered), broker)
        return Reply({**body, **catch_up()}, 200 if body["ready"] else 503)

    routes.add("/healthz", get=healthz)
    routes.add("/readyz", get=readyz)


def readiness(recovered: bool, tables: list[str], broker: BrokerProbe | None) -> dict[str, Any]:
    """Return the /readyz body: ready once state is recovered and the broker answers."""
    body: dict[str, Any] = {"ready": recovered, "recovered": tables}
    if broker is not None:
        since = datetime.fromtimestamp(broker.changed_at, UTC).isoformat()
        body["broker"] = {
            "up": broker.up,
            "since": since,
            **({"error": broker.error} if not broker.up else {}),
        }
        if not broker.up:
            body["ready"] = False
            body["cause"] = f"broker unreachable: {broker.error}"
    if "cause" not in body and not recovered:
        body["cause"] = "recovering state (partitions assigned, tables not yet rebuilt)"
    return body
