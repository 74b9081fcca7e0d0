"""`kpiwatch backtest`'s body: arguments → plan → replay → table, HTML, JSON.

Exit codes: 0 done, 2 bad arguments, 1 the history could not be read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
from rich.console import Console

from alerts.durations import parse_duration
from stream.backtest.run import OpenRecords, Plan, backtest
from stream.backtest.sources import Raw, file_records
from stream.backtest.sweep import SweepError, parse_sweep
from stream.backtest.terminal import progress_bar, render
from stream.config.root import Config


@dataclass
class BacktestArgs:
    """The command line, parsed by typer."""

    start: str
    end: str
    config: Config
    config_name: str
    baseline: Config | None
    baseline_name: str | None
    events: list[Path]
    rules: str | None
    queue: str | None
    sweeps: list[str]
    html: Path | None
    json: Path | None
    flap_window: str
    step: str | None = None
    # how to read the configured topics (stream.kafka.history, passed in by the command)
    read_topics: Callable[[Config, float], Iterable[Raw]] | None = None


class UsageError(ValueError):
    """An argument that cannot be used."""


def parse_time(text: str, name: str) -> datetime:
    """Parse an RFC 3339 time with offset (`Z` allowed)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{name} {text!r}: expected RFC 3339, e.g. 2026-11-01T00:00:00Z") from exc
    if value.utcoffset() is None:
        raise UsageError(f"{name} {text!r}: give an offset (Z or +01:00)")
    return value


def plan_of(args: BacktestArgs) -> Plan:
    """Return the plan the arguments ask for; raise UsageError or SweepError."""
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    if end <= start:
        raise UsageError("--to must be after --from")
    for path in args.events:
        if not path.is_file():
            raise UsageError(f"--events {path}: no such file")
    names = frozenset(n.strip() for n in (args.rules or "").split(",") if n.strip())
    unknown = names - {r.name for r in args.config.rules}
    if unknown:
        raise UsageError(f"--rules: no rule named {', '.join(sorted(unknown))} in the config")
    try:
        flap = parse_duration(args.flap_window)
    except ValueError as exc:
        raise UsageError(f"--flap-window: {exc}") from exc
    try:
        step = parse_duration(args.step) if args.step else None
    except ValueError as exc:
        raise UsageError(f"--step: {exc}") from exc
    if step is not None and step.total_seconds() <= 0:
        raise UsageError("--step must be positive")
    files = {"config": args.config_name, "baseline": args.baseline_name}
    return Plan(
        args.config,
        start,
        end,
        _records(args),
        baseline=args.baseline,
        rules=names,
        queue=args.queue,
        sweeps=[parse_sweep(s) for s in args.sweeps],
        flap_window=flap,
        step=step,
        labels={k: v for k, v in files.items() if v},
    )


def _records(args: BacktestArgs) -> OpenRecords:
    if args.events:
        files = list(args.events)
        return lambda _since: file_records(files)
    read, config = args.read_topics, args.config
    if read is None:
        raise UsageError("give --events FILE: no Kafka reader here")
    return lambda since: read(config, since)


def run_backtest(args: BacktestArgs) -> int:
    """Run the command; return its exit code."""
    console = Console(soft_wrap=True)
    err = Console(stderr=True)
    try:
        plan = plan_of(args)
    except (UsageError, SweepError) as exc:
        print(f"kpiwatch backtest: {exc}", file=sys.stderr)
        return 2
    try:
        with progress_bar(err) as update:
            doc = backtest(plan, progress=update)
    except RuntimeError as exc:  # HistoryError: the topics could not be read
        print(f"kpiwatch backtest: {exc}", file=sys.stderr)
        return 1
    render(doc, console)
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        console.print(f"JSON report: {args.json}")
    if args.html is not None:
        from stream.backtest.html import write_html

        write_html(doc, args.html)
        console.print(f"HTML report: {args.html}")
    sys.stdout.flush()
    return 0
