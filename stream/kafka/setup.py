"""How the worker reaches Kafka: brokers, TLS/SASL, and the topics it needs at start.

topics = asyncio.run(ensure_topics(config, wait_s=60))   # StartupError if it cannot
AIOKafkaProducer(bootstrap_servers=bootstrap_of(config), **client_kwargs(config))
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import faust
import stamina
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError, for_code

from stream.config.root import Config
from stream.events.models import STREAMS

log = logging.getLogger("kpiwatch.kafka")


def bootstrap_of(config: Config) -> str:
    """Return the comma-joined bootstrap servers."""
    return ",".join(config.kafka.bootstrap_servers)


class StartupError(Exception):
    """The worker cannot start: Kafka unreachable or refusing, or a topic missing."""


async def ensure_topics(config: Config, wait_s: float = 60.0) -> dict[str, int]:
    """Create missing topics and return the partition count of each source topic.

    Waits up to `wait_s` for Kafka to become reachable (it may start after us);
    raises StartupError with what is wrong otherwise.
    """
    where = bootstrap_of(config)
    try:
        async for attempt in stamina.retry_context(
            on=KafkaConnectionError, attempts=None, timeout=wait_s
        ):
            with attempt:
                return await _ensure_topics(config)
    except KafkaConnectionError as exc:
        raise StartupError(f"cannot reach Kafka at {where} within {wait_s:g}s: {exc}") from exc
    except KafkaError as exc:
        raise StartupError(f"Kafka at {where} refused the worker: {exc}") from exc
    raise AssertionError("unreachable: the retry loop returns or raises")


async def _ensure_topics(config: Config) -> dict[str, int]:
    k = config.kafka
    names = {s: getattr(k.topics, s) for s in STREAMS}
    wanted = [NewTopic(n, k.partitions, k.replication_factor) for n in names.values()]
    wanted.append(NewTopic(k.topics.dead_letter, k.partitions, k.replication_factor))
    compact = {"cleanup.policy": "compact"}
    wanted.append(NewTopic(silences_topic(config), 1, k.replication_factor, topic_configs=compact))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_of(config), client_id=k.client_id, **client_kwargs(config)
    )
    await admin.start()
    try:
        refused: dict[str, str] = {}
        for topic in wanted:
            refused |= create_refusals((await admin.create_topics([topic])).topic_errors)
        described = await admin.describe_topics([t.name for t in wanted])
    finally:
        await admin.close()
    counts = {d["topic"]: len(d["partitions"]) for d in described if d["error_code"] == 0}
    missing = [t.name for t in wanted if not counts.get(t.name)]
    if missing:
        why = "; ".join(f"{n}: {refused.get(n, 'not found after creating it')}" for n in missing)
        raise StartupError(f"missing topics, and kpiwatch could not create them: {why}")
    for name, reason in refused.items():  # e.g. no permission to create, but it exists
        log.info("did not create topic %s (%s); it exists", name, reason)
    return {s: counts[t] for s, t in names.items()}


def create_refusals(topic_errors: Iterable[tuple[Any, ...]]) -> dict[str, str]:
    """Return topic → reason for each CreateTopics result that is not "created" or "exists"."""
    out = {}
    for name, code, *rest in topic_errors:
        if code not in (0, TopicAlreadyExistsError.errno):
            message = rest[0] if rest and rest[0] else ""
            out[name] = f"{for_code(code).__name__}: {message}".rstrip(": ")
    return out


def client_kwargs(config: Config) -> dict[str, Any]:
    """Return the aiokafka security keyword arguments of `kafka.security`."""
    sec = config.kafka.security
    return sec.aiokafka_kwargs() if sec is not None else {}


def silences_topic(config: Config) -> str:
    """Return the compacted topic that replicates API silences to every worker."""
    return f"{config.kafka.client_id}-silences"


def faust_credentials(config: Config) -> Any:
    """Return faust broker credentials for `kafka.security` (None for PLAINTEXT)."""
    sec = config.kafka.security
    if sec is None or sec.security_protocol == "PLAINTEXT":
        return None
    ctx = sec.aiokafka_kwargs().get("ssl_context")
    if sec.sasl_mechanism is None:
        return faust.SSLCredentials(ctx)
    password = sec.sasl_password.get_secret_value() if sec.sasl_password else None
    return faust.SASLCredentials(
        username=sec.sasl_username,
        password=password,
        ssl_context=ctx,
        mechanism=sec.sasl_mechanism,
    )
