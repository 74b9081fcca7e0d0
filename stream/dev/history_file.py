"""Write synthetic traffic (stream/dev/traffic.py) to a JSON-lines file, for `kpiwatch backtest`.

    python -m stream.dev.history_file day.jsonl.gz --hours 24 --incident-after 14h

Each line is one event in SPEC §1's format, in event-time order; `.gz` compresses.
"""

from __future__ import annotations

import argparse
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, cast

import orjson

from stream.dev.traffic import Incident, TrafficModel

STEP = timedelta(minutes=10)  # generate in slices: memory stays small for any length


def write_history(
    path: Path,
    *,
    start: datetime,
    duration: timedelta,
    rate: float,
    seed: int,
    incident: Incident | None,
) -> int:
    """Write `duration` of traffic from `start` to `path`; return the number of events."""
    model = TrafficModel(seed=seed, start=start, rate=rate, incident=incident)
    n = 0
    with _open(path) as f:
        t = start
        while t < start + duration:
            t = min(t + STEP, start + duration)
            for r in model.events_until(t):
                f.write(orjson.dumps(r.value) + b"\n")
                n += 1
    return n


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "wb"))
    return path.open("wb")


def _duration(text: str) -> timedelta:
    from alerts.durations import parse_duration

    return parse_duration(text)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and write the file."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", type=Path)
    p.add_argument("--start", default="", help="RFC 3339 start [default: midnight UTC today]")
    p.add_argument("--hours", type=float, default=24.0)
    p.add_argument("--rate", type=float, default=2.0, help="new contacts per second")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--incident-after", type=_duration, default=None, help="e.g. 14h")
    p.add_argument("--incident-for", type=_duration, default=timedelta(minutes=20))
    a = p.parse_args(argv)
    if a.start:
        start = datetime.fromisoformat(a.start.replace("Z", "+00:00"))
    else:
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    inc = None
    if a.incident_after is not None:
        inc = Incident(start_after=a.incident_after, duration=a.incident_for)
    n = write_history(
        a.path,
        start=start,
        duration=timedelta(hours=a.hours),
        rate=a.rate,
        seed=a.seed,
        incident=inc,
    )
    print(f"wrote {n} events to {a.path} ({start.isoformat()} + {a.hours:g} h)")


if __name__ == "__main__":
    main()
