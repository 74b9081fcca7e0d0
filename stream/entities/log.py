"""The per-entity event log: dedup by event id, order by event time.

Entities keep their (few) events and re-derive everything from the sorted log
after each change, so events of one entity may arrive in any order and more
than once and the result is the same. `version` counts distinct events, so
the same events always give the same version.

    log = EntityLog()
    log.add(ts, "call.queued", "e1", {"queue": "billing"})   # True
    log.add(ts, "call.queued", "e1", {"queue": "billing"})   # False: duplicate
"""

from __future__ import annotations

from bisect import insort
from typing import Any

import orjson

Record = tuple[float, str, str, dict[str, Any]]  # (occurred_at, type, event_id, fields)


class EntityLog:
    """A deduplicated, time-ordered list of one entity's events."""

    __slots__ = ("events", "ids", "trimmed")

    def __init__(self, events: list[Record] | None = None, trimmed: int = 0) -> None:
        self.events: list[Record] = events or []
        self.ids = {e[2] for e in self.events}
        self.trimmed = trimmed  # events dropped by `trim`, so `version` never goes back

    @property
    def version(self) -> int:
        """Return the number of distinct events seen."""
        return self.trimmed + len(self.events)

    def trim(self, before: float) -> None:
        """Drop events older than `before`, keeping the last one before it (the state then).

        For long-lived entities (agents): their log would otherwise grow forever, and
        with it every changelog record. Ids of dropped events are forgotten: a duplicate
        older than the trim horizon would be taken as new, outside every window.
        """
        old = sum(1 for e in self.events if e[0] < before)
        if old > 1:
            self.events = self.events[old - 1 :]
            self.trimmed += old - 1
            self.ids = {e[2] for e in self.events}

    @property
    def last_ts(self) -> float:
        """Return the newest event time."""
        return self.events[-1][0] if self.events else 0.0

    def add(self, ts: float, type_: str, event_id: str, fields: dict[str, Any]) -> bool:
        """Insert an event in time order; return False for a duplicate id."""
        if event_id in self.ids:
            return False
        self.ids.add(event_id)
        # ties keep arrival order only through the id, which is stable on replay
        insort(self.events, (ts, type_, event_id, fields), key=lambda r: (r[0], r[2]))
        return True

    def encode(self) -> bytes:
        """Serialise for the changelog."""
        return orjson.dumps([self.trimmed, self.events])

    @classmethod
    def decode(cls, raw: bytes) -> EntityLog:
        """Parse what `encode` produced."""
        trimmed, events = orjson.loads(raw)
        return cls([(e[0], e[1], e[2], e[3]) for e in events], trimmed)
