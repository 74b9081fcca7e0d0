"""What the console shows, gathered from the worker into plain values.

    history = History()
    history.record(headlines(pipeline.snapshot(), headline_windows(config)), now)
    ctx = Context(...)                 # everything one page render reads

Only what this worker owns is here: in a group each worker shows its queues.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from alerts.config import Rule
from alerts.silences import StoredSilence
from alerts.snapshot import KpiSnapshot
from stream.config.root import Config
from stream.kpis.catalogue import get as kpi_def

#: The KPIs on the overview, in column order.
HEADLINES = (
    "calls_waiting",
    "longest_wait",
    "abandon_rate",
    "service_level",
    "open_tickets",
    "sla_at_risk",
)
Values = dict[str, dict[str, float | None]]  # queue → kpi → value


def headline_windows(config: Config) -> dict[str, str]:
    """Return the window each windowed headline KPI is shown in: its rules' window first."""
    default = "15m" if "15m" in config.windows else config.windows[0]
    out: dict[str, str] = {}
    for kpi in HEADLINES:
        if kpi_def(kpi).windowed:
            ruled = [r.window for r in config.rules if r.kpi == kpi and r.window]
            out[kpi] = ruled[0] if ruled else default
    return out


def headlines(snapshot: KpiSnapshot, windows: Mapping[str, str]) -> Values:
    """Return the headline values per queue (gauges summed over their other labels)."""
    out: Values = {}
    for s in snapshot.samples:
        queue = s.labels.get("queue")
        if s.kpi not in HEADLINES or queue is None:
            continue
        row = out.setdefault(queue, {})
        if s.kpi in windows:
            if s.labels.get("window") == windows[s.kpi]:
                row[s.kpi] = s.value
        elif s.value is not None:
            old = row.get(s.kpi) or 0.0
            row[s.kpi] = max(old, s.value) if s.kpi == "longest_wait" else old + s.value
        else:
            row.setdefault(s.kpi, None)
    return out


class History:
    """The headline values of the last hour, one point per `record`."""

    def __init__(self, span: timedelta = timedelta(hours=1), points: int = 180) -> None:
        self.span = span
        self._points: deque[tuple[datetime, Values]] = deque(maxlen=points)

    def record(self, values: Values, at: datetime) -> None:
        """Append one point."""
        self._points.append((at, values))

    def series(self, queue: str, kpi: str, now: datetime) -> list[float | None]:
        """Return the values of one KPI of one queue over the span, oldest first."""
        since = now - self.span
        return [v.get(queue, {}).get(kpi) for at, v in self._points if at >= since]


@dataclass
class Status:
    """The worker's own state for the Status page."""

    version: str
    config_path: Path | None
    loaded_at: datetime
    reload_ok: bool
    reload_error: str
    restart_required: Sequence[str]
    ready: bool
    catching_up: bool  # on a backlog: notifications are held until live
    behind: str  # why it is catching up ('' when live)
    owned: Mapping[str, set[int]]
    lag: Mapping[tuple[str, int], int]
    brokers: str
    http: str


@dataclass
class Context:
    """Everything a page render reads, taken at one moment."""

    now: datetime
    config: Config
    alerts: list[dict[str, Any]]
    silences: list[StoredSilence]
    values: Values
    history: History
    status: Status
    registry: CollectorRegistry
    auth_required: bool
    windows: dict[str, str] = field(default_factory=dict)

    def rule(self, name: str) -> Rule | None:
        """Return the configured rule of this name (None if it was removed)."""
        return next((r for r in self.config.rules if r.name == name), None)

    def receiver_counts(self, receiver: str) -> dict[str, float]:
        """Return delivery counters of one receiver: sent, failed, dead_lettered."""
        out = {"sent": 0.0, "failed": 0.0, "dead_lettered": 0.0}
        names = {
            "kpiwatch_notifications_sent_total": "sent",
            "kpiwatch_notifications_failed_total": "failed",
            "kpiwatch_notifications_dead_lettered_total": "dead_lettered",
        }
        for family in self.registry.collect():
            for s in family.samples:
                if s.name in names and s.labels.get("receiver") == receiver:
                    out[names[s.name]] += s.value
        return out


def next_due(alert: Mapping[str, Any], rule: Rule | None, now: datetime) -> str:
    """Return when this alert's next notification is due, in words."""
    if rule is None:
        return "rule removed"
    if alert["silencedBy"] or alert["inhibitedBy"]:
        return "muted"
    if alert["state"] == "pending":
        active = datetime.fromisoformat(alert["activeAt"])
        return f"fires at {active + rule.for_:%H:%M:%S} if it holds"
    sent = alert["notified"]
    if alert["state"] == "resolved":
        told = any(e["status"] == "firing" for e in sent.values())
        return "resolved notice due" if told else "none"
    times = [datetime.fromisoformat(e["at"]) for e in sent.values() if e["status"] == "firing"]
    if len(times) < len(rule.receivers):
        return "due now (group wait)"
    return f"repeat at {min(times) + rule.repeat_interval:%H:%M:%S}"
