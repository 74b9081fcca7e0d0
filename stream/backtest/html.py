"""The backtest report as one self-contained HTML file (inline SVG, CSS and JS; no network).

    write_html(doc, Path("report.html"))

Per rule: each alert's KPI series over the period, the threshold and recovery
lines, pending spans shaded amber and firing spans red (`rect.span.pending`,
`rect.span.firing`, with `data-start`/`data-end`), then the tables; each sweep
as a small chart of pages and firing time per value, and its table.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from stream.backtest.html_parts import CSS, SCRIPT, chart, sweep_chart, table
from stream.backtest.report import human

Doc = dict[str, Any]
MAX_CHARTS = 12  # per rule: the active label sets first, then the highest peaks


def _t(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _label(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(all)"


def _charts(rule: Doc, x0: float, x1: float) -> list[str]:
    active = [a for a in rule["alerts"] if a["firing"] or a["pending"]]
    quiet = [a for a in rule["alerts"] if a not in active and a.get("series")]
    worst = max if rule["op"] in (">", ">=") else min
    quiet.sort(key=lambda a: worst(v for _, v in a["series"]), reverse=rule["op"] in (">", ">="))
    out = []
    for a in (active + quiet[:3])[:MAX_CHARTS]:
        spans = [("pending", _t(s["start"]), _end(s["end"], x1)) for s in a["pending"]]
        for s in a["firing"]:
            if s["pending_from"] and s["pending_from"] < s["start"]:
                spans.append(("pending", _t(s["pending_from"]), _t(s["start"])))
            spans.append(("firing", _t(s["start"]), _end(s["end"], x1)))
        out.append(
            f"<h3>{escape(_label(a['labels']))}</h3>"
            + chart(a.get("series", []), spans, rule["threshold"], rule["recovery"], x0, x1)
        )
    return out


def _end(iso: str | None, x1: float) -> float:
    return x1 if iso is None else _t(iso)


def _rule_section(rule: Doc, x0: float, x1: float) -> str:
    t = rule["totals"]
    head = (
        f"<h2 id='rule-{escape(rule['rule'])}'>{escape(rule['rule'])}</h2><p class='meta'>"
        f"{escape(rule['kpi'])} {escape(rule['window'] or '')} {escape(rule['op'])} "
        f"{rule['threshold']:g} (recovery {rule['recovery']:g}), for {human(rule['for_s'])}, "
        f"min_samples {rule['min_samples']} — <b>{t['pages']} pages</b>, "
        f"{human(t['firing_s'])} firing, {t['pending_spans']} pending spans that never fired, "
        f"{t['flaps']} flaps</p>"
    )
    spans = [
        [
            _label(a["labels"]),
            s["start"],
            s["end"] or "(still firing)",
            human(s["duration_s"]),
            "" if s["peak"] is None else f"{s['peak']:.4g}",
            "yes" if s["notified"] else "no",
        ]
        for a in rule["alerts"]
        for s in a["firing"]
    ]
    notes = [
        [_label(a["labels"]), r, str(c["firing"]), str(c["repeat"]), str(c["resolved"])]
        for a in rule["alerts"]
        for r, c in sorted(a["notifications"].items())
    ]
    return (
        "<section class='rule'>"
        + head
        + "".join(_charts(rule, x0, x1))
        + table(["labels", "start", "end", "duration", "peak", "paged"], spans, "spans")
        + table(["labels", "receiver", "firing", "repeat", "resolved"], notes, "notifications")
        + "</section>"
    )


def _sweeps(doc: Doc) -> str:
    out = []
    for s in doc["sweeps"]:
        rows = [
            [
                r["label"] + (" *" if r["value"] == s["current"] else ""),
                str(r["pages"]),
                human(r["firing_s"]),
                str(r["firing_spans"]),
                str(r["pending_spans"]),
                str(r["flaps"]),
            ]
            for r in s["rows"]
        ]
        out.append(
            f"<section class='sweep'><h2>Sweep {escape(s['rule'])}.{escape(s['param'])}</h2>"
            + sweep_chart(s["rows"])
            + table(
                [s["param"], "pages", "firing", "spans", "pending only", "flaps"], rows, "sweep"
            )
            + "<p class='meta'>* the value in the config</p></section>"
        )
    return "".join(out)


def _summary(doc: Doc) -> str:
    p, rp = doc["period"], doc["replay"]
    ev = rp["events"]
    bad = "".join(
        f"<li>{escape(b['origin'])}: {escape(b['reason'])}</li>" for b in rp["bad"]["first"]
    )
    diffs = "".join(f"<li>{escape(d['text'])}</li>" for d in doc["differences"])
    base = ""
    if doc["baseline"] is not None:
        base = f"<h2>Against the baseline</h2><ul>{diffs or '<li>no difference</li>'}</ul>"
    files = ", ".join(f"{escape(k)}: {escape(v)}" for k, v in doc.get("files", {}).items())
    return (
        f"<p class='meta'>{escape(p['from'])} → {escape(p['to'])} · {files} · "
        f"{ev.get('accepted', 0)} events, {ev.get('duplicate', 0)} duplicates, "
        f"{ev.get('late', 0)} late facts, {rp['bad']['total']} bad records</p>"
        + (f"<details><summary>first bad records</summary><ul>{bad}</ul></details>" if bad else "")
        + base
    )


def render_html(doc: Doc) -> str:
    """Return the whole report as one HTML document."""
    x0, x1 = _t(doc["period"]["from"]), _t(doc["period"]["to"])
    totals = [
        [
            r["rule"],
            str(r["totals"]["pages"]),
            human(r["totals"]["firing_s"]),
            str(r["totals"]["firing_spans"]),
            str(r["totals"]["pending_spans"]),
            str(r["totals"]["flaps"]),
        ]
        for r in doc["rules"]
    ]
    body = (
        "<h1>kpiwatch backtest</h1>"
        + _summary(doc)
        + table(["rule", "pages", "firing", "spans", "pending only", "flaps"], totals, "totals")
        + _sweeps(doc)
        + "".join(_rule_section(r, x0, x1) for r in doc["rules"])
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>kpiwatch backtest</title><link rel='icon' href='data:,'>"
        f"<style>{CSS}</style></head><body>{body}<script>{SCRIPT}</script></body></html>"
    )


def write_html(doc: Doc, path: Path) -> None:
    """Write the report to `path`."""
    path.write_text(render_html(doc), encoding="utf-8")
