"""The wiring of `kpiwatch ingest`: config → topics → producer → HTTP app, until SIGTERM.

asyncio.run(serve(config))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry

from alerts.redaction import install_log_redaction
from stream.config.root import Config
from stream.ingest.delivery import DeliveryError, Outgoing
from stream.ingest.metrics import IngestMetrics
from stream.ingest.service import IngestService

if TYPE_CHECKING:
    from stream.kafka.ingest_producer import IngestProducer

log = logging.getLogger("kpiwatch.ingest")


class KafkaSink:
    """The HTTP side's `Sink` over the Kafka producer (errors translated here)."""

    def __init__(self, producer: IngestProducer) -> None:
        self.producer = producer

    async def send(self, records: Sequence[Outgoing], wait_s: float) -> None:
        """Write `records`; raise DeliveryError unless the broker confirms all in `wait_s`."""
        from stream.kafka.ingest_producer import ProduceError

        try:
            await self.producer.send(records, wait_s)
        except ProduceError as exc:
            raise DeliveryError(str(exc)) from exc

    def ready(self) -> bool:
        """Return whether the broker answered the last probe."""
        return self.producer.ready()


async def serve(config: Config) -> None:
    """Run the ingest service until SIGTERM or SIGINT; raise StartupError if Kafka is not there."""
    from stream.kafka.ingest_producer import IngestProducer
    from stream.kafka.setup import bootstrap_of, client_kwargs, ensure_topics

    install_log_redaction()  # secrets, URL userinfo and query strings never reach a log line
    await ensure_topics(config, wait_s=config.worker.startup_wait.total_seconds())
    producer = IngestProducer(
        bootstrap_of(config), f"{config.kafka.client_id}-ingest", **client_kwargs(config)
    )
    await producer.start()
    service = IngestService(
        config.ingest, config.kafka.topics, KafkaSink(producer), IngestMetrics(CollectorRegistry())
    )
    runner = web.AppRunner(service.app(), access_log=None)  # URLs may carry secrets
    try:
        await runner.setup()
        await _listen(runner, config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("ingest stopping")
    finally:
        await runner.cleanup()  # finishes requests in flight, then closes
        with contextlib.suppress(Exception):
            await producer.stop()


async def _listen(runner: web.AppRunner, config: Config) -> None:
    from stream.kafka.setup import StartupError

    host, port = config.ingest.host, config.ingest.port
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    served = [v for v in ("zendesk", "twilio", "connect") if getattr(config.ingest, v) is not None]
    log.info(
        "ingest listening on %s:%d (vendors: %s; own events: always)",
        host,
        port,
        ", ".join(served) or "none",
    )
