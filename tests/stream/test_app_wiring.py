"""Config → faust/aiokafka wiring that needs no broker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import faust
import pytest

from stream.config.root import Config
from stream.core import window_factory, window_retention
from stream.kafka.setup import faust_credentials
from stream.kpis.windows import SlidingWindow, TodayWindow


def _config(security: dict[str, object] | None) -> Config:
    kafka: dict[str, object] = {"bootstrap_servers": "k:9092"}
    if security is not None:
        kafka["security"] = security
    return Config.model_validate({"kafka": kafka})


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (None, type(None)),
        ({"security_protocol": "PLAINTEXT"}, type(None)),
        ({"security_protocol": "SSL"}, faust.SSLCredentials),
        (
            {
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_username": "kpi",
                "sasl_password": "s3cret",
            },
            faust.SASLCredentials,
        ),
        (
            {
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "PLAIN",
                "sasl_username": "kpi",
                "sasl_password": "s3cret",
            },
            faust.SASLCredentials,
        ),
    ],
)
def test_security_becomes_faust_credentials(
    security: dict[str, object] | None, expected: type
) -> None:
    assert isinstance(faust_credentials(_config(security)), expected)


def test_sasl_credentials_carry_mechanism_and_user() -> None:
    creds = faust_credentials(
        _config(
            {
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-256",
                "sasl_username": "kpi",
                "sasl_password": "s3cret",
            }
        )
    )
    assert creds.username == "kpi" and creds.password == "s3cret"
    assert str(creds.mechanism.value) == "SCRAM-SHA-256"


def test_windows_and_window_retention_follow_config() -> None:
    cfg = Config.model_validate(
        {"windows": ["5m", "1h", "today"], "allowed_lateness": "10m", "timezone": "Europe/Paris"}
    )
    windows = window_factory(cfg)()
    assert isinstance(windows["5m"], SlidingWindow) and windows["5m"].span == 300
    assert isinstance(windows["today"], TodayWindow)
    assert window_retention(cfg) == 2 * 86400 * 1.1 + 600


def test_internal_topics_get_the_configured_replication_factor(tmp_path: Path) -> None:
    from stream.app import kafka_spec
    from stream.kafka.app import make_app

    config = Config.model_validate({"kafka": {"replication_factor": 3, "partitions": 6}})
    spec = kafka_spec(config, {"tickets": 6, "calls": 6, "agents": 6}, str(tmp_path))
    app = make_app(spec)
    assert app.conf.topic_replication_factor == 3  # views topic and every changelog
    assert app.conf.topic_partitions == 6


@pytest.mark.parametrize(
    ("topic_errors", "expected"),
    [
        ([("a", 0, None), ("b", 36, "Topic with this name already exists.")], {}),
        (
            [("a", 29, "Authorization failed.")],
            {"a": "TopicAuthorizationFailedError: Authorization failed."},
        ),
        (
            [("a", 38, "Replication factor: 3 larger than available brokers: 1.")],
            {
                "a": "InvalidReplicationFactorError: "
                "Replication factor: 3 larger than available brokers: 1."
            },
        ),
        ([("a", 37, None)], {"a": "InvalidPartitionsError"}),
    ],
)
def test_create_topics_refusals_are_named(
    topic_errors: list[tuple[object, ...]], expected: dict[str, str]
) -> None:
    from stream.kafka.setup import create_refusals

    assert create_refusals(topic_errors) == expected


def test_processor_and_alerting_are_built_without_late_callbacks(tmp_path: Path) -> None:
    import httpx
    from prometheus_client import CollectorRegistry

    from stream.alerting import Alerting
    from stream.app import build_pipeline, kafka_spec
    from stream.kafka.app import make_app
    from stream.kafka.outbox import Outbox
    from stream.kafka.processor import Processor

    config = Config.model_validate({})
    spec = kafka_spec(config, {"tickets": 2, "calls": 2, "agents": 2}, str(tmp_path))
    registry = CollectorRegistry()
    pipeline = build_pipeline(config, registry)
    outbox, client = Outbox(), httpx.AsyncClient()
    clock = lambda: datetime(2026, 3, 2, 9, tzinfo=UTC)  # noqa: E731
    alerting = Alerting(config, None, pipeline, registry, clock=clock, client=client, outbox=outbox)
    processor = Processor(make_app(spec), spec, pipeline, listener=alerting, outbox=outbox)
    assert alerting.clock is clock and alerting.client is client
    assert processor.listener is alerting and processor.writer.tables is processor.tables
    assert set(processor.tables) == {"tickets", "calls", "agents", "queues"}
    processor.listener.kpis_changed()  # the views agent's signal reaches the evaluation loop
    assert alerting.changed.is_set()
