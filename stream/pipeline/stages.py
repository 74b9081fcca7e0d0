"""The two processing stages as pure, partitioned state (no Kafka here).

Stage 1, `EntityStage`: events keyed by entity id → per-entity logs → views.
Stage 2, `QueueStage`: views keyed by queue → newest view per entity → KPIs.

Both keep state per source partition, mark what changed, and hand the dirty
keys to the Kafka side once per batch (`take_dirty`), so a key written many
times in a batch costs one changelog record. On rebalance the Kafka side drops
revoked partitions and reloads assigned ones from the changelog (`load`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from alerts.snapshot import KpiSample
from stream.entities import fields_of
from stream.entities.log import EntityLog
from stream.entities.views import SOURCE, View
from stream.kpis.catalogue import Selection
from stream.kpis.params import KpiParams
from stream.kpis.queue import QueueKpis
from stream.kpis.windows import RollingWindow

Derive = Callable[[EntityLog, str], list[View]]
Dirty = tuple[int, str, bytes | None]  # (partition, key, value or None to delete)
Late = tuple[str, str, str]  # (source stream, fact, window) of a fact that window had passed


class EntityStage:
    """Entity logs per partition; an event in, the views it changes out."""

    def __init__(
        self, derive: Derive, retention: float = 7 * 86400.0, trim: float | None = None
    ) -> None:
        self.derive = derive
        self.retention = retention
        self.trim = trim  # keep only this much event-time history per entity (agents)
        self.parts: dict[int, dict[str, EntityLog]] = {}
        self.placed: dict[str, tuple[tuple[str, str], ...]] = {}  # entity → (kind, queue) views
        self.kept: dict[str, int] = {}  # entity → log version at which evict found it active
        self.dirty: dict[int, set[str]] = {}
        self.watermark = 0.0  # newest event time seen

    def load(self, partition: int, key: str, raw: bytes) -> None:
        """Restore one entity from the changelog."""
        self.parts.setdefault(partition, {})[key] = EntityLog.decode(raw)

    def apply(self, partition: int, event: Any) -> list[View] | None:
        """Apply one event; return the views to emit, or None for a duplicate."""
        eid = event.entity_id
        logs = self.parts.setdefault(partition, {})
        log = logs.get(eid)
        if log is None:
            log = logs[eid] = EntityLog()
        before = self.placed.get(eid)
        if before is None:
            before = tuple((v.kind, v.queue) for v in self.derive(log, eid)) if log.events else ()
        ts = event.ts
        if not log.add(ts, event.type, event.event_id, fields_of(event)):
            return None
        self.watermark = max(self.watermark, ts)
        if self.trim is not None:
            log.trim(log.last_ts - self.trim)
        self.dirty.setdefault(partition, set()).add(eid)
        views = self.derive(log, eid)
        now_in = tuple((v.kind, v.queue) for v in views)
        self.placed[eid] = now_in
        gone = [  # tombstones for the views it left, keyed as those views were
            View(kind, eid, q, log.version, log.last_ts, gone=True)
            for kind, q in before
            if (kind, q) not in now_in
        ]
        return views + gone

    def take_dirty(self) -> list[Dirty]:
        """Return and forget the entities changed since the last call (None: deleted)."""
        out: list[Dirty] = []
        for p, keys in self.dirty.items():
            logs = self.parts.get(p, {})
            out.extend((p, k, logs[k].encode() if k in logs else None) for k in keys)
        self.dirty = {}
        return out

    def evict(self) -> int:
        """Forget entities idle for `retention` (event time) that no view keeps active."""
        horizon = self.watermark - self.retention
        n = 0
        for p, logs in self.parts.items():
            old = [eid for eid, log in logs.items() if log.last_ts < horizon]
            for eid in old:
                version = logs[eid].version
                if self.kept.get(eid) == version:
                    continue  # found active at this version: only a new event changes that
                if any(v.active for v in self.derive(logs[eid], eid)):
                    self.kept[eid] = version  # an open ticket, a waiting call, an online agent
                    continue
                del logs[eid]
                self.placed.pop(eid, None)
                self.kept.pop(eid, None)
                self.dirty.setdefault(p, set()).add(eid)
                n += 1
        return n

    def drop(self, partitions: Iterable[int]) -> None:
        """Forget partitions this worker no longer owns."""
        for p in partitions:
            for eid in self.parts.pop(p, {}):
                self.placed.pop(eid, None)
                self.kept.pop(eid, None)
            self.dirty.pop(p, None)


class QueueLimitReached(Exception):
    """A view of a new queue arrived in a partition that holds its share of queues."""

    def __init__(self, queue: str, limit: int) -> None:
        super().__init__(queue, limit)
        self.queue, self.limit = queue, limit


class QueueStage:
    """Newest view per entity and queue, and each queue's KPIs."""

    def __init__(
        self,
        windows: Callable[[], dict[str, RollingWindow]],
        opts: KpiParams,
        retention: float = 2 * 86400.0,
        max_queues: int = 1 << 62,
    ) -> None:
        self.make_windows = windows
        self.max_queues = max_queues  # per partition (see stream.config.limits)
        self.opts = opts
        self.retention = retention  # longer than any window
        self.views: dict[int, dict[str, View]] = {}
        self.kpis: dict[int, dict[str, QueueKpis]] = {}
        self.dirty: dict[int, dict[str, bytes | None]] = {}  # key → its changelog value

    def load(self, partition: int, key: str, raw: bytes) -> None:
        """Restore one view from the changelog (nothing is judged late)."""
        self._put(partition, View.decode(raw), restoring=True)

    def apply(self, partition: int, raw: bytes) -> tuple[bool, list[Late]]:
        """Apply one view record; return (applied, late facts). Older views are ignored."""
        view = View.decode(raw)
        late = self._put(partition, view, restoring=False)
        if late is None:
            return False, []
        # `raw` is what `view.encode()` would give again: keep it for the changelog
        self.dirty.setdefault(partition, {})[view.key] = raw
        source = SOURCE.get(view.kind, view.kind)
        return True, [(source, fact, window) for fact, window in late]

    def _put(self, partition: int, view: View, restoring: bool) -> list[tuple[str, str]] | None:
        views = self.views.setdefault(partition, {})
        old = views.get(view.key)
        if old is not None and view.version <= old.version:
            return None  # a replayed or reordered older view
        queues = self.kpis.setdefault(partition, {})
        q = queues.get(view.queue)
        if q is None:
            if not restoring and len(queues) >= self.max_queues:
                if view.gone and old is None:
                    return None  # the end of a view never admitted: nothing to retract
                raise QueueLimitReached(view.queue, self.max_queues)
            q = queues[view.queue] = QueueKpis(view.queue, self.make_windows(), self.opts)
        views[view.key] = view
        before = old if old is not None and not old.gone else None
        return q.apply(before, None if view.gone else view, restoring)

    def take_dirty(self) -> list[Dirty]:
        """Return and forget the views changed since the last call (None: deleted)."""
        out = [(p, k, raw) for p, keys in self.dirty.items() for k, raw in keys.items()]
        self.dirty = {}
        return out

    def evict(self) -> int:
        """Forget inactive views whose every fact has left every window."""
        n = 0
        for p, views in self.views.items():
            queues = self.kpis.get(p, {})
            for key, v in list(views.items()):
                q = queues.get(v.queue)
                if q is None or (v.active and not v.gone):
                    continue
                newest = max([v.t, *(f[1] for f in v.facts)])
                if newest >= q.watermark - self.retention:
                    continue
                if not v.gone:
                    q.apply(v, None, restoring=True)  # its facts expired already: no KPI moves
                del views[key]
                self.dirty.setdefault(p, {})[key] = None
                n += 1
        return n

    def drop(self, partitions: Iterable[int]) -> None:
        """Forget partitions this worker no longer owns."""
        for p in partitions:
            self.views.pop(p, None)
            self.kpis.pop(p, None)
            self.dirty.pop(p, None)

    def partition_of(self, queue: str) -> int | None:
        """Return the partition that holds `queue`, None if this worker does not own it."""
        for p, queues in self.kpis.items():
            if queue in queues:
                return p
        return None

    def queues(self) -> Iterator[QueueKpis]:
        """Yield the KPI state of every queue this worker owns."""
        for queues in self.kpis.values():
            yield from queues.values()

    def samples(
        self, clock: Callable[[float, float], float], only: Selection | None = None
    ) -> list[KpiSample]:
        """Return the samples (`only` those, if given); `clock(q_wm, max_wm)` is a queue's now."""
        qs = list(self.queues())
        top = max((q.watermark for q in qs), default=0.0)
        out: list[KpiSample] = []
        if only is None:
            for q in qs:
                out.extend(q.samples(clock(q.watermark, top)))
            return out
        if not only.kpis:
            return out
        for q in qs:
            samples = q.samples(clock(q.watermark, top), only)
            out.extend(s for s in samples if s.kpi in only.kpis)
        return out
