"""The wiring of `kpiwatch ingest`: config → topics → producer → HTTP app, until SIGTERM.

asyncio.run(serve(config))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from prometheus_client import CollectorRegistry

from stream.config.root import Config
from stream.ingest.metrics import IngestMetrics
from stream.ingest.service import IngestService

log = logging.getLogger("kpiwatch.ingest")


async def serve(config: Config) -> None:
    """Run the ingest service until SIGTERM or SIGINT; raise StartupError if Kafka is not there."""
    from stream.kafka.ingest_producer import IngestProducer
    from stream.kafka.setup import bootstrap_of, client_kwargs, ensure_topics

    await ensure_topics(config, wait_s=config.worker.startup_wait.total_seconds())
    producer = IngestProducer(
        bootstrap_of(config), f"{config.kafka.client_id}-ingest", **client_kwargs(config)
    )
    await producer.start()
    service = IngestService(
        config.ingest, config.kafka.topics, producer, IngestMetrics(CollectorRegistry())
    )
    runner = web.AppRunner(service.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.ingest.host, config.ingest.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    served = ", ".join(
        v for v in ("zendesk", "twilio", "connect") if getattr(config.ingest, v) is not None
    )
    log.info(
        "ingest listening on %s:%d (vendors: %s; events always)",
        config.ingest.host,
        config.ingest.port,
        served or "none",
    )
    try:
        await stop.wait()
    finally:
        log.info("ingest stopping")
        await runner.cleanup()  # finishes requests in flight, then closes
        with contextlib.suppress(Exception):
            await producer.stop()
