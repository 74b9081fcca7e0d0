"""One queue's KPIs: current state from active views, windows from facts.

q = QueueKpis("billing", windows={"15m": SlidingWindow(900)}, opts=KpiOptions())
q.apply(old_view, new_view)     # retract what old contributed, add new
q.samples(now)                  # -> list[KpiSample]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from alerts.snapshot import KpiSample
from stream.kpis.facts import KpiOptions, contribution, window_samples
from stream.kpis.windows import Window
from stream.views import View

AGENT_STATUSES = ("available", "busy", "after_call_work", "away", "offline")


class QueueKpis:
    """Incremental KPI state of one queue."""

    def __init__(self, queue: str, windows: Mapping[str, Window], opts: KpiOptions) -> None:
        self.queue = queue
        self.windows = dict(windows)
        self.opts = opts
        self.open_tickets: dict[str, View] = {}
        self.waiting: dict[str, float] = {}
        self.agents: dict[str, str] = {}
        self.watermark = 0.0
        self.seen_cp: set[tuple[str, str]] = set()
        self.seen_pt: set[tuple[str, str]] = set()

    def apply(self, old: View | None, new: View | None) -> None:
        """Replace the contribution of `old` by that of `new` (either may be None)."""
        if old is not None:
            self._current(old, remove=True)
            old_facts = set(old.facts)
        else:
            old_facts = set()
        new_facts = set(new.facts) if new is not None else set()
        for fact in old_facts - new_facts:
            self._window(fact, old, -1)  # type: ignore[arg-type]
        if new is not None:
            self.watermark = max(self.watermark, new.t)
            for fact in new_facts - old_facts:
                self._window(fact, new, 1)
            self._current(new, remove=False)

    def _window(self, fact: tuple[str, float, float], view: View, sign: int) -> None:
        acc = contribution(fact, view, self.opts)
        for w in self.windows.values():
            w.add(fact[1], acc, sign)

    def _current(self, v: View, remove: bool) -> None:
        if v.kind == "ticket":
            if remove or not v.active:
                self.open_tickets.pop(v.id, None)
            else:
                self.open_tickets[v.id] = v
                self.seen_cp.add((v.channel, v.priority))
                self.seen_pt.update((v.priority, s.target) for s in v.sla)
        elif v.kind == "call":
            if remove or not v.active or v.since is None:
                self.waiting.pop(v.id, None)
            else:
                self.waiting[v.id] = v.since
        elif v.kind == "agent":
            if remove:
                self.agents.pop(v.id, None)
            else:
                self.agents[v.id] = v.status

    def samples(self, now: float) -> Iterator[KpiSample]:
        """Yield every KPI sample of this queue as of `now`."""
        yield from self._current_samples(now)
        for name, w in self.windows.items():
            w.advance(now)
            yield from window_samples(self.queue, name, w.total)

    def _current_samples(self, now: float) -> Iterator[KpiSample]:
        q = self.queue
        open_cp = Counter((v.channel, v.priority) for v in self.open_tickets.values())
        for ch, pr in sorted(self.seen_cp):
            labels = {"queue": q, "channel": ch, "priority": pr}
            yield KpiSample("open_tickets", labels, float(open_cp[(ch, pr)]))
        risk, breached = self._sla_counts(now)
        for pr, target in sorted(self.seen_pt):
            labels = {"queue": q, "priority": pr, "target": target}
            yield KpiSample("sla_at_risk", labels, float(risk[(pr, target)]))
            yield KpiSample("sla_breached", labels, float(breached[(pr, target)]))
        yield KpiSample("calls_waiting", {"queue": q}, float(len(self.waiting)))
        oldest = min(self.waiting.values(), default=None)
        wait = max(0.0, now - oldest) if oldest is not None else 0.0
        yield KpiSample("longest_wait", {"queue": q}, wait)
        by_status = Counter(self.agents.values())
        for status in AGENT_STATUSES:
            labels = {"queue": q, "status": status}
            yield KpiSample(f"agents_{status}", labels, float(by_status[status]))

    def _sla_counts(self, now: float) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
        risk: Counter[tuple[str, str]] = Counter()
        breached: Counter[tuple[str, str]] = Counter()
        for v in self.open_tickets.values():
            for s in v.sla:
                if s.met_at is not None:
                    continue
                key = (v.priority, s.target)
                if s.due_at is None:  # paused: breached only if it was before the pause
                    if s.remaining is not None and s.remaining <= 0:
                        breached[key] += 1
                elif now > s.due_at:
                    breached[key] += 1
                elif s.due_at - now <= s.horizon:
                    risk[key] += 1
        return risk, breached
