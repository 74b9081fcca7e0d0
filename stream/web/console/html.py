"""Markup helpers for the console: layout, tables, sparklines, value formats (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

NAV = (
    ("/", "Overview"),
    ("/alerts", "Alerts"),
    ("/silences", "Silences"),
    ("/notifications", "Notifications"),
    ("/status", "Status"),
)


def esc(value: object) -> str:
    """Return `value` as escaped HTML text."""
    return escape(str(value), quote=True)


def layout(title: str, path: str, body: str, note: str = "", refresh: bool = True) -> str:
    """Return a whole page: navigation, `body` in <main>; refreshed in place when asked."""
    nav = "".join(
        f'<a href="{href}"{" class=here" if href == path else ""}>{name}</a>' for href, name in NAV
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · kpiwatch</title>"
        '<link rel=icon href="data:,">'
        '<link rel=stylesheet href="/static/console.css">'
        '<script src="/static/console.js" defer></script></head>'
        f"<body><header><b>kpiwatch</b><nav>{nav}</nav><span class=note>{esc(note)}</span>"
        f"</header><main id=main{' data-refresh' if refresh else ''}>"
        f"<h1>{esc(title)}</h1>{body}</main></body></html>"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    """Return a table of pre-rendered HTML cells, or `empty` as a paragraph."""
    if not rows:
        return f"<p class=empty>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def badge(state: str) -> str:
    """Return a coloured state label (firing, pending, resolved, ok, active, …)."""
    return f"<span class='badge {esc(state)}'>{esc(state)}</span>"


def sparkline(values: Sequence[float | None], width: int = 120, height: int = 22) -> str:
    """Return an inline SVG line of `values` (gaps where None); empty when < 2 points."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return "<svg class=spark width=120 height=22></svg>"
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span, n = (hi - lo) or 1.0, max(len(values) - 1, 1)
    coords = " ".join(
        f"{i * width / n:.1f},{height - 2 - (v - lo) * (height - 4) / span:.1f}" for i, v in points
    )
    return (
        f"<svg class=spark width={width} height={height} viewBox='0 0 {width} {height}'>"
        f"<polyline fill=none stroke=currentColor stroke-width=1.5 points='{coords}'/></svg>"
    )


def fmt_value(value: float | None, unit: str) -> str:
    """Return a KPI value in its unit: ratio as %, seconds as a duration, counts whole."""
    if value is None:
        return "–"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "seconds":
        return fmt_duration(timedelta(seconds=value))
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"


def fmt_duration(td: timedelta) -> str:
    """Return a short duration: 45s, 3m 20s, 2h 5m, 1d 2h."""
    s = int(td.total_seconds())
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s" if s % 60 else f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m" if s % 3600 // 60 else f"{s // 3600}h"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def fmt_time(at: datetime | None, now: datetime) -> str:
    """Return `HH:MM:SS (3m ago)` in UTC, or – when unset."""
    if at is None:
        return "–"
    delta = now - at
    ahead = delta.total_seconds() < 0
    rel = f"in {fmt_duration(-delta)}" if ahead else f"{fmt_duration(delta)} ago"
    return f"<time datetime='{at.isoformat()}'>{at:%H:%M:%S}</time> ({rel})"
