"""The faust app: how kpiwatch talks to Kafka (group timing, fetch wait, topic defaults).

app = make_app(KafkaSpec(app_id="kpiwatch", bootstrap="localhost:9092", ...))
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
from faust.types import TP

from stream.kafka import internals
from stream.kafka.state_store import CheckpointStore, MarkerReader


@dataclass(frozen=True)
class KafkaSpec:
    """Where and how the worker talks to Kafka."""

    app_id: str
    bootstrap: str
    topics: dict[str, str]  # tickets, calls, agents → topic name
    dead_letter: str
    views_topic: str
    partitions: int  # of the views topic and its table
    source_partitions: dict[str, int]
    data_dir: str
    web_host: str
    web_port: int
    producer_max_batch_size: int = 1 << 20
    batch_max: int = 2000
    batch_within: float = 0.01
    broker_credentials: Any = None
    client_kwargs: dict[str, Any] = field(default_factory=dict)  # aiokafka security settings
    replication_factor: int = 1  # of the views topic and the changelogs
    checkpoint_dir: str | None = None  # table checkpoints; None: full changelog replay
    checkpoint_interval: float = 30.0  # seconds between checkpoints of changed partitions


class StateTable(faust.Table[bytes, bytes]):
    """A raw-bytes table in a checkpointed memory store that reports finished recoveries."""

    def __init__(
        self,
        app: faust.App,
        *,
        on_recovered: Callable[[StateTable], Awaitable[None]],
        checkpoint_dir: str | None = None,
        read_markers: MarkerReader | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, key_type=bytes, value_type=bytes, **kwargs)
        # faust derives serializers from the types ("json"); state is raw bytes we encode
        self.key_serializer = self.value_serializer = "raw"
        self.on_recovered = on_recovered
        internals.use_store(self, CheckpointStore)
        self.store.directory = Path(checkpoint_dir) if checkpoint_dir else None
        self.store.read_markers = read_markers

    @property
    def store(self) -> CheckpointStore:
        """Return the table's store."""
        store = self.data
        assert isinstance(store, CheckpointStore)
        return store

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        await self.on_recovered(self)


def make_app(spec: KafkaSpec) -> faust.App:
    """Return a faust app tuned for fast group joins and exact recovery."""
    internals.install()
    return faust.App(
        spec.app_id,
        broker=f"kafka://{spec.bootstrap}",
        broker_credentials=spec.broker_credentials,
        store="memory://",
        datadir=spec.data_dir,
        autodiscover=False,
        topic_partitions=spec.partitions,
        topic_replication_factor=spec.replication_factor,
        # Tansu holds JoinGroup for about half the session timeout (MEASURED.md)
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.0,
        broker_rebalance_timeout=10.0,
        broker_commit_interval=1.0,
        # static membership (KIP-345): a restarted worker with the same id skips a rebalance
        consumer_group_instance_id=os.environ.get("KPIWATCH_INSTANCE_ID") or None,
        consumer_auto_offset_reset="earliest",
        # a checkpoint past the log end (a broker that lost its data) is the store's to
        # report (CheckpointMismatch, which deletes it), not a crash loop on every start
        recovery_consistency_check=False,
        producer_max_batch_size=spec.producer_max_batch_size,
        producer_linger=0.002,
        stream_buffer_maxsize=max(8192, 2 * spec.batch_max),
        stream_wait_empty=False,
        web_enabled=True,
        # faust's own pages (/router, /table, /graph, stats) reveal hosts, topics and
        # table contents without auth: only kpiwatch's endpoints are served
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_bind=spec.web_host,
        web_port=spec.web_port,
        web_host=spec.web_host,
    )
