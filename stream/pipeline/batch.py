"""Batch processing between Kafka records and the pure stages.

`Pipeline` takes a batch of raw records of one topic, decodes, dedups and
applies them, and returns what the Kafka side must write: views, dead letters
and coalesced state. It never talks to Kafka itself; `stream/kafka/processor.py` does.
What happens to a bad record is decided here, in one place.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from alerts.durations import format_duration
from alerts.snapshot import KpiSnapshot
from stream.entities.views import View
from stream.events.decoding import Rejection, decode
from stream.kpis.catalogue import Selection
from stream.metrics import PipelineMetrics
from stream.pipeline.stages import Dirty, EntityStage, QueueLimitReached, QueueStage

log = logging.getLogger("kpiwatch.pipeline")

Header = tuple[str, bytes]
LIMIT_LOG_EVERY_S = 10.0
#: What a dead letter keeps of a record's key and of its value: well under any broker's
#: request limit (faust's producer: 1,000,000 bytes), plenty to diagnose a bad record.
DEAD_LETTER_MAX_BYTES = 64 << 10


class RawRecord(Protocol):
    """What the pipeline reads of a Kafka record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Record:
    """A Kafka record made in-process (benchmarks, tests, the reference core): a RawRecord."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected record: original bytes, where it came from, and why."""

    key: bytes | None
    value: bytes | None
    headers: list[Header]


@dataclass(slots=True)
class Output:
    """What one batch asks the Kafka side to write, in this order, before acking."""

    views: list[View] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    state: list[Dirty] = field(default_factory=list)


def dead_letter(rec: RawRecord, reason: str, quiet: bool = False) -> DeadLetter:
    """Return the dead-letter record for `rec` (reason and source in headers)."""
    if not quiet:
        log.warning("rejected %s[%d]@%d: %s", rec.topic, rec.partition, rec.offset, reason)
    return parked(rec.topic, rec.partition, rec.offset, rec.key, rec.value, reason)


def parked(
    topic: str,
    partition: int | None,
    offset: int | None,
    key: bytes | None,
    value: bytes | None,
    reason: str,
) -> DeadLetter:
    """Return a dead letter for a record, truncated to fit any broker, with its size and source.

    The original key and value are kept up to `DEAD_LETTER_MAX_BYTES` each; a record the
    dead-letter topic could not take would stall its partition (issue 11 §3).
    """
    size = len(value or b"")
    headers = [
        ("kpiwatch.reason", reason.encode()),
        ("kpiwatch.source.topic", topic.encode()),
        ("kpiwatch.source.partition", str(-1 if partition is None else partition).encode()),
        ("kpiwatch.source.offset", str(-1 if offset is None else offset).encode()),
        ("kpiwatch.rejected_at", datetime.now(UTC).isoformat().encode()),
    ]
    if size > DEAD_LETTER_MAX_BYTES or len(key or b"") > DEAD_LETTER_MAX_BYTES:
        headers += [("kpiwatch.original_size", str(size).encode()), ("kpiwatch.truncated", b"1")]
        key = None if key is None else key[:DEAD_LETTER_MAX_BYTES]
        value = None if value is None else value[:DEAD_LETTER_MAX_BYTES]
    return DeadLetter(key, value, headers)


class Pipeline:
    """Entity stages per logical stream, one queue stage, and their metrics."""

    def __init__(
        self,
        entity: Mapping[str, EntityStage],
        queues: QueueStage,
        metrics: PipelineMetrics,
        clock: Callable[[], float] = time.time,
        live_threshold: float = 600.0,
        max_future_skew: float = 300.0,
        topics: Mapping[str, str] | None = None,
    ) -> None:
        self.entity = dict(entity)
        # stream → input topic name, for metrics about facts (which carry no topic)
        self.topics = dict(topics or {})
        self.queues = queues
        self.metrics = metrics
        self.clock = clock
        self.live_threshold = live_threshold
        self.max_future_skew = max_future_skew
        self._limit_logged = -LIMIT_LOG_EVERY_S

    def process_events(self, stream: str, records: Iterable[RawRecord]) -> Output:
        """Apply a batch of one source topic; return its last view per key, dead letters, state."""
        stage = self.entity[stream]
        out = Output()
        accepted: Counter[tuple[str, str]] = Counter()
        duplicate: Counter[tuple[str, str]] = Counter()
        rejected: Counter[tuple[str, str]] = Counter()
        unplaced: Counter[tuple[str, str]] = Counter()
        now = self.clock()
        lags: list[float] = []
        for rec in records:
            ev = decode(rec.value or b"", stream, rec.key)
            ts = 0.0 if isinstance(ev, Rejection) else ev.ts
            if not isinstance(ev, Rejection) and ts - now > self.max_future_skew:
                ev = Rejection(self._ahead(ts - now), ev.type)
            if isinstance(ev, Rejection):
                rejected[(rec.topic, ev.event_type or "unknown")] += 1
                out.dead_letters.append(dead_letter(rec, ev.reason))
                continue
            try:
                placed = stage.step(rec.partition, ev, ts, rec)
            except Exception as exc:  # a bug must not stop the stream: park the record
                log.exception("failed to apply %s[%d]@%d", rec.topic, rec.partition, rec.offset)
                rejected[(rec.topic, ev.type)] += 1
                out.dead_letters.append(dead_letter(rec, f"internal error: {exc!r}"))
                continue
            if placed is None:
                duplicate[(rec.topic, ev.type)] += 1
                continue
            accepted[(rec.topic, ev.type)] += 1
            if not placed:  # its entity is in no queue (yet): counted nowhere else
                unplaced[(rec.topic, ev.type)] += 1
            lags.append(now - ts)
        # one view per entity and queue, derived once, where its last event left it
        out.views, failed = stage.flush()
        for rec, error in failed:  # its state holds the events; their views wait for the next
            log.error(
                "failed to derive views at %s[%d]@%d",
                rec.topic,
                rec.partition,
                rec.offset,
                exc_info=error,
            )
            out.dead_letters.append(dead_letter(rec, f"internal error: {error!r}", quiet=True))
        out.state = stage.take_dirty()
        m = self.metrics
        if unplaced:
            log.debug("events whose entity is in no queue: %s", dict(unplaced))
        m.count(m.unplaced, unplaced)
        m.count(m.accepted, accepted)
        m.count(m.duplicate, duplicate)
        m.count(m.rejected, rejected)
        m.lag.observe_many(lags)
        m.batch.labels("entities").observe(len(lags))
        m.state_writes.labels("entities").inc(len(out.state))
        return out

    def _ahead(self, seconds: float) -> str:
        limit = format_duration(timedelta(seconds=self.max_future_skew))
        return (
            f"occurred_at is {seconds:.0f}s ahead of this worker's clock (more than "
            f"max_future_skew {limit}); check the producer's clock"
        )

    def process_views(self, records: Iterable[RawRecord]) -> Output:
        """Apply a batch of view records; return the state to persist."""
        out = Output()
        applied = 0
        late: Counter[tuple[str, str, str]] = Counter()
        for rec in records:
            try:
                ok, facts = self.queues.apply(rec.partition, rec.value or b"")
            except QueueLimitReached as exc:
                out.dead_letters.append(self._over_limit(rec, exc))
                continue
            except Exception as exc:
                log.exception("bad view %s[%d]@%d", rec.topic, rec.partition, rec.offset)
                out.dead_letters.append(dead_letter(rec, f"internal error: {exc!r}"))
                continue
            applied += ok
            for stream, fact, window in facts:  # older than all that window holds
                late[(self.topic_of(stream), fact, window)] += 1
        out.state = self.queues.take_dirty()
        m = self.metrics
        m.views.inc(applied)
        m.count(m.late, late)
        m.batch.labels("queues").observe(applied)
        m.state_writes.labels("queues").inc(len(out.state))
        return out

    def _over_limit(self, rec: RawRecord, exc: QueueLimitReached) -> DeadLetter:
        """Count, log (at most every 10 s) and dead-letter a view of a queue over the limit."""
        self.metrics.queue_limit.inc()
        reason = (
            f"queue {exc.queue[:64]!r} is over limits.max_queues ({exc.limit} queues in "
            f"views partition {rec.partition}): its KPIs are not kept"
        )
        now = time.monotonic()
        if now - self._limit_logged >= LIMIT_LOG_EVERY_S:
            self._limit_logged = now
            log.warning("queue limit reached, views dead-lettered: %s", reason)
        return dead_letter(rec, reason, quiet=True)

    def topic_of(self, stream: str) -> str:
        """Return the input topic name of `stream` (tickets, calls, agents)."""
        return self.topics.get(stream, stream)

    def replaying(self, wall: float, newest: float) -> bool:
        """Return whether the newest event time is over `live_threshold` behind the wall clock.

        Then each queue's "now" is its own watermark (SPEC §2: history is replayed), not
        the wall clock. This decides the KPIs' clock only; no fact is ever dropped by it.
        """
        return wall - newest > self.live_threshold

    def newest(self) -> float:
        """Return the newest event time this worker holds, of entities or queues (0 before any).

        Entities count too: a worker whose queues are all quiet still reads current events
        in stage 1, so its clock stays live like its peers' (results must not depend on
        which queues a worker was given).
        """
        queues = max((q.watermark for q in self.queues.queues()), default=0.0)
        return max(queues, *(s.watermark for s in self.entity.values()))

    def snapshot(self, only: Selection | None = None) -> KpiSnapshot:
        """Return every KPI sample this worker owns (`only` those, if given), as of one instant."""
        at = datetime.fromtimestamp(self.clock(), UTC)
        wall = at.timestamp()  # to the microsecond, so `at` is exactly the clock used
        newest = self.newest()
        replay = self.replaying(wall, newest)
        samples = self.queues.samples(lambda queue_wm, _: queue_wm if replay else wall, only)
        return KpiSnapshot(datetime.fromtimestamp(newest, UTC) if replay else at, tuple(samples))
