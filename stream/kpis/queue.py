"""One queue's KPIs: current state from active views, windows from facts.

    q = QueueKpis("billing", windows={"15m": SlidingWindow(900)}, opts=KpiParams())
    late = q.apply(old_view, new_view)   # retract what old contributed, add new
    q.samples(now)                       # -> Iterator[KpiSample]

Event-time policy. A fact counts in the window bucket of its own time `at`:

- `at` after the queue's clock (a breach at a future due instant, a call's
  AHT at ended + wrapup_timeout) is *pending*: it joins the windows when
  `samples(now)` reaches it, and leaves quietly if the view changes first;
- `at` within `allowed_lateness` of its source's watermark joins its bucket
  now (if the window still holds that bucket);
- older is *late*: it is counted (the return value of `apply`), kept out of
  the windows, and only the current-state KPIs see the view. It stays out:
  retracting it later retracts nothing.

Lateness is judged per source: each view kind (ticket, call, agent) comes
from its own input topic, and a worker catching up on a backlog reads the
topics unevenly, so the tickets topic running an hour ahead must not make
call facts late. The windows' clock (`watermark`, `clock`) stays the newest
event time of any source.

On restore from the changelog (`restoring=True`) nothing is late: the views
come back in key order, not time order, so the watermark means nothing yet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from alerts.snapshot import KpiSample
from stream.entities.views import Fact, View
from stream.kpis.current import AGENT_STATUSES, CurrentState
from stream.kpis.facts import SPAN_FACTS, contribution, window_samples
from stream.kpis.params import KpiParams
from stream.kpis.windows import Acc, Window

__all__ = ["AGENT_STATUSES", "QueueKpis"]

Slot = tuple[str, Fact]  # (view key, fact)


class QueueKpis:
    """Incremental KPI state of one queue."""

    def __init__(self, queue: str, windows: Mapping[str, Window], opts: KpiParams) -> None:
        self.queue = queue
        self.windows = dict(windows)
        self.opts = opts
        self.current = CurrentState()
        self.watermark = 0.0  # newest event time seen in this queue, any source
        self.marks: dict[str, float] = {}  # newest event time per view kind (source topic)
        self.clock = 0.0  # max(watermark, latest `now` of samples)
        self.pending: dict[Slot, tuple[float, Acc]] = {}
        self.late: set[Slot] = set()

    def apply(self, old: View | None, new: View | None, restoring: bool = False) -> list[str]:
        """Replace the contribution of `old` by that of `new`; return the late facts' names."""
        old_facts = set(old.facts) if old is not None else set()
        new_facts = set(new.facts) if new is not None else set()
        # the same fact counts under other labels when channel or priority changed
        moved = old is not None and new is not None and _labels(old) != _labels(new)
        gone = old_facts if moved else old_facts - new_facts
        was_late: set[Fact] = set()
        if old is not None:
            self.current.update(old, remove=True)
            was_late = {fact for fact in sorted(gone) if self._retract(old, fact)}
        if new is None:
            return []
        mark = self.marks[new.kind] = max(self.marks.get(new.kind, 0.0), new.t)
        self.watermark = max(self.watermark, mark)
        self.clock = max(self.clock, self.watermark)
        cutoff = mark - self.opts.allowed_lateness
        late: list[str] = []
        for fact in sorted(new_facts - old_facts if not moved else new_facts):
            if fact in old_facts:  # re-labelled, not new: it keeps its lateness
                is_late = fact in was_late
            else:
                is_late = _end(fact) < cutoff and not restoring
                if is_late:
                    late.append(fact[0])
            if is_late:
                self.late.add((new.key, fact))
            else:
                self._add(new, fact)
        self.current.update(new, remove=False)
        return late

    def _add(self, view: View, fact: Fact) -> None:
        if fact[0] in SPAN_FACTS:
            self._span(fact, 1)
        elif fact[1] > self.clock:
            self.pending[(view.key, fact)] = (fact[1], contribution(fact, view, self.opts))
        else:
            self._window(fact[1], contribution(fact, view, self.opts), 1)

    def _retract(self, view: View, fact: Fact) -> bool:
        """Take a fact back out; return whether it was late (so never in)."""
        slot = (view.key, fact)
        if slot in self.late:
            self.late.discard(slot)
            return True
        if self.pending.pop(slot, None) is None:
            if fact[0] in SPAN_FACTS:
                self._span(fact, -1)
            else:
                self._window(fact[1], contribution(fact, view, self.opts), -1)
        return False

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
        due = [slot for slot, (at, _) in self.pending.items() if at <= now]
        for slot in due:
            at, acc = self.pending.pop(slot)
            self._window(at, acc, 1)

    def samples(self, now: float) -> Iterator[KpiSample]:
        """Yield every KPI sample of this queue as of `now`."""
        self._promote(now)
        yield from self.current.samples(self.queue, now)
        for w in self.windows.values():
            w.advance(now)
        # a summary label set observed in any window is reported in every window
        # (`_count 0` where it has nothing), so a quiet 15m does not drop the series
        summaries = {key for w in self.windows.values() for key in w.total.sketches}
        for name, w in self.windows.items():
            runs = self.current.open_runs(w.start(), now)
            pairs = self.current.seen_pt
            yield from window_samples(self.queue, name, w.total, runs, pairs, summaries)
        self._forget_late()

    def _forget_late(self) -> None:
        """Drop late facts older than every window: retracting them would be a no-op."""
        if not self.late:
            return
        oldest = min((w.start() for w in self.windows.values()), default=float("inf"))
        self.late = {slot for slot in self.late if _end(slot[1]) >= oldest}


def _labels(view: View) -> tuple[str, str]:
    return view.channel, view.priority


def _end(fact: Fact) -> float:
    return fact[1] + fact[2] if fact[0] in SPAN_FACTS else fact[1]
