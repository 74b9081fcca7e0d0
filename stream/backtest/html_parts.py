"""The pieces of the HTML report: an SVG series chart, a sweep chart, a table, CSS and JS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

W, H, PAD = 900, 180, 36

CSS = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:14px;margin:12px 0 4px}
.meta{color:#555}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
svg{background:#fff;border:1px solid #ddd}.series{fill:none;stroke:#1f5fbf;stroke-width:1.5}
.span.pending{fill:#f5b942;opacity:.35}.span.firing{fill:#e0443e;opacity:.35}
.threshold{stroke:#c00;stroke-dasharray:6 4}.recovery{stroke:#080;stroke-dasharray:3 3}
.axis{font-size:11px;fill:#555}.cursor{stroke:#999;visibility:hidden}
.bar{fill:#e0443e}.line{fill:none;stroke:#1f5fbf;stroke-width:2}
"""

# a cursor that follows the mouse and shows the time under it
SCRIPT = """
document.querySelectorAll('svg.chart').forEach(function (svg) {
  var x0 = Number(svg.dataset.x0), x1 = Number(svg.dataset.x1);
  var cur = svg.querySelector('.cursor'), label = svg.querySelector('.cursor-label');
  svg.addEventListener('mousemove', function (e) {
    var box = svg.getBoundingClientRect();
    var px = (e.clientX - box.left) * svg.viewBox.baseVal.width / box.width;
    var f = Math.min(1, Math.max(0, (px - %(pad)d) / (%(w)d - 2 * %(pad)d)));
    cur.setAttribute('x1', px); cur.setAttribute('x2', px);
    cur.style.visibility = 'visible';
    label.textContent = new Date((x0 + f * (x1 - x0)) * 1000).toISOString().slice(0, 19) + 'Z';
  });
  svg.addEventListener('mouseleave', function () { cur.style.visibility = 'hidden'; });
});
""".replace("%(pad)d", str(PAD)).replace("%(w)d", str(W))


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def chart(
    series: Sequence[Sequence[float]],
    spans: Sequence[tuple[str, float, float]],
    threshold: float,
    recovery: float,
    x0: float,
    x1: float,
) -> str:
    """Return an SVG of a KPI series with its spans shaded and its threshold lines."""
    values = [v for _, v in series] + [threshold, recovery]
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    lo, hi = lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05
    span_x = max(x1 - x0, 1e-9)

    def x(t: float) -> float:
        return PAD + (min(max(t, x0), x1) - x0) / span_x * (W - 2 * PAD)

    def y(v: float) -> float:
        return H - PAD + (lo - v) / (hi - lo) * (H - 2 * PAD) + PAD / 2

    parts = [
        f"<rect class='span {kind}' x='{x(a):.1f}' y='{PAD / 2}' width='{max(x(b) - x(a), 1):.1f}' "
        f"height='{H - 1.5 * PAD}' data-start='{a:.0f}' data-end='{b:.0f}'>"
        f"<title>{kind} {_iso(a)} → {_iso(b)}</title></rect>"
        for kind, a, b in spans
    ]
    if series:
        pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series)
        parts.append(f"<polyline class='series' points='{pts}'/>")
    for cls, v in (("threshold", threshold), ("recovery", recovery)):
        parts.append(
            f"<line class='{cls}' x1='{PAD}' x2='{W - PAD}' y1='{y(v):.1f}' y2='{y(v):.1f}'>"
            f"<title>{cls} {v:g}</title></line>"
        )
    parts += [
        f"<text class='axis' x='{PAD}' y='{H - 4}'>{_iso(x0)}</text>",
        f"<text class='axis' x='{W - PAD}' y='{H - 4}' text-anchor='end'>{_iso(x1)}</text>",
        f"<text class='axis' x='2' y='{y(hi) + 10:.1f}'>{hi:.3g}</text>",
        f"<text class='axis' x='2' y='{y(lo):.1f}'>{lo:.3g}</text>",
        f"<line class='cursor' y1='{PAD / 2}' y2='{H - PAD}'/>",
        f"<text class='axis cursor-label' x='{W / 2}' y='12' text-anchor='middle'></text>",
    ]
    return (
        f"<svg class='chart' viewBox='0 0 {W} {H}' width='100%' data-x0='{x0}' data-x1='{x1}' "
        f">{''.join(parts)}</svg>"
    )


def sweep_chart(rows: Sequence[dict[str, Any]]) -> str:
    """Return a small SVG: pages per value as bars, firing time as a line."""
    w, h, pad = 420, 140, 24
    n = max(len(rows), 1)
    top_pages = max([r["pages"] for r in rows] + [1])
    top_firing = max([r["firing_s"] for r in rows] + [1.0])
    step = (w - 2 * pad) / n
    parts = []
    pts = []
    for i, r in enumerate(rows):
        bh = r["pages"] / top_pages * (h - 2 * pad)
        bx = pad + i * step + step * 0.15
        parts.append(
            f"<rect class='bar' x='{bx:.1f}' y='{h - pad - bh:.1f}' width='{step * 0.7:.1f}' "
            f"height='{bh:.1f}'><title>{escape(r['label'])}: {r['pages']} pages</title></rect>"
        )
        parts.append(
            f"<text class='axis' x='{pad + (i + 0.5) * step:.1f}' y='{h - 6}' "
            f"text-anchor='middle'>{escape(r['label'])}</text>"
        )
        ly = h - pad - r["firing_s"] / top_firing * (h - 2 * pad)
        pts.append(f"{pad + (i + 0.5) * step:.1f},{ly:.1f}")
    parts.append(f"<polyline class='line' points='{' '.join(pts)}'/>")
    parts.append(
        f"<text class='axis' x='{pad}' y='12'>bars: pages (max {top_pages}) · "
        f"line: firing time</text>"
    )
    return f"<svg class='sweep-chart' viewBox='0 0 {w} {h}' width='{w}' >{''.join(parts)}</svg>"


def table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str) -> str:
    """Return an HTML table (cells escaped)."""
    if not rows:
        return ""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
