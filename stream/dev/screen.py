"""The demo's terminal screen: KPIs in the rules' windows and units, alerts, pages (pure).

    view = DemoView.of(config)                     # columns from the demo config's rules
    rows = view.kpis(metrics_text)                 # queue → column → value
    renderable = view.render(rows, alerts_json, pages, header)

Everything here turns plain values into a rich renderable; demo.py does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from stream.config.root import Config
from stream.kpis.catalogue import get as kpi_def

# (kpi, heading): the headline KPIs of a contact centre, current state first
HEADLINE = (
    ("calls_waiting", "waiting"),
    ("longest_wait", "longest wait"),
    ("abandon_rate", "abandon"),
    ("service_level", "service level"),
    ("open_tickets", "open tickets"),
    ("sla_at_risk", "SLA at risk"),
)


@dataclass(frozen=True)
class Column:
    """One KPI column: metric, window (None for current state), unit, heading."""

    kpi: str
    metric: str
    window: str | None
    unit: str
    heading: str


@dataclass(frozen=True)
class Page:
    """One notification the demo's sink received."""

    at: datetime
    status: str
    alertname: str
    queue: str
    summary: str


@dataclass(frozen=True)
class DemoView:
    """The columns to show and the rules behind them."""

    columns: tuple[Column, ...]
    rules: Mapping[str, Any]

    @classmethod
    def of(cls, config: Config) -> DemoView:
        """Return the view for `config`: windowed KPIs in their rules' window (else 15m)."""
        cols = []
        for kpi, heading in HEADLINE:
            d = kpi_def(kpi)
            window = None
            if d.windowed:
                ruled = [r.window for r in config.rules if r.kpi == kpi and r.window]
                window = ruled[0] if ruled else "15m"
            title = f"{heading} ({window})" if window else heading
            cols.append(Column(kpi, d.metric, window, d.unit.value, title))
        return cls(tuple(cols), {r.name: r for r in config.rules})

    def kpis(self, metrics_text: str) -> dict[str, dict[str, float]]:
        """Return queue → kpi → value from the worker's /metrics text."""
        rows: dict[str, dict[str, float]] = {}
        by_metric = {c.metric: c for c in self.columns}
        for fam in text_string_to_metric_families(metrics_text):
            for s in fam.samples:
                col = by_metric.get(s.name)
                if col is None or "queue" not in s.labels:
                    continue
                if col.window is not None and s.labels.get("window") != col.window:
                    continue
                row = rows.setdefault(s.labels["queue"], {})
                old = row.get(col.kpi)
                if col.window is not None or old is None:
                    row[col.kpi] = s.value
                elif col.kpi == "longest_wait":
                    row[col.kpi] = max(old, s.value)
                else:
                    row[col.kpi] = old + s.value
        return rows

    def render(
        self,
        rows: Mapping[str, Mapping[str, float]],
        alerts: Sequence[Mapping[str, Any]],
        pages: Sequence[Page],
        header: str,
        now: datetime,
    ) -> RenderableType:
        """Return the whole screen."""
        kpi = Table(title="KPIs per queue", title_justify="left", expand=True)
        kpi.add_column("queue", style="bold")
        for c in self.columns:
            kpi.add_column(c.heading, justify="right")
        firing = {a["labels"].get("queue") for a in alerts if a["state"] == "firing"}
        for q in sorted(rows):
            cells = [fmt(rows[q].get(c.kpi), c.unit) for c in self.columns]
            kpi.add_row(Text(q, style="red" if q in firing else ""), *cells)
        return Group(
            Text(header, style="bold"),
            kpi,
            self._alerts(alerts, now),
            _pages(pages),
        )

    def _alerts(self, alerts: Sequence[Mapping[str, Any]], now: datetime) -> Table:
        t = Table(title="Active and pending alerts", title_justify="left", expand=True)
        for name in ("state", "alert", "queue", "value", "threshold", "since"):
            t.add_column(name)
        for a in alerts:
            if a["state"] == "resolved":
                continue
            rule = self.rules.get(a["rule"])
            unit = kpi_def(rule.kpi).unit.value if rule else ""
            threshold = f"{rule.op} {fmt(rule.threshold, unit)}" if rule else "–"
            since = a["startsAt"] or a["activeAt"]
            ago = fmt(max(0.0, (now - datetime.fromisoformat(since)).total_seconds()), "seconds")
            style = "red" if a["state"] == "firing" else "yellow"
            muted = " (silenced)" if a["silencedBy"] else ""
            t.add_row(
                Text(a["state"] + muted, style=style),
                a["rule"],
                a["labels"].get("queue", "–"),
                fmt(a["value"], unit),
                threshold,
                f"{ago} ago",
            )
        if not t.row_count:
            t.add_row("–", "none: every rule holds", "", "", "", "")
        return t


def _pages(pages: Sequence[Page]) -> Table:
    t = Table(title="Notifications received by the demo's sink", title_justify="left", expand=True)
    for name in ("at", "status", "alert", "queue", "summary"):
        t.add_column(name)
    for p in pages[-6:]:
        style = "red" if p.status == "firing" else "green"
        t.add_row(f"{p.at:%H:%M:%S}", Text(p.status, style=style), p.alertname, p.queue, p.summary)
    if not t.row_count:
        t.add_row("–", "nothing sent yet", "", "", "")
    return t


def fmt(value: float | None, unit: str) -> str:
    """Return a value in its unit: ratio as %, seconds as 1m 05s, counts whole."""
    if value is None or value != value:  # NaN: no observation in the window yet
        return "–"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "seconds":
        s = int(timedelta(seconds=value).total_seconds())
        return f"{s}s" if s < 60 else f"{s // 60}m {s % 60:02d}s"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"
