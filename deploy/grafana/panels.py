"""Grafana dashboard building blocks: thresholds from the kpiwatch config, panels, layout.

t = Thresholds.load(Path("config/kpiwatch.yaml"))
board = Board("uid", "Title", "What it shows", [QUEUE_VAR, WINDOW_VAR])
board.panels += [row("Now"), stat("Open tickets", "sum by (queue) (...)", "short")]
board.to_json()   # the dashboard JSON model Grafana loads
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DS = {"type": "prometheus", "uid": "prometheus"}
Q, W = 'queue=~"$queue"', 'window="$window"'
QW = f"{Q}, {W}"
RATE = "$__rate_interval"

Steps = list[tuple[str, float | None]]
# KPIs with no rule in the config: industry conventions, overridable by a rule.
DEFAULT_STEPS: dict[str, Steps] = {
    "service_level": [("red", None), ("green", 0.8)],  # the classic 80/20 target
    "sla_breached": [("green", None), ("red", 1)],
    "csat": [("red", None), ("orange", 0.7), ("green", 0.8)],
    "sla_compliance": [("red", None), ("orange", 0.9), ("green", 0.95)],
    "sla_breaching_soon": [("green", None), ("yellow", 1)],
    "agents_available": [("red", None), ("green", 1)],  # nobody available: calls wait
    # sustained occupancy above ~85 % burns agents out and lengthens waits
    "occupancy": [("green", None), ("orange", 0.85), ("red", 0.95)],
}
NEUTRAL: Steps = [("blue", None)]
_COLOUR = {"critical": "red", "warning": "orange"}


# --- thresholds from the kpiwatch config ---------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Threshold steps per KPI name, read from a kpiwatch config file."""

    rules: dict[str, dict[str, Any]]
    service_level_seconds: float

    @classmethod
    def load(cls, path: Path) -> Thresholds:
        """Read the first rule of each KPI and the KPI options (no ${VAR} needed)."""
        data = yaml.safe_load(path.read_text())
        rules: dict[str, dict[str, Any]] = {}
        for rule in data.get("rules", []):
            rules.setdefault(rule["kpi"], rule)
        sl = str(data.get("kpis", {}).get("service_level_threshold", "20s"))
        return cls(rules, _seconds(sl))

    def steps(self, kpi: str) -> Steps:
        """Return colour steps: warn at the recovery threshold, alert colour at the threshold."""
        rule = self.rules.get(kpi)
        if rule is None:
            return DEFAULT_STEPS.get(kpi, NEUTRAL)
        colour = _COLOUR.get(rule.get("severity", "warning"), "orange")
        t = float(rule["threshold"])
        r = float(rule.get("recovery_threshold", t))
        if rule["op"] in (">", ">="):
            return (
                [("green", None), ("yellow", r), (colour, t)]
                if r != t
                else [("green", None), (colour, t)]
            )
        return (
            [(colour, None), ("yellow", t), ("green", r)]
            if r != t
            else [(colour, None), ("green", t)]
        )

    def rule_note(self, kpi: str) -> str:
        """Return where a panel's colours come from, for its description."""
        rule = self.rules.get(kpi)
        if rule is None:
            return "Colours: convention (no rule for this KPI in config/kpiwatch.yaml)."
        cond = f"{rule['op']} {rule['threshold']}"
        return f"Colours: rule {rule['name']} in config/kpiwatch.yaml ({cond})."


def _seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for suffix in ("ms", "s", "m", "h"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * units[suffix]
    return float(text)


# --- panels ----------------------------------------------------------------------


def _targets(exprs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend}
        for i, (expr, legend) in enumerate(exprs)
    ]


def _field(unit: str, steps: Steps, **extra: Any) -> dict[str, Any]:
    return {
        "defaults": {
            "unit": unit,
            "color": {"mode": "thresholds" if steps is not NEUTRAL else "palette-classic"},
            "thresholds": {
                "mode": "absolute",
                "steps": [{"color": c, "value": v} for c, v in steps],
            },
            **extra,
        },
        "overrides": [],
    }


def stat(
    title: str,
    expr: str,
    unit: str,
    steps: Steps = NEUTRAL,
    *,
    legend: str = "{{queue}}",
    desc: str = "",
    w: int = 8,
    h: int = 5,
    **extra: Any,
) -> dict[str, Any]:
    """Return a stat panel: one coloured tile per series (per queue by default)."""
    return {
        "type": "stat", "title": title, "description": desc, "datasource": DS,
        "size": (w, h), "targets": _targets([(expr, legend)]),
        "fieldConfig": _field(unit, steps if steps is not NEUTRAL else [("blue", None)], **extra),
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background", "graphMode": "area", "textMode": "value_and_name",
            "orientation": "auto", "justifyMode": "auto", "wideLayout": True,
        },
    }  # fmt: skip


def series(
    title: str,
    exprs: list[tuple[str, str]],
    unit: str,
    steps: Steps = NEUTRAL,
    *,
    desc: str = "",
    stack: bool = False,
    w: int = 12,
    h: int = 8,
    **extra: Any,
) -> dict[str, Any]:
    """Return a time-series panel; threshold steps draw as lines."""
    fc = _field(unit, steps, **extra)
    fc["defaults"]["color"] = {"mode": "palette-classic"}
    fc["defaults"]["custom"] = {
        "drawStyle": "line", "lineWidth": 1, "fillOpacity": 25 if stack else 5,
        "showPoints": "never", "spanNulls": False,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "thresholdsStyle": {"mode": "off" if steps is NEUTRAL else "line+area"},
    }  # fmt: skip
    return {
        "type": "timeseries", "title": title, "description": desc, "datasource": DS,
        "size": (w, h), "targets": _targets(exprs), "fieldConfig": fc,
        "options": {
            "legend": {"displayMode": "table", "placement": "right",
                       "calcs": ["lastNotNull", "max"], "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }  # fmt: skip


def row(title: str) -> dict[str, Any]:
    """Return a row header spanning the board."""
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "size": (24, 1)}


def _layout(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Place panels left to right, wrapping at 24 columns; number them."""
    x = y = line_h = 0
    for pid, panel in enumerate(panels, start=1):
        w, h = panel.pop("size")
        if x + w > 24 or panel["type"] == "row":
            x, y, line_h = 0, y + line_h, 0
        yield {"id": pid, "gridPos": {"h": h, "w": w, "x": x, "y": y}, **panel}
        x, line_h = x + w, max(line_h, h)
        if panel["type"] == "row":
            x, y, line_h = 0, y + h, 0


# --- template variables and the dashboard ------------------------------------------


def query_var(name: str, label: str, query: str, *, multi: bool, default: str) -> dict[str, Any]:
    """Return a Prometheus `label_values` template variable."""
    return {
        "name": name, "label": label, "type": "query", "datasource": DS,
        "definition": query, "query": {"query": query, "refId": f"{name}-values"},
        "refresh": 2, "sort": 1, "multi": multi, "includeAll": multi,
        "allValue": ".*" if multi else None,
        "current": {"selected": True, "text": default, "value": default},
        "hide": 0, "options": [], "regex": "",
    }  # fmt: skip


QUEUE_VAR = query_var(
    "queue", "Queue", "label_values(kpiwatch_calls_offered, queue)", multi=True, default="$__all"
)
WINDOW_VAR = query_var(
    "window", "Window", "label_values(kpiwatch_calls_offered, window)", multi=False, default="15m"
)


@dataclass
class Board:
    """A dashboard: uid, title, variables and panels in reading order."""

    uid: str
    title: str
    description: str
    variables: list[dict[str, Any]]
    panels: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the Grafana dashboard JSON model."""
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["kpiwatch"], "timezone": "browser", "editable": True,
            "schemaVersion": 39, "version": 1, "refresh": "30s", "graphTooltip": 1,
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": self.variables},
            "annotations": {"list": []},
            "links": [{"title": "kpiwatch", "type": "dashboards", "tags": ["kpiwatch"],
                       "asDropdown": True, "includeVars": True, "keepTime": True}],
            "panels": list(_layout([dict(p) for p in self.panels])),
        }  # fmt: skip
