"""The two processing stages as pure, partitioned state (no Kafka here).

Stage 1, `EntityStage`: events keyed by entity id → per-entity state → views.
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
from stream.entities import item_of
from stream.entities.state import EntityState, Kind
from stream.entities.views import SOURCE, View
from stream.kpis.catalogue import Selection
from stream.kpis.params import KpiParams
from stream.kpis.queue import QueueKpis
from stream.kpis.windows import RollingWindow

MAX_PLACINGS = 1 << 14  # distinct queue tuples shared between entities
Dirty = tuple[int, str, bytes | None]  # (partition, key, value or None to delete)
Late = tuple[str, str, str]  # (source stream, fact, window) of a fact that window had passed


class EntityStage:
    """Entity state per partition; an event in, the views it changes out.

    stage = EntityStage(CallKind(), retention=7 * 86400.0)
    views = stage.apply(0, event)   # None: a duplicate
    stage.step(0, event, event.ts)  # in a batch: …
    views, failed = stage.flush()   # … each touched entity derived once, at the end
    """

    def __init__(self, kind: Kind, retention: float = 7 * 86400.0) -> None:
        self.kind = kind
        self.retention = retention
        self.parts: dict[int, dict[str, EntityState]] = {}
        self.dirty: dict[int, set[str]] = {}
        self.watermark = 0.0  # newest event time seen
        self.placings: dict[tuple[str, ...], tuple[str, ...]] = {}
        # stepped since the last flush, in per-event coalescing order: entity id →
        # (partition, token); (entity id, queue) → (its tombstone, token)
        self.pending: dict[str | tuple[str, str], tuple[Any, Any]] = {}
        self.tombstoned: set[str] = set()

    def load(self, partition: int, key: str, raw: bytes) -> None:
        """Restore one entity from the changelog."""
        st = self.parts.setdefault(partition, {})[key] = EntityState.decode(raw, self.kind)
        if st.last_ts > self.watermark:
            self.watermark = st.last_ts

    def apply(self, partition: int, event: Any, ts: float | None = None) -> list[View] | None:
        """Apply one event (`ts`: its `event.ts`, if known); return its views, None: a duplicate."""
        added = self._add(partition, event, ts)
        if added is None:
            return None
        eid, st, before = added
        views = self.kind.views(st, eid)
        return views + self._left(eid, st, before)

    def step(self, partition: int, event: Any, ts: float, token: Any = None) -> bool | None:
        """Apply one event of a batch whose views `flush` derives; None: a duplicate.

        Return whether the event gives its queues a view (False: its entity is in none).
        `token` (e.g. the record) comes back with any entity `flush` failed to derive.
        """
        added = self._add(partition, event, ts)
        if added is None:
            return None
        eid, st, before = added
        pending = self.pending
        if self.tombstoned and eid in self.tombstoned:
            for q in st.placed or ():  # back in a queue it left: its view replaces the tombstone
                pending.pop((eid, q), None)
        pending.pop(eid, None)  # keep the order of the views per-event coalescing would give
        pending[eid] = (partition, token)
        gone = self._left(eid, st, before)
        for view in gone:
            key = (eid, view.queue)
            pending.pop(key, None)
            pending[key] = (view, token)
            self.tombstoned.add(eid)
        return bool(gone) or bool(st.placed)

    def flush(self) -> tuple[list[View], list[tuple[Any, Exception]]]:
        """Return the views of the entities stepped since the last call, derived once each.

        Also return (token, error) for each entity whose views could not be derived.
        """
        views: list[View] = []
        failed: list[tuple[Any, Exception]] = []
        parts = self.parts
        for key, (what, token) in self.pending.items():
            if isinstance(key, tuple):
                views.append(what)  # a tombstone
                continue
            st = parts.get(what, {}).get(key)
            if st is None:
                continue
            try:
                views.extend(self.kind.views(st, key))
            except Exception as exc:
                failed.append((token, exc))
        self.pending = {}
        self.tombstoned = set()
        return views, failed

    def _add(
        self, partition: int, event: Any, ts: float | None
    ) -> tuple[str, EntityState, tuple[str, ...]] | None:
        """Apply one event; return (entity id, its state, its queues before), None: a duplicate."""
        eid = event.entity_id
        states = self.parts.get(partition)
        if states is None:
            states = self.parts[partition] = {}
        st = states.get(eid)
        if st is None:
            st = states[eid] = EntityState(self.kind.fold())
        before = st.placed
        if before is None:
            before = self.kind.queues(st, eid) if st.version else ()
        if ts is None:
            ts = event.ts
        if not st.add(ts, event.event_id, item_of(event), self.kind):
            return None
        if ts > self.watermark:
            self.watermark = ts
        dirty = self.dirty.get(partition)
        if dirty is None:
            dirty = self.dirty[partition] = set()
        dirty.add(eid)
        now_in = self.kind.queues(st, eid)
        if len(self.placings) < MAX_PLACINGS:  # share the few distinct ones
            now_in = self.placings.setdefault(now_in, now_in)
        st.placed = now_in
        return eid, st, before

    def _left(self, eid: str, st: EntityState, before: tuple[str, ...]) -> list[View]:
        """Return tombstones for the queues it left, keyed as those views were."""
        now_in = st.placed or ()
        if before == now_in or not before:
            return []
        kind = self.kind.name
        return [
            View(kind, eid, q, st.version, st.last_ts, gone=True) for q in before if q not in now_in
        ]

    def take_dirty(self) -> list[Dirty]:
        """Return and forget the entities changed since the last call (None: deleted)."""
        out: list[Dirty] = []
        for p, keys in self.dirty.items():
            states = self.parts.get(p, {})
            out.extend((p, k, states[k].encode() if k in states else None) for k in keys)
        self.dirty = {}
        return out

    def evict(self) -> int:
        """Forget entities idle for `retention` (event time) that no view keeps active."""
        horizon = self.watermark - self.retention
        n = 0
        for p, states in self.parts.items():
            old = [eid for eid, st in states.items() if st.last_ts < horizon]
            for eid in old:
                st = states[eid]
                if st.kept == st.version:
                    continue  # found active at this version: only a new event changes that
                if any(v.active for v in self.kind.views(st, eid)):
                    st.kept = st.version  # an open ticket, a waiting call, an online agent
                    continue
                del states[eid]
                self.dirty.setdefault(p, set()).add(eid)
                n += 1
        return n

    def drop(self, partitions: Iterable[int]) -> None:
        """Forget partitions this worker no longer owns."""
        for p in partitions:
            self.parts.pop(p, None)
            self.dirty.pop(p, None)


def _compact(raw: bytes) -> bytes:
    """Return `raw` in an allocation of its own size (orjson's output keeps ~4 KB)."""
    return memoryview(raw).tobytes()


class QueueLimitReached(Exception):
    """A view of a new queue arrived in a partition that holds its share of queues."""

    def __init__(self, queue: str, limit: int) -> None:
        super().__init__(queue, limit)
        self.queue, self.limit = queue, limit


class QueueStage:
    """Newest view per entity and queue, and each queue's KPIs.

    A view is held as the bytes it arrived as (its changelog value, ~300 B for a
    ticket) and decoded again only when a newer one replaces it: a decoded `View`
    costs several times that per entity.
    """

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
        self.views: dict[int, dict[str, bytes]] = {}  # key → its newest view, encoded
        self.kpis: dict[int, dict[str, QueueKpis]] = {}
        self.dirty: dict[int, dict[str, bytes | None]] = {}  # key → its changelog value

    def load(self, partition: int, key: str, raw: bytes) -> None:
        """Restore one view from the changelog (nothing is judged late)."""
        view = View.decode(raw)
        self._put(partition, view.key, view, _compact(raw), restoring=True)

    def apply(self, partition: int, raw: bytes) -> tuple[bool, list[Late]]:
        """Apply one view record; return (applied, late facts). Older views are ignored."""
        view = View.decode(raw)
        raw = _compact(raw)
        key = view.key
        late = self._put(partition, key, view, raw, restoring=False)
        if late is None:
            return False, []
        # `raw` is what `view.encode()` would give again: keep it for the changelog
        dirty = self.dirty.get(partition)
        if dirty is None:
            dirty = self.dirty[partition] = {}
        dirty[key] = raw
        source = SOURCE.get(view.kind, view.kind)
        return True, [(source, fact, window) for fact, window in late]

    def _put(
        self, partition: int, key: str, view: View, raw: bytes, restoring: bool
    ) -> list[tuple[str, str]] | None:
        views = self.views.get(partition)
        if views is None:
            views = self.views[partition] = {}
        held = views.get(key)
        old = None if held is None else View.decode(held)
        if old is not None and view.version <= old.version:
            return None  # a replayed or reordered older view
        queues = self.kpis.get(partition)
        if queues is None:
            queues = self.kpis[partition] = {}
        q = queues.get(view.queue)
        if q is None:
            if not restoring and len(queues) >= self.max_queues:
                if view.gone and old is None:
                    return None  # the end of a view never admitted: nothing to retract
                raise QueueLimitReached(view.queue, self.max_queues)
            q = queues[view.queue] = QueueKpis(view.queue, self.make_windows(), self.opts)
        views[key] = raw
        before = old if old is not None and not old.gone else None
        return q.apply(before, None if view.gone else view, restoring, key)

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
            for key, raw in list(views.items()):
                v = View.decode(raw)
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
