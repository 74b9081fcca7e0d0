"""The backtest result as plain data: the `--json` document (docs/backtest.md).

doc = rules_report(config.rules, recorder, rules={"AbandonRateHigh"}, queue="billing")
differences(candidate_rules, baseline_rules)     # per rule and label set
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from alerts.config import Rule
from stream.backtest.record import AlertRecord, Recorder, Span

SCHEMA_VERSION = 1
Doc = dict[str, Any]
_PENDING_KEYS = ("start", "end", "duration_s")


def human(seconds: float) -> str:
    """Format a length of time for people: `2 h 10 m`, `48 m`, `30 s`."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    parts = [f"{d} d"] if d else []
    parts += [f"{h} h"] if h else []
    parts += [f"{m} m"] if m and not d else []
    return " ".join(parts) or "0 s"


def _span(span: Span, until: datetime) -> Doc:
    return {
        "start": span.start.isoformat(),
        "end": None if span.end is None else span.end.isoformat(),
        "duration_s": span.duration(until).total_seconds(),
        "peak": span.peak,
        "notified": span.notified,
        "pending_from": None if span.pending_from is None else span.pending_from.isoformat(),
    }


def alert_report(rec: AlertRecord, until: datetime, series: bool) -> Doc:
    """Return one alert's spans, notifications and flaps (and its KPI series)."""
    receivers: dict[str, dict[str, int]] = {}
    for (receiver, kind), n in sorted(rec.notifications.items()):
        receivers.setdefault(receiver, {"firing": 0, "repeat": 0, "resolved": 0})[kind] += n
    doc: Doc = {
        "labels": rec.shown_labels,
        "firing": [_span(s, until) for s in rec.firing],
        "pending": [
            {k: v for k, v in _span(s, until).items() if k in _PENDING_KEYS} for s in rec.pending
        ],
        "notifications": receivers,
        "flaps": rec.flaps,
        "totals": alert_totals(rec, until),
    }
    if series:
        doc["series"] = [] if rec.series is None else [[t, v] for t, v in rec.series.points]
    return doc


def alert_totals(rec: AlertRecord, until: datetime) -> Doc:
    """Return pages, firing time, span and notification counts of one alert."""
    return {
        "pages": sum(1 for s in rec.firing if s.notified),
        "firing_s": sum(s.duration(until).total_seconds() for s in rec.firing),
        "firing_spans": len(rec.firing),
        "pending_spans": len(rec.pending),
        "notifications": sum(rec.notifications.values()),
        "flaps": rec.flaps,
    }


def _sum(totals: Sequence[Doc]) -> Doc:
    keys = ("pages", "firing_s", "firing_spans", "pending_spans", "notifications", "flaps")
    return {k: sum(t[k] for t in totals) for k in keys}


def rule_meta(rule: Rule) -> Doc:
    """Return what a reader needs to know of a rule next to its results."""
    return {
        "rule": rule.name,
        "kpi": rule.kpi,
        "window": rule.window,
        "stat": rule.stat,
        "op": rule.op,
        "threshold": rule.threshold,
        "recovery": rule.recovery,
        "for_s": rule.for_.total_seconds(),
        "keep_firing_for_s": rule.keep_firing_for.total_seconds(),
        "min_samples": rule.min_samples,
        "severity": rule.severity,
        "receivers": list(rule.receivers),
    }


def selected(rec: AlertRecord, queue: str | None) -> bool:
    """Return whether an alert passes the `--queue` filter."""
    return queue is None or rec.labels.get("queue") == queue


def rules_report(
    rules: Sequence[Rule],
    recorder: Recorder,
    names: Collection[str] | None = None,
    queue: str | None = None,
    series: bool = True,
) -> list[Doc]:
    """Return per rule its settings, its alerts (active ones only) and its totals."""
    out: list[Doc] = []
    until = recorder.end
    for rule in rules:
        if names and rule.name not in names:
            continue
        recs = [
            r
            for r in recorder.alerts.values()
            if r.rule == rule.name and selected(r, queue) and (r.firing or r.pending or series)
        ]
        recs.sort(key=lambda r: sorted(r.shown_labels.items()))
        alerts = [alert_report(r, until, series) for r in recs]
        active = [a for a in alerts if a["firing"] or a["pending"]]
        out.append(
            {
                **rule_meta(rule),
                "alerts": alerts,
                "totals": _sum([a["totals"] for a in active]),
            }
        )
    return out


def _key(rule: str, labels: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return rule, tuple(sorted(labels.items()))


def differences(candidate: list[Doc], baseline: list[Doc]) -> list[Doc]:
    """Return per rule and label set the totals of both configs where they differ."""
    zero: Doc = _sum([])
    cand = {_key(r["rule"], a["labels"]): a["totals"] for r in candidate for a in r["alerts"]}
    base = {_key(r["rule"], a["labels"]): a["totals"] for r in baseline for a in r["alerts"]}
    out: list[Doc] = []
    for key in sorted(set(cand) | set(base)):
        c, b = cand.get(key, zero), base.get(key, zero)
        if c == b:
            continue
        rule, labels = key
        where = " ".join(v for _, v in labels)
        text = (
            f"{rule} {where}".strip()
            + f": {b['pages']} → {c['pages']} pages, "
            + f"{human(b['firing_s'])} → {human(c['firing_s'])} firing"
        )
        out.append(
            {"rule": rule, "labels": dict(labels), "baseline": b, "candidate": c, "text": text}
        )
    return out


def sweep_rows(values: Sequence[tuple[float, str, Doc]]) -> list[Doc]:
    """Return the sweep table rows: each value with the swept rule's totals."""
    return [{"value": v, "label": label, **totals} for v, label, totals in values]
