"""Benchmark: events/s `kpiwatch backtest` replays in-process, and its peak memory.

    python bench/backtest.py --hours 1 --rate 2 --eval-minutes 10 [--step 1m] [--oracle]
                             [--profile [N]]

Generates `hours` of the demo's traffic (stream/dev/traffic.py, `rate` new contacts/s,
with the billing incident) to a JSON-lines file, then, in this process:

- core only: every event through decode + the KPI stages, no evaluation (the part of
  the cost that does not depend on the cadence): events/s;
- backtest: config/demo.yaml's rules over the last `eval-minutes` of the history (all
  that precedes warms the KPIs up), evaluated at `--step` or at the live
  `worker.evaluation_interval`: events/s of the whole run, ticks/s of the evaluation,
  how many ticks had anything to evaluate, and the CPU per tick beyond the core's;
- peak memory (ru_maxrss) after each.

`--profile` runs the backtest under cProfile and prints its N costliest functions
(own time, then cumulative); its figures then include the profiler's overhead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.durations import parse_duration
from stream import native
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
    p.add_argument("--hours", type=float, default=1.0)
    p.add_argument("--eval-minutes", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=2.0, help="new contacts per second")
    p.add_argument("--step", default="", help="evaluation step (default: the live cadence)")
    p.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    p.add_argument(
        "--oracle", action="store_true", help="evaluate every KPI and rule at every tick"
    )
    p.add_argument(
        "--profile", type=int, nargs="?", const=25, default=0, help="print the N costliest"
    )
    a = p.parse_args()
    config = load_config(a.config)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        span = timedelta(hours=a.hours)
        evaluated = timedelta(minutes=a.eval_minutes)
        begin = START + span - evaluated
        inc = Incident(start_after=span - evaluated, duration=evaluated / 2)
        n = write_history(path, start=START, duration=span, rate=a.rate, seed=7, incident=inc)
        print(
            f"history: {n} events, {a.hours:g} h at {a.rate:g} contacts/s; "
            f"before: {peak_mb():.0f} MiB; core {native.status()}"
        )

        began, cpu = time.perf_counter(), time.process_time()
        replay = Replay(config)
        for item in in_time_order(file_records([path]), config.replay_threshold.total_seconds()):
            if not isinstance(item, Bad):
                replay.apply(item)
        core, core_cpu = time.perf_counter() - began, time.process_time() - cpu
        print(
            f"core only: {n / core:,.0f} events/s wall, {n / core_cpu:,.0f} events/s of CPU "
            f"({core:.1f} s wall, {core_cpu:.1f} s CPU); peak {peak_mb():.0f} MiB"
        )

        step = parse_duration(a.step) if a.step else None
        plan = Plan(
            config, begin, START + span, lambda _s: file_records([path]), step=step, oracle=a.oracle
        )
        prof = cProfile.Profile() if a.profile else None
        began, cpu = time.perf_counter(), time.process_time()
        if prof is not None:
            prof.enable()
        doc = backtest(plan)
        if prof is not None:
            prof.disable()
        took, took_cpu = time.perf_counter() - began, time.process_time() - cpu
        ticks = doc["replay"]["ticks"]
        pages = sum(r["totals"]["pages"] for r in doc["rules"])
        print(
            f"backtest: {n / took:,.0f} events/s wall, {n / took_cpu:,.0f} of CPU "
            f"({took:.1f} s wall, {took_cpu:.1f} s CPU; {ticks['total']:,} ticks at "
            f"{doc['period']['evaluation_interval_s']:g} s, {ticks['evaluated']:,} evaluated: "
            f"{ticks['total'] / took_cpu:,.1f} ticks per CPU second; "
            f"evaluation {(took_cpu - core_cpu) / ticks['total'] * 1000:.1f} ms of CPU per tick "
            f"beyond the core; {pages} pages); peak {peak_mb():.0f} MiB"
        )
        if prof is not None:
            stats = pstats.Stats(prof)
            stats.sort_stats("tottime").print_stats(a.profile)
            stats.sort_stats("cumulative").print_stats(a.profile)


if __name__ == "__main__":
    main()
