"""Benchmark: events/s `kpiwatch backtest` replays in-process, and its peak memory.

    python bench/backtest.py --hours 2 --rate 2 [--step 1m]

Generates `hours` of the demo's traffic (stream/dev/traffic.py, `rate` new contacts/s,
with the billing incident) in memory, writes it to a JSON-lines file, and backtests
config/demo.yaml's rules over the last half of it (the first half warms the KPIs up),
in this process. Prints:

- backtest: events replayed ÷ wall time of the whole backtest (decode, KPI core,
  evaluation at `--step` or at the live `worker.evaluation_interval`, rule simulation);
- core only: the same events through decode + the KPI stages, no evaluation (the part
  of the cost that does not depend on the cadence);
- peak memory (ru_maxrss) after each, and ticks/s of the evaluation.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.durations import parse_duration
from stream.backtest.replay import Replay
from stream.backtest.run import Plan, backtest
from stream.backtest.sources import Bad, file_records, in_time_order
from stream.config.root import load_config
from stream.dev.history_file import write_history
from stream.dev.traffic import Incident

START = datetime(2026, 11, 30, tzinfo=UTC)


def peak_mb() -> float:
    """Return this process's peak resident memory in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hours", type=float, default=2.0)
    p.add_argument("--rate", type=float, default=2.0, help="new contacts per second")
    p.add_argument("--step", default="", help="evaluation step (default: the live cadence)")
    p.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    a = p.parse_args()
    config = load_config(a.config)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        span = timedelta(hours=a.hours)
        half = START + span / 2
        inc = Incident(start_after=span * 0.6, duration=timedelta(minutes=20))
        n = write_history(path, start=START, duration=span, rate=a.rate, seed=7, incident=inc)
        print(
            f"history: {n} events, {a.hours:g} h at {a.rate:g} contacts/s; "
            f"before: {peak_mb():.0f} MiB"
        )

        began = time.perf_counter()
        replay = Replay(config)
        for item in in_time_order(file_records([path]), config.allowed_lateness.total_seconds()):
            if not isinstance(item, Bad):
                replay.apply(item)
        core = time.perf_counter() - began
        print(f"core only: {n / core:,.0f} events/s ({core:.1f} s); peak {peak_mb():.0f} MiB")

        step = parse_duration(a.step) if a.step else None
        plan = Plan(config, half, START + span, lambda _s: file_records([path]), step=step)
        began = time.perf_counter()
        doc = backtest(plan)
        took = time.perf_counter() - began
        ticks = (span / 2).total_seconds() / doc["period"]["evaluation_interval_s"]
        pages = sum(r["totals"]["pages"] for r in doc["rules"])
        print(
            f"backtest: {n / took:,.0f} events/s ({took:.1f} s; {ticks:,.0f} ticks at "
            f"{doc['period']['evaluation_interval_s']:g} s, {ticks / took:,.0f} ticks/s; "
            f"{pages} pages); peak {peak_mb():.0f} MiB"
        )


if __name__ == "__main__":
    main()
