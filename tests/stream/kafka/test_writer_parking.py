"""The writer's parking path on the embedded broker: a record faust's producer refuses as
too large (MessageSizeTooLarge) is parked with its reason, and the rest of the batch lands."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from stream.app import build_pipeline, kafka_spec
from stream.config.root import Config
from stream.dev.broker import EmbeddedBroker
from stream.kafka.app import make_app
from stream.kafka.internals import store_put_many
from stream.kafka.outbox import Outbox
from stream.kafka.processor import Processor
from stream.kafka.writer import MARK_KEY
from stream.pipeline.batch import DEAD_LETTER_MAX_BYTES, Output
from tests.ingest.process import read_topic
from tests.support.worker import Topics, sample

pytestmark = pytest.mark.integration

TOO_LARGE = 1_100_000  # over faust's 1,000,000-byte producer request limit (the default)


class _Listener:
    def restore(self, states: list[dict[str, Any]]) -> None: ...
    def pause(self) -> None: ...
    def kpis_changed(self) -> None: ...


def test_a_record_too_large_for_the_producer_is_parked_and_the_batch_moves_on(
    broker: EmbeddedBroker, topics: Topics, tmp_path: Path
) -> None:
    kafka = {"bootstrap_servers": broker.bootstrap, "client_id": topics.client_id}
    config = Config.model_validate({"kafka": {**kafka, "partitions": 1, "topics": topics.names}})
    spec = kafka_spec(config, {"tickets": 1, "calls": 1, "agents": 1}, str(tmp_path))
    registry = CollectorRegistry()
    app = make_app(spec)
    processor = Processor(app, spec, build_pipeline(config, registry), _Listener(), Outbox())
    changelog = processor.tables["tickets"].changelog_topic.get_topic_name()
    state = [(0, "t-big", b"x" * TOO_LARGE), (0, "t-small", b"small state")]

    async def write() -> None:
        await app.producer.start()
        try:
            await processor.writer.write("tickets", Output(state=state))  # returns: not stuck
            await processor.writer.write("tickets", Output(state=[(0, "t-next", b"next")]))
        finally:
            await app.producer.stop()

    asyncio.run(asyncio.wait_for(write(), 60))

    [parked] = read_topic(broker.bootstrap, topics.names["dead_letter"])
    headers = {k: v.decode() for k, v in parked.headers}
    assert headers["kpiwatch.reason"] == (
        f"could not write {TOO_LARGE} bytes to {changelog}: MessageSizeTooLargeError"
    )
    assert headers["kpiwatch.source.topic"] == changelog
    assert (headers["kpiwatch.original_size"], headers["kpiwatch.truncated"]) == (
        str(TOO_LARGE),
        "1",
    )
    assert (parked.key, len(parked.value)) == (b"t-big", DEAD_LETTER_MAX_BYTES)
    written = [(r.key, r.value) for r in read_topic(broker.bootstrap, changelog)]
    assert [kv for kv in written if kv[0] != MARK_KEY] == [
        (b"t-small", b"small state"),
        (b"t-next", b"next"),
    ]
    text = _metrics(registry)
    assert sample(text, "kpiwatch_dead_letters_total", source="parked") == 1
    # parked with its size, kept in the store: checkpoints go on (they stopped for good)
    assert processor.tables["tickets"].store.suspect == {}


def test_the_keys_of_a_failed_write_are_sent_again_by_the_next_write(
    broker: EmbeddedBroker, topics: Topics, tmp_path: Path
) -> None:
    """A failed batch is read again as duplicates, which rewrite nothing: without this
    its keys stayed suspect and the table was never checkpointed again."""
    kafka = {"bootstrap_servers": broker.bootstrap, "client_id": topics.client_id}
    config = Config.model_validate({"kafka": {**kafka, "partitions": 1, "topics": topics.names}})
    spec = kafka_spec(config, {"tickets": 1, "calls": 1, "agents": 1}, str(tmp_path))
    app = make_app(spec)
    processor = Processor(
        app, spec, build_pipeline(config, CollectorRegistry()), _Listener(), Outbox()
    )
    table = processor.tables["tickets"]
    changelog = table.changelog_topic.get_topic_name()

    async def write() -> None:
        await app.producer.start()
        try:
            keys = [(b"t-lost", 0), (b"t-gone", 0)]
            with pytest.raises(ConnectionError), table.store.writing(keys):  # refused, say
                store_put_many(table, [(b"t-lost", b"lost state", 0), (b"t-gone", None, 0)])
                raise ConnectionError("broker down")
            assert table.store.suspect == {b"t-lost": 0, b"t-gone": 0}
            await processor.writer.write("tickets", Output(state=[(0, "t-next", b"next")]))
        finally:
            await app.producer.stop()

    asyncio.run(asyncio.wait_for(write(), 60))

    written = {r.key: r.value for r in read_topic(broker.bootstrap, changelog)}
    assert written[b"t-lost"] == b"lost state" and written[b"t-gone"] is None
    assert written[b"t-next"] == b"next"
    assert table.store.suspect == {}


def _metrics(registry: CollectorRegistry) -> str:
    from prometheus_client import generate_latest

    return generate_latest(registry).decode()
