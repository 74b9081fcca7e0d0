"""The backtest report as tables on a terminal (rich), and a progress bar for long replays.

console = Console()
render(doc, console)
with progress_bar(console) as update:
    backtest(plan, progress=update)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from stream.backtest.report import human

Doc = dict[str, Any]
MAX_SPANS = 20  # per rule in the span table; the JSON and HTML have them all


def _when(iso: str | None) -> str:
    return "(still firing)" if iso is None else iso.replace("+00:00", "Z")


def _labels(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(all)"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _notes(counts: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{r}: {c['firing']}/{c['repeat']}/{c['resolved']}" for r, c in sorted(counts.items())
    )


def rules_table(rules: list[Doc]) -> Table:
    """Return one row per rule and active label set."""
    t = Table(title="Alerts per rule and label set", title_justify="left")
    for col in ("rule", "labels", "pages", "firing", "spans", "pending only", "flaps"):
        t.add_column(col, justify="right" if col not in ("rule", "labels") else "left")
    t.add_column("notifications (firing/repeat/resolved)")
    for r in rules:
        active = [a for a in r["alerts"] if a["firing"] or a["pending"]]
        if not active:
            t.add_row(r["rule"], "(never pending)", "0", "0 s", "0", "0", "0", "")
        for a in active:
            tot = a["totals"]
            t.add_row(
                r["rule"],
                _labels(a["labels"]),
                str(tot["pages"]),
                human(tot["firing_s"]),
                str(tot["firing_spans"]),
                str(tot["pending_spans"]),
                str(tot["flaps"]),
                _notes(a["notifications"]),
            )
    return t


def spans_table(rules: list[Doc]) -> Table:
    """Return the firing spans (start, end, duration, peak), the first few per rule."""
    t = Table(title="Firing spans", title_justify="left")
    for col in ("rule", "labels", "start", "end", "duration", "peak"):
        t.add_column(col)
    for r in rules:
        spans = [(a, s) for a in r["alerts"] for s in a["firing"]]
        spans.sort(key=lambda x: x[1]["start"])
        for a, s in spans[:MAX_SPANS]:
            t.add_row(
                r["rule"],
                _labels(a["labels"]),
                _when(s["start"]),
                _when(s["end"]),
                human(s["duration_s"]),
                _num(s["peak"]),
            )
        if len(spans) > MAX_SPANS:
            t.add_row(r["rule"], f"… {len(spans) - MAX_SPANS} more", "", "", "", "")
    return t


def sweep_table(sweep: Doc) -> Table:
    """Return pages and firing time per value of the swept parameter."""
    t = Table(title=f"Sweep {sweep['rule']}.{sweep['param']}", title_justify="left")
    for col in (sweep["param"], "pages", "firing", "spans", "pending only", "flaps"):
        t.add_column(col, justify="right")
    for row in sweep["rows"]:
        mark = " *" if sweep["current"] is not None and row["value"] == sweep["current"] else ""
        t.add_row(
            row["label"] + mark,
            str(row["pages"]),
            human(row["firing_s"]),
            str(row["firing_spans"]),
            str(row["pending_spans"]),
            str(row["flaps"]),
        )
    return t


def render(doc: Doc, console: Console) -> None:
    """Print the whole report."""
    p, rp = doc["period"], doc["replay"]
    ev = rp["events"]
    console.print(
        f"Backtest {_when(p['from'])} → {_when(p['to'])}: {ev.get('accepted', 0)} events "
        f"({ev.get('duplicate', 0)} duplicate, {ev.get('late', 0)} late facts), "
        f"{rp['bad']['total']} bad records, replayed in {rp['seconds']:.1f} s"
    )
    for b in rp["bad"]["first"]:
        console.print(f"  bad record {b['origin']}: {b['reason']}", markup=False)
    console.print(rules_table(doc["rules"]))
    if any(a["firing"] for r in doc["rules"] for a in r["alerts"]):
        console.print(spans_table(doc["rules"]))
    if doc["baseline"] is not None:
        console.print("Against the baseline:")
        for d in doc["differences"] or [{"text": "no difference"}]:
            console.print(f"  {d['text']}", markup=False)
    for sweep in doc["sweeps"]:
        console.print(sweep_table(sweep))
        console.print("  * the value in the config", style="dim")


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[float, float, float], None]]:
    """Yield a progress callback drawing a bar (event time replayed) on a terminal."""
    bar = Progress(
        TextColumn("replaying"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% {task.fields[events]} events"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task("replay", total=1.0, events=0)

    def update(done: float, total: float, events: float) -> None:
        bar.update(task, total=max(total, 1.0), completed=done, events=int(events))

    with bar:
        yield update
