"""What a backtest records per alert (rule × label set): spans, notifications, series.

rec = Recorder(start, end, flap_window=timedelta(minutes=15))
rec.transition(rule, prev_state, new_state, value, at)   # from the simulator
rec.notified(at, receiver, group_key, [(fingerprint, "firing")])
rec.observe(rule, fingerprint, labels, at, value)        # the KPI series
rec.close(end)                                           # spans still open end at --to
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.config import Rule
from alerts.lifecycle import AlertState
from stream.backtest.horizon import tick_at

MAX_POINTS = 1500  # per series: enough for a chart, bounded whatever the period
HIDDEN_LABELS = frozenset({"alertname", "severity"})


@dataclass
class Span:
    """A pending or firing span; `end` None while it is still open at `--to`."""

    start: datetime
    end: datetime | None = None
    peak: float | None = None
    notified: bool = False  # a firing span that paged at least one receiver
    pending_from: datetime | None = None  # a firing span: when its condition began

    def duration(self, until: datetime) -> timedelta:
        """Return the span's length (open spans end at `until`)."""
        return (self.end or until) - self.start


@dataclass
class Series:
    """A KPI series bucketed to at most MAX_POINTS points (the extreme per bucket)."""

    bucket: float
    higher_is_worse: bool
    points: list[tuple[float, float]] = field(default_factory=list)

    def add(self, t: float, value: float) -> None:
        """Add one value; keep the worst of each bucket so that peaks survive."""
        if self.points and t - self.points[-1][0] < self.bucket:
            last = self.points[-1][1]
            worse = value > last if self.higher_is_worse else value < last
            if worse:
                self.points[-1] = (self.points[-1][0], value)
            return
        self.points.append((t, value))

    def hold(self, value: float, first: int, last: int, interval: float) -> None:
        """Add `value` at ticks first..last (tick n at n × interval) as `add` at each would."""
        if first > last:
            return
        self.add(tick_at(first, interval).timestamp(), value)
        n = first
        while True:
            # the ticks inside the last point's bucket change nothing: the same value is
            # never worse than the point's; find the first tick a bucket after it
            t0 = self.points[-1][0]
            k = max(n + 1, math.ceil((t0 + self.bucket) / interval) - 1)
            while tick_at(k, interval).timestamp() - t0 < self.bucket:
                k += 1
            if k > last:
                return
            self.points.append((tick_at(k, interval).timestamp(), value))
            n = k


@dataclass
class AlertRecord:
    """Everything recorded about one alert instance."""

    rule: str
    labels: dict[str, str]
    firing: list[Span] = field(default_factory=list)
    pending: list[Span] = field(default_factory=list)  # pending spans that never fired
    notifications: Counter[tuple[str, str]] = field(default_factory=Counter)  # (receiver, kind)
    flaps: int = 0
    series: Series | None = None
    _pending: Span | None = None

    @property
    def shown_labels(self) -> dict[str, str]:
        """Return the labels that tell this alert from the rule's others."""
        return {k: v for k, v in self.labels.items() if k not in HIDDEN_LABELS}


class Recorder:
    """Collect spans, notifications and series from one simulated engine."""

    def __init__(
        self, start: datetime, end: datetime, flap_window: timedelta, series: bool = True
    ) -> None:
        self.start, self.end, self.flap_window = start, end, flap_window
        self.keep_series = series
        self.alerts: dict[str, AlertRecord] = {}
        self.log: list[dict[str, object]] = []  # every notification, in order
        self._bucket = max(1.0, (end - start).total_seconds() / MAX_POINTS)

    def _get(self, rule: str, fp: str, labels: Mapping[str, str]) -> AlertRecord:
        rec = self.alerts.get(fp)
        if rec is None:
            rec = self.alerts[fp] = AlertRecord(rule, dict(labels))
        return rec

    def observe(
        self, rule: Rule, fp: str, labels: Mapping[str, str], at: datetime, value: float | None
    ) -> None:
        """Record one evaluated value of an alert's KPI series."""
        if not self.keep_series or value is None or value != value:
            return
        rec = self._get(rule.name, fp, labels)
        if rec.series is None:
            rec.series = Series(self._bucket, rule.op in (">", ">="))
        rec.series.add(at.timestamp(), value)

    def hold(
        self,
        rule: Rule,
        fp: str,
        labels: Mapping[str, str],
        value: float | None,
        ticks: tuple[int, int, float],
    ) -> None:
        """Record an unchanged value at ticks (first, last, interval), as `observe` at each."""
        first, last, interval = ticks
        if not self.keep_series or value is None or value != value or first > last:
            return
        rec = self._get(rule.name, fp, labels)
        if rec.series is None:
            rec.series = Series(self._bucket, rule.op in (">", ">="))
        rec.series.hold(value, first, last, interval)

    def transition(
        self,
        rule: Rule,
        prev: AlertState | None,
        new: AlertState | None,
        value: float | None,
        at: datetime,
    ) -> None:
        """Record what one lifecycle step changed."""
        was = prev.state if prev is not None else None
        now = new.state if new is not None else None
        if was == now and now != "firing":
            return
        state = new or prev
        assert state is not None
        rec = self._get(rule.name, state.fingerprint, state.labels)
        if now == "pending" and was != "pending":
            rec._pending = Span(new.active_at or at if new is not None else at)
        if now == "firing" and was != "firing":
            self._fire(rec, new.fired_at if new is not None and new.fired_at else at)
        if was == "pending" and now != "firing" and now != "pending" and rec._pending is not None:
            rec._pending.end = at
            rec.pending.append(rec._pending)
            rec._pending = None
        if was == "firing" and now != "firing" and rec.firing:
            rec.firing[-1].end = new.resolved_at if new is not None and new.resolved_at else at
        if now == "firing" and value is not None and value == value:
            span = rec.firing[-1]
            up = rule.op in (">", ">=")
            if span.peak is None or (value > span.peak if up else value < span.peak):
                span.peak = value

    def _fire(self, rec: AlertRecord, at: datetime) -> None:
        since = rec._pending.start if rec._pending is not None else at
        rec._pending = None
        last = rec.firing[-1] if rec.firing else None
        if last is not None and last.end is not None and at - last.end <= self.flap_window:
            rec.flaps += 1
        rec.firing.append(Span(at, pending_from=since))

    def notified(
        self, at: datetime, receiver: str, group_key: str, alerts: Sequence[tuple[str, str]]
    ) -> None:
        """Record one notification that would have been sent; alerts are (fp, kind)."""
        for fp, kind in alerts:
            rec = self.alerts.get(fp)
            if rec is None:
                continue
            rec.notifications[(receiver, kind)] += 1
            if kind == "firing" and rec.firing:
                rec.firing[-1].notified = True
        self.log.append(
            {
                "at": at.isoformat(),
                "receiver": receiver,
                "group_key": group_key,
                "alerts": [
                    {"fingerprint": fp, "kind": kind, "labels": self.alerts[fp].labels}
                    for fp, kind in alerts
                    if fp in self.alerts
                ],
            }
        )

    def close(self, end: datetime) -> None:
        """End the replay: a pending span still open at `--to` never fired (yet)."""
        for rec in self.alerts.values():
            if rec._pending is not None:
                rec.pending.append(rec._pending)
                rec._pending = None
