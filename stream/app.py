"""Wiring: config → topics → pipeline → faust worker → HTTP endpoints.

The only module that builds real clients, registries and clocks; everything it
wires is injectable elsewhere.

    config = load_config("config/kpiwatch.yaml")
    run_worker(config, data_dir="/var/lib/kpiwatch")
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import faust
import httpx
from prometheus_client import (
    CollectorRegistry,
    Info,
    disable_created_metrics,
)

from alerts.redaction import install_log_redaction
from stream.alerting import Alerting
from stream.config.kpi_params import kpi_info
from stream.config.root import Config
from stream.core import build_stages
from stream.events.models import STREAMS
from stream.exposition import Scraper
from stream.kafka.app import KafkaSpec, make_app
from stream.kafka.internals import committed_offsets
from stream.kafka.outbox import Outbox
from stream.kafka.probe import BrokerProbe
from stream.kafka.processor import Processor
from stream.kafka.setup import (
    bootstrap_of,
    client_kwargs,
    ensure_topics,
    faust_credentials,
    silences_topic,
)
from stream.kafka.silence_log import SilenceLog
from stream.kafka.web import Routes
from stream.metrics import (
    PipelineMetrics,
    broker_collector,
    catching_up_collector,
    lag_collector,
    lag_of,
)
from stream.pipeline.batch import Pipeline
from stream.pipeline.catchup import CatchUp
from stream.web.api import add_alerting
from stream.web.guard import install_guard
from stream.web.health import add_health, add_metrics
from stream.web.routes import add_web

log = logging.getLogger("kpiwatch.app")
disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series only add noise to every counter


def build_pipeline(config: Config, registry: CollectorRegistry) -> Pipeline:
    """Return the pure pipeline for `config`, its metrics registered in `registry`."""
    if config.allowed_lateness is not None:
        log.warning(
            "allowed_lateness is retired and ignored: every fact counts in each window that"
            " still holds its time (docs/kpis.md); remove it from the config"
        )
    entity, queues = build_stages(config, config.limits.per_partition(config.kafka.partitions))
    pipeline = Pipeline(
        entity,
        queues,
        PipelineMetrics(registry),
        live_threshold=config.replay_threshold.total_seconds(),
        max_future_skew=config.max_future_skew.total_seconds(),
        topics={s: getattr(config.kafka.topics, s) for s in STREAMS},
    )
    # KPI series are rendered by stream.exposition.scrape (not a registry collector):
    # the snapshot is read on the loop in slices and rendered in a thread
    Info("kpiwatch_kpi", "How the KPIs are defined (SPEC §2 parameters).", registry=registry).info(
        kpi_info(config)
    )
    return pipeline


@dataclass
class Service:
    """A built worker: the faust app, the processor binding it, pipeline and registry."""

    app: faust.App
    processor: Processor
    pipeline: Pipeline
    registry: CollectorRegistry


def kafka_spec(
    config: Config, source_partitions: dict[str, int], data_dir: str | None = None
) -> KafkaSpec:
    """Return how the worker talks to Kafka for `config`."""
    k = config.kafka
    data_dir = data_dir or tempfile.mkdtemp(prefix="kpiwatch-")
    w = config.worker
    return KafkaSpec(
        app_id=k.client_id,
        bootstrap=bootstrap_of(config),
        topics={s: getattr(k.topics, s) for s in STREAMS},
        dead_letter=k.topics.dead_letter,
        views_topic=f"{k.client_id}-views",
        partitions=k.partitions,
        source_partitions=source_partitions,
        data_dir=data_dir,
        web_host=config.http.host,
        web_port=config.http.port,
        broker_credentials=faust_credentials(config),
        client_kwargs=client_kwargs(config),
        replication_factor=k.replication_factor,
        checkpoint_dir=str(Path(data_dir) / w.checkpoint_dir) if w.checkpoints else None,
        checkpoint_interval=w.checkpoint_interval.total_seconds(),
    )


def build_service(
    config: Config, data_dir: str | None = None, config_path: Path | None = None
) -> Service:
    """Build the whole worker for `config` (creates missing topics first)."""
    wait_s = config.worker.startup_wait.total_seconds()
    spec = kafka_spec(config, asyncio.run(ensure_topics(config, wait_s)), data_dir)
    registry = CollectorRegistry()
    pipeline = build_pipeline(config, registry)
    app = make_app(spec)
    consumed = {*spec.topics.values(), spec.views_topic}  # not the assignor's, nor changelogs
    catch_up = CatchUp(lambda: {tp: o for tp, o in offsets(app).items() if tp[0] in consumed})
    outbox = Outbox()  # alerting writes through it; the processor serves it
    alerting = Alerting(
        config,
        config_path,
        pipeline,
        registry,
        clock=lambda: datetime.now(UTC),
        client=httpx.AsyncClient(timeout=10.0),
        outbox=outbox,
        silence_log=SilenceLog(spec.bootstrap, silences_topic(config), client_kwargs(config)),
        catch_up=catch_up,
    )
    processor = Processor(app, spec, pipeline, listener=alerting, outbox=outbox)
    probe = BrokerProbe(spec.bootstrap, client_kwargs(config))
    lag = lambda: consumer_lag(app, probe.ends)  # noqa: E731
    registry.register(lag_collector(lag))
    registry.register(broker_collector(lambda: probe.up))
    registry.register(catching_up_collector(alerting.is_catching_up))
    routes = Routes(app)
    routes.task(lambda: probe.run(lambda: list(offsets(app))))
    add_metrics(routes, Scraper(pipeline, registry, lambda: alerting.kpi_changes))
    add_health(routes, processor, alerting.catch_up_status, probe)
    interval = config.worker.evaluation_interval.total_seconds()
    add_alerting(routes, alerting, lambda: processor.ready, interval)
    add_web(routes, processor, alerting, lag)
    install_guard(routes, lambda: alerting.config.http.auth_token is not None)
    return Service(app, processor, pipeline, registry)


def consumer_lag(
    app: faust.App, ends: dict[tuple[str, int], int] | None = None
) -> dict[tuple[str, int], int]:
    """Return end − committed offset per consumed partition (empty before assignment)."""
    return lag_of(offsets(app), ends or {})


def offsets(app: faust.App) -> dict[tuple[str, int], tuple[int, int | None]]:
    """Return (committed offset, highwater or None before a fetch) per consumed partition.

    Committed is what survives a crash, and only processed records are committed.
    Changelog partitions are assigned for recovery only and never committed: left out,
    they would show as lag that never drains.
    """
    out: dict[tuple[str, int], tuple[int, int | None]] = {}
    try:
        consumer = app.consumer
        changelogs = app.tables.changelog_topics
        committed = committed_offsets(app)
        for tp in consumer.assignment():
            if tp.topic in changelogs:
                continue
            done = committed.get(tp) or 0
            out[(tp.topic, tp.partition)] = (done, consumer.highwater(tp))
    except Exception:  # the consumer may not exist yet; lag is best-effort
        return {}
    return out


def quiet_http_client_logs() -> None:
    """Keep httpx from logging request URLs: a Slack webhook URL is a secret."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_worker(
    config: Config,
    data_dir: str | None = None,
    loglevel: str = "info",
    config_path: Path | None = None,
) -> None:
    """Run the worker until SIGTERM/SIGINT."""
    quiet_http_client_logs()
    install_log_redaction()
    service = build_service(config, data_dir, config_path)
    faust.Worker(service.app, loglevel=loglevel, quiet=True).execute_from_commandline()
