"""Agent state: status runs per queue, as views (gauges and occupancy time).

A run is a stretch of one status; closed runs of a counted status become span
facts `("occ_busy" | "occ_available", start, seconds)` in the queues the agent
served when the run began. The open run is carried as `status` and `since`, so
stage 2 counts it up to its own "now". `after_call_work` counts as busy: it is
handling time, as in Amazon Connect's and Flex's occupancy.

    kind = AgentKind(retention=2 * 86400.0)
    views = kind.views(state, "a-1")   # state: an EntityState of kind.fold()
"""

from __future__ import annotations

from typing import Any, Self

from stream.entities.state import EntityState, Item
from stream.entities.views import Fact, View

OCCUPANCY_STATUS = {"busy": "occ_busy", "after_call_work": "occ_busy", "available": "occ_available"}
DEFAULT_RETENTION = 2 * 86400.0
"""Closed runs that ended longer ago than this (before the newest event) are left out.

It must exceed the longest window plus replay_threshold, or leaving them out
would retract time that is still inside a window."""
MAX_RUNS = 1024
"""Closed counted runs an agent keeps (the newest), whatever its rate of changes."""

Run = tuple[float, float, str, tuple[str, ...]]  # (start, end, fact name, queues)


class AgentFold:
    """The open run and the recent closed runs of a counted status."""

    __slots__ = ("closed", "queues", "retention", "start", "status")

    def __init__(self, retention: float) -> None:
        self.retention = retention
        self.status = ""
        self.queues: tuple[str, ...] = ()
        self.start = 0.0
        self.closed: list[Run] = []  # in order of end time

    def apply(self, ts: float, item: Item) -> None:
        """Apply the next event in (time, id) order."""
        status = item[1]
        queues = tuple(sorted(set(item[2] or self.queues)))
        if status == self.status and queues == self.queues:
            return
        name = OCCUPANCY_STATUS.get(self.status)
        if name is not None and ts > self.start:
            closed = self.closed
            closed.append((self.start, ts, name, self.queues))
            cutoff = ts - self.retention
            old = 0
            while old < len(closed) and closed[old][1] < cutoff:
                old += 1
            del closed[: max(old, len(closed) - MAX_RUNS)]
        self.status, self.queues, self.start = status, queues, ts

    def copy(self) -> Self:
        """Return an independent copy."""
        new = type(self)(self.retention)
        new.status, new.queues, new.start = self.status, self.queues, self.start
        new.closed = list(self.closed)
        return new

    def dump(self) -> Any:
        """Return a JSON-able form for the changelog."""
        return [self.status, self.queues, self.start, self.closed]

    @classmethod
    def load(cls, dumped: Any, retention: float) -> Self:
        """Parse what `dump` produced."""
        new = cls(retention)
        new.status, queues, new.start, closed = dumped
        new.queues = tuple(queues)
        new.closed = [(r[0], r[1], r[2], tuple(r[3])) for r in closed]
        return new


class AgentKind:
    """Agents: their fold and one view per queue they serve or recently served."""

    name = "agent"

    def __init__(self, retention: float = DEFAULT_RETENTION) -> None:
        self.retention = retention

    def fold(self, dumped: Any = None) -> AgentFold:
        """Return an empty fold, or the one `dump` produced."""
        if dumped is None:
            return AgentFold(self.retention)
        return AgentFold.load(dumped, self.retention)

    def queues(self, state: EntityState, agent_id: str) -> tuple[str, ...]:
        """Return the queues of its views: `views` without deriving them."""
        a = state.cur
        assert isinstance(a, AgentFold)
        if not a.status:
            return ()
        cutoff = state.last_ts - self.retention
        seen = set(a.queues)
        for _, end, _, queues in a.closed:
            if end >= cutoff:
                seen.update(queues)
        return tuple(sorted(seen))

    def views(self, state: EntityState, agent_id: str) -> list[View]:
        """Return one view per queue the agent serves or recently served."""
        a = state.cur
        assert isinstance(a, AgentFold)
        if not a.status:
            return []
        current = a.queues
        cutoff = state.last_ts - self.retention
        facts: dict[str, list[Fact]] = {q: [] for q in current}
        for start, end, name, queues in a.closed:
            if end < cutoff:
                continue
            for q in queues:
                facts.setdefault(q, []).append((name, start, end - start))
        return [
            View(
                "agent",
                agent_id,
                q,
                state.version,
                state.last_ts,
                active=q in current and a.status != "offline",
                since=a.start if q in current else None,
                status=a.status if q in current else "",
                facts=tuple(sorted(fs)),
            )
            for q, fs in sorted(facts.items())
        ]
