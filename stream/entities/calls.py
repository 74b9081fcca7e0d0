"""Call state: queued → answered | abandoned → ended → wrap-up, as a view.

kind = CallKind(wrapup_timeout=600.0)
views = kind.views(state, "c-1")   # state: an EntityState of kind.fold()
"""

from __future__ import annotations

from typing import Any, Self

from stream.entities.state import MAX_HISTORY, EntityState, Item
from stream.entities.views import Fact, View

DEFAULT_WRAPUP_TIMEOUT = 600.0


def _aht(answered: float, ended: float, wrapup: float | None, timeout: float) -> Fact:
    """Return the handle-time fact: at wrap-up, or at ended + timeout with ACW 0.

    A wrap-up later than the timeout does not move it: the call concluded then.
    The fact may lie after every known event; stage 2 holds it until its time.
    """
    talk = max(0.0, ended - answered)
    if wrapup is not None and wrapup - ended <= timeout:
        return ("aht", wrapup, talk + max(0.0, wrapup - ended))
    return ("aht", ended + timeout, talk)


# the fold's fields, in changelog order (mypyc reads no `__slots__` off a class)
CALL_FIELDS = ("abandoned", "answered", "ended", "left", "queue", "queued", "surveys", "wrapup")


class CallFold:
    """A call's milestones: the first event of each kind, in time order, wins."""

    __slots__ = CALL_FIELDS

    def __init__(self) -> None:
        self.queue = ""
        self.queued: float | None = None
        self.answered: float | None = None
        self.left: float | None = None
        self.abandoned = False
        self.ended: float | None = None
        self.wrapup: float | None = None
        self.surveys: tuple[tuple[Fact, str], ...] = ()  # (fact, survey's queue or "")

    def apply(self, ts: float, item: Item) -> None:
        """Apply the next event in (time, id) order."""
        type_ = item[0]
        if type_ == "call.queued":
            if self.queued is None:
                self.queue, self.queued = item[1], ts
        elif type_ == "call.answered":
            if self.left is None:
                self.answered = self.left = ts
        elif type_ == "call.abandoned":
            if self.left is None:
                self.abandoned, self.left = True, ts
        elif type_ == "call.ended":
            if self.ended is None:
                self.ended = ts
        elif type_ == "call.wrapup_completed":
            if self.wrapup is None:
                self.wrapup = ts
        elif type_ == "survey.responded":
            fact = (item[1], ts, float(item[2]))
            surveys = (*self.surveys, (fact, item[3] or ""))
            if len(surveys) > MAX_HISTORY:  # keep the first (its queue) and the newest
                surveys = (surveys[0], *surveys[2:])
            self.surveys = surveys

    def copy(self) -> Self:
        """Return an independent copy (its fields are immutable)."""
        new = type(self).__new__(type(self))
        for name in CALL_FIELDS:
            setattr(new, name, getattr(self, name))
        return new

    def dump(self) -> Any:
        """Return a JSON-able form for the changelog."""
        return [getattr(self, name) for name in CALL_FIELDS]

    @classmethod
    def load(cls, dumped: Any) -> Self:
        """Parse what `dump` produced."""
        new = cls()
        for name, value in zip(CALL_FIELDS, dumped, strict=True):
            setattr(new, name, value)
        new.surveys = tuple(((f[0], f[1], f[2]), q) for f, q in new.surveys)
        return new


class CallKind:
    """Calls: their fold and their one view (in the survey's `queue` until `call.queued`)."""

    name = "call"

    def __init__(self, wrapup_timeout: float = DEFAULT_WRAPUP_TIMEOUT) -> None:
        self.wrapup_timeout = wrapup_timeout

    def fold(self, dumped: Any = None) -> CallFold:
        """Return an empty fold, or the one `dump` produced."""
        return CallFold() if dumped is None else CallFold.load(dumped)

    def queues(self, state: EntityState, call_id: str) -> tuple[str, ...]:
        """Return the queue of its view: `views` without deriving it."""
        c = state.cur
        assert isinstance(c, CallFold)
        queue = c.queue or next((q for _, q in c.surveys if q), "")
        return (queue,) if queue else ()

    def views(self, state: EntityState, call_id: str) -> list[View]:
        """Return the call's view of its queue."""
        c = state.cur
        assert isinstance(c, CallFold)
        queue = c.queue or next((q for _, q in c.surveys if q), "")
        if not queue:
            return []
        facts = [f for f, _ in c.surveys]
        if c.queued is not None and c.left is not None:
            name = "abandoned" if c.abandoned else "answered"
            facts.append((name, c.left, max(0.0, c.left - c.queued)))
        if c.answered is not None and c.ended is not None:
            facts.append(_aht(c.answered, c.ended, c.wrapup, self.wrapup_timeout))
        waiting = c.queued is not None and c.left is None
        return [
            View(
                "call",
                call_id,
                queue,
                state.version,
                state.last_ts,
                active=waiting,
                since=c.queued if waiting else None,
                facts=tuple(sorted(facts)),
            )
        ]
