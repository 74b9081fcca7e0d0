"""One queue's KPIs: current state from active views, windows from facts.

    q = QueueKpis("billing", windows={"15m": SlidingWindow(900)}, opts=KpiParams())
    late = q.apply(old_view, new_view)   # retract what old contributed, add new
    q.samples(now)                       # -> Iterator[KpiSample]

Event-time policy (SPEC §2 "Event time and backlogs"). A fact counts in the
window bucket of its own time `at`, in every window that still holds that
bucket, whatever order views arrive in:

- `at` after the queue's clock (a breach at a future due instant, a call's
  AHT at ended + wrapup_timeout) is *pending*: it joins the windows when
  `samples(now)` reaches it, and leaves quietly if the view changes first;
- otherwise it joins its bucket in each window now. A window whose oldest
  live bucket is already newer than `at` cannot take it: the fact is *late
  for that window* (returned by `apply`, counted per window) and still counts
  in the longer windows that hold it.

Windows only move forward, so a bucket a window no longer holds never comes
back: adding or retracting a fact there is a no-op in both directions, and no
bookkeeping of "late" facts is needed. The windows' clock (`watermark`,
`clock`) is the newest event time of the queue, or the latest `now`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping
from sys import intern

from alerts.snapshot import KpiSample
from stream.entities.views import Fact, View
from stream.kpis.catalogue import Selection
from stream.kpis.current import AGENT_STATUSES, CurrentState
from stream.kpis.facts import SPAN_FACTS, contribution, window_samples
from stream.kpis.params import KpiParams
from stream.kpis.windows import Acc, RollingWindow

__all__ = ["AGENT_STATUSES", "Late", "QueueKpis"]

Slot = tuple[float, str, str, float]  # (at, view key, name, value): a fact after the clock
Late = tuple[str, str]  # (fact name, window name): a new fact that window no longer holds


class QueueKpis:
    """Incremental KPI state of one queue."""

    def __init__(self, queue: str, windows: Mapping[str, RollingWindow], opts: KpiParams) -> None:
        self.queue = queue
        self.windows = dict(windows)
        self.opts = opts
        self.current = CurrentState()
        self.watermark = 0.0  # newest event time seen in this queue, any source
        self.clock = 0.0  # max(watermark, latest `now` of samples)
        self.pending: dict[Slot, tuple[str, str]] = {}  # → (channel, priority) of its view
        # the pending slots, soonest first (a slot starts with its time); lazily
        # deleted (an entry counts while its slot is still pending): a sample finds
        # the facts due without reading every pending one (a breach fact per open SLA clock)
        self._due: list[Slot] = []
        self._shared: dict[tuple[str, str], tuple[str, str]] = {}

    def apply(
        self, old: View | None, new: View | None, restoring: bool = False, key: str = ""
    ) -> list[Late]:
        """Replace the contribution of `old` by that of `new`; return the late (fact, window)s.

        `restoring` (views reloaded from the changelog) reports nothing as late; `key`
        is the views' key (`View.key`), if the caller has it already.
        """
        if not key:
            key = new.key if new is not None else old.key if old is not None else ""
        if restoring and new is not None:  # a bulk load: the SLA counts once, after it
            self.current.sla.recount()
        # the same fact counts under other labels when channel or priority changed
        moved = old is not None and new is not None and _labels(old) != _labels(new)
        gone: set[Fact] | frozenset[Fact] = frozenset()
        added: set[Fact] | frozenset[Fact] = frozenset()
        if old is None or new is None or moved:
            gone = set(old.facts) if old is not None else gone
            added = set(new.facts) if new is not None else added
        elif old.facts != new.facts:  # most updates keep every fact: nothing to diff
            old_facts, new_facts = set(old.facts), set(new.facts)
            gone, added = old_facts - new_facts, new_facts - old_facts
        if old is not None:
            self.current.update(old, remove=True, key=key)
            for fact in _ordered(gone):
                self._retract(key, old, fact)
        if new is None:
            return []
        if new.t > self.watermark:
            self.watermark = new.t
        if self.watermark > self.clock:
            self.clock = self.watermark
        late: list[Late] = []
        old_set = set(old.facts) if moved and old is not None else frozenset()
        for fact in _ordered(added):
            if not restoring and (not moved or fact not in old_set):
                late.extend((fact[0], name) for name in self._missed_by(fact))
            self._add(key, new, fact)
        self.current.update(new, remove=False, key=key)
        return late

    def _missed_by(self, fact: Fact) -> list[str]:
        """Return the windows whose live buckets all lie after `fact` (it is late there)."""
        if fact[0] not in SPAN_FACTS and fact[1] > self.clock:
            return []  # pending: judged by the clock when it comes due, not late
        return [name for name, w in self.windows.items() if not w.holds(_end(fact))]

    def _add(self, key: str, view: View, fact: Fact) -> None:
        if fact[0] in SPAN_FACTS:
            self._span(fact, 1)
        elif fact[1] > self.clock:
            # its labels, not its contribution: an `Acc` per pending fact would cost ~1 KB;
            # its name interned: a decoded view's strings are its own (~60 B each)
            labels = _labels(view)
            slot = (fact[1], key, intern(fact[0]), fact[2])
            self.pending[slot] = self._shared.setdefault(labels, labels)
            heapq.heappush(self._due, slot)
        else:
            self._window(fact[1], contribution(fact, view, self.opts), 1)

    def _retract(self, key: str, view: View, fact: Fact) -> None:
        """Take a fact back out (a no-op in the windows that no longer hold it)."""
        if self.pending.pop((fact[1], key, fact[0], fact[2]), None) is not None:
            return
        if fact[0] in SPAN_FACTS:
            self._span(fact, -1)
        else:
            self._window(fact[1], contribution(fact, view, self.opts), -1)

    def _window(self, at: float, acc: Acc, sign: int) -> None:
        for w in self.windows.values():
            w.add(at, acc, sign)

    def _span(self, fact: Fact, sign: int) -> None:
        name, start, seconds = fact
        for w in self.windows.values():
            w.add_span(start, start + seconds, (name,), sign)

    def _promote(self, now: float) -> None:
        """Add the pending facts whose time has come."""
        self.clock = max(self.clock, now)
        due, pending = self._compacted(), self.pending
        while due and due[0][0] <= now:
            slot = heapq.heappop(due)
            labels = pending.pop(slot, None)
            if labels is None:
                continue  # retracted, or a second entry of a slot pending again
            channel, priority = labels
            fact = (slot[2], slot[0], slot[3])
            like = View("", "", self.queue, 0, fact[1], channel, priority)  # what adders read
            self._window(fact[1], contribution(fact, like, self.opts), 1)

    def _compacted(self) -> list[Slot]:
        """Return the heap of due times, rebuilt once stale entries outnumber live ones 4:1."""
        if len(self._due) > 64 + 4 * len(self.pending):
            self._due = list(self.pending)
            heapq.heapify(self._due)
        return self._due

    def next_due(self) -> float:
        """Return when the soonest pending fact comes due (infinity if none is pending)."""
        due, pending = self._compacted(), self.pending
        while due:
            if due[0] in pending:
                return due[0][0]
            heapq.heappop(due)
        return math.inf

    def samples(self, now: float, only: Selection | None = None) -> Iterator[KpiSample]:
        """Yield the KPI samples of this queue as of `now` (a superset of `only`, if given)."""
        self._promote(now)
        if only is None:
            yield from self.current.samples(self.queue, now)
        elif only.current:
            yield from self.current.samples(self.queue, now, only.kpis)
        for w in self.windows.values():
            w.advance(now)
        if only is not None and not only.windowed:
            return
        # a summary label set observed in any window is reported in every window
        # (`_count 0` where it has nothing), so a quiet 15m does not drop the series
        summaries = {key for w in self.windows.values() for key in w.total.sketches}
        with_summaries = only is None or only.summaries
        for name, w in self.windows.items():
            if only is not None and not only.window(name):
                continue
            runs = self.current.open_runs(w.start(), now)
            pairs = self.current.seen_pt
            yield from window_samples(
                self.queue, name, w.total, runs, pairs, summaries, with_summaries
            )


def _ordered(facts: set[Fact] | frozenset[Fact]) -> list[Fact]:
    """Return the facts in a stable order (set order varies with the string hash seed)."""
    return list(facts) if len(facts) < 2 else sorted(facts)


def _labels(view: View) -> tuple[str, str]:
    return view.channel, view.priority


def _end(fact: Fact) -> float:
    return fact[1] + fact[2] if fact[0] in SPAN_FACTS else fact[1]
