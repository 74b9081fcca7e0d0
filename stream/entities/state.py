"""Bounded per-entity state: a fold updated per event, and a short window to reorder in.

An entity keeps its derived state (a `Fold`: ticket, call or agent) up to date
event by event. Its newest `REORDER` events stay in `recent`, compact and in
event-time order, so a late or duplicate one is placed exactly: a duplicate id
is refused, and an event older than the newest in `recent` rebuilds the fold
from `base` (the fold of everything older than `recent`) plus `recent`. In
time order (the usual case) an event costs O(1); a late one O(REORDER).

When `recent` is full, its oldest event is folded into `base` and forgotten;
`floor` becomes its time. So an entity's state is bounded however many events
it gets, and duplicate detection is exact for every event after `floor`: that
is, for an entity's newest `REORDER` events, whatever their age. An event at or
before `floor` (older than all of them) can be neither checked nor placed: it
is refused like a duplicate (and counted as one).

    st = EntityState(kind.fold())
    st.add(ts, "e1", ("call.queued", "billing"))  # True
    st.add(ts, "e1", ("call.queued", "billing"))  # False: duplicate
"""

from __future__ import annotations

from bisect import insort
from typing import Any, Protocol, Self

import msgspec
import orjson

from stream.entities import FIELDS
from stream.entities.views import View

REORDER = 128
"""Events per entity kept to dedup and reorder against (the changelog stays ~10 KB)."""

_ENCODER = msgspec.json.Encoder()
"""Encodes the kept state. orjson ≥ 3.12 returns its output in a buffer of at least 4 KiB
that it never shrinks (ijl/orjson#483): kept in the table store, every entity cost 4 KiB
of RSS whatever its size. msgspec returns bytes of the encoded size (the same JSON)."""

MAX_HISTORY = 256
"""Status changes, public replies, reopens and surveys an entity keeps (the newest).

Real tickets and calls have a few; past this the oldest are forgotten, so the SLA
clocks of a ticket with more are computed from its newest ones, and its state and
views stay bounded (a ticket with 20,000 replies: ~15 KB of state, ~5 KB of view)."""

Item = tuple[Any, ...]  # (type, *fields in FIELDS order), see stream.entities.item_of
Entry = tuple[float, str, Item]  # (occurred_at, event_id, item)
NO_FLOOR = float("-inf")


class Fold(Protocol):
    """Derived state of one entity, built from its events in time order."""

    def apply(self, ts: float, item: Item) -> None:
        """Apply the next event in (time, id) order."""

    def copy(self) -> Self:
        """Return an independent copy (the base a late event replays from)."""

    def dump(self) -> Any:
        """Return a JSON-able form for the changelog."""


class Kind(Protocol):
    """What a kind of entity (ticket, call, agent) knows: its fold and its views."""

    name: str  # the kind of its views

    def fold(self, dumped: Any = None) -> Fold:
        """Return an empty fold, or the one `dump` produced."""

    def views(self, state: EntityState, entity_id: str) -> list[View]:
        """Return the entity's views of its queues."""

    def queues(self, state: EntityState, entity_id: str) -> tuple[str, ...]:
        """Return the queues of its views, in their order (as cheaply as it can)."""


class EntityState:
    """One entity: its fold, its newest events and the counters its views carry."""

    __slots__ = ("base", "cur", "floor", "kept", "last_ts", "placed", "recent", "version")

    def __init__(self, fold: Fold) -> None:
        self.cur = fold
        self.base: Fold | None = None  # fold of the events before `recent`; None: none yet
        self.recent: list[Entry] = []
        self.floor = NO_FLOOR  # newest time of a forgotten event
        self.version = 0  # distinct events applied, so the same events give the same version
        self.last_ts = 0.0
        self.placed: tuple[str, ...] | None = None  # queues of its views, for tombstones
        self.kept = -1  # version at which a retention sweep found it active

    def add(self, ts: float, event_id: str, item: Item, kind: Kind) -> bool:
        """Apply one event; return False for a duplicate or an event at or before `floor`."""
        recent = self.recent
        if ts <= self.floor:
            return False
        for entry in recent:
            if entry[1] == event_id:
                return False
        entry = (ts, event_id, item)
        if not recent or (ts, event_id) > recent[-1][:2]:
            recent.append(entry)
            self.cur.apply(ts, item)
        else:
            insort(recent, entry, key=_order)
            self._replay(kind)
        self.version += 1
        if ts > self.last_ts or self.version == 1:
            self.last_ts = ts
        if len(recent) > REORDER:
            self._forget(kind)
        return True

    def _replay(self, kind: Kind) -> None:
        cur = kind.fold() if self.base is None else self.base.copy()
        for ts, _, item in self.recent:
            cur.apply(ts, item)
        self.cur = cur

    def _forget(self, kind: Kind) -> None:
        ts, _, item = self.recent.pop(0)
        if self.base is None:
            self.base = kind.fold()
        self.base.apply(ts, item)
        self.floor = ts

    def encode(self) -> bytes:
        """Serialise for the changelog (format 2: the fold is rebuilt from it on load)."""
        base = None if self.base is None else self.base.dump()
        floor = None if self.floor == NO_FLOOR else self.floor
        return _ENCODER.encode([2, self.version, self.last_ts, floor, base, self.recent])

    @classmethod
    def decode(cls, raw: bytes, kind: Kind) -> EntityState:
        """Parse what `encode` produced, or upgrade a format-1 event log."""
        data = orjson.loads(raw)
        if len(data) == 2:
            return cls._upgrade(data, kind)
        _, version, last_ts, floor, base, recent = data
        st = cls(kind.fold())
        st.version, st.last_ts = version, last_ts
        st.floor = NO_FLOOR if floor is None else floor
        st.base = None if base is None else kind.fold(base)
        st.recent = [(e[0], e[1], tuple(e[2])) for e in recent]
        st._replay(kind)
        return st

    @classmethod
    def _upgrade(cls, data: list[Any], kind: Kind) -> EntityState:
        # format 1 (before 2026-12): [events trimmed, [[ts, type, event_id, {field: value}]]]
        trimmed, events = data
        st = cls(kind.fold())
        for ts, type_, event_id, fields in events:
            item = (type_, *(_tuples(fields.get(name)) for name in FIELDS[type_]))
            st.add(ts, event_id, item, kind)
        st.version += trimmed
        return st


def _tuples(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _order(entry: Entry) -> tuple[float, str]:
    # ties keep arrival order only through the id, which is stable on replay
    return entry[0], entry[1]
