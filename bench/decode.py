"""Benchmark: µs per record of each event decoder, on the event mix `bench/core.py` replays.

    python bench/decode.py --events 20000

Decodes the same records (the synthetic traffic, as bytes with their keys) with the
pydantic models alone (the decoder before msgspec) and with `decode` (msgspec, pydantic
for what msgspec refuses), then the same number of invalid records made from them
(a field missing, a wrong value, a naive time, broken JSON, an unknown type, a foreign
key). Best of `--runs`, CPU time of this process, so a busy machine skews it less.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream.dev.traffic import TrafficModel
from stream.events.decoding import Rejection, decode

Rec = tuple[bytes, str, bytes]  # (value, stream, key)
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def valid(n: int) -> list[Rec]:
    """Return the first n records of the traffic `bench/core.py` replays."""
    model = TrafficModel(seed=11, start=START, rate=20.0)
    out: list[Rec] = []
    t = START
    while len(out) < n:
        t += timedelta(minutes=10)
        out += [(orjson.dumps(r.value), r.stream, r.key.encode()) for r in model.events_until(t)]
    return out[:n]


def _spoil(body: dict[str, Any], how: int) -> bytes:
    body = dict(body)
    if how == 0:
        del body["occurred_at"]
    elif how == 1:
        body["type"] = "call.transferred"
    elif how == 2:
        body["occurred_at"] = body["occurred_at"][:19]  # no offset
    elif how == 3:
        body["event_id"] = ""
    elif how == 4:
        return orjson.dumps(body)[:-7]
    return orjson.dumps(body)


def invalid(records: list[Rec]) -> list[Rec]:
    """Return one bad record per good one, spoiled in one of six ways."""
    rng = random.Random(3)
    out: list[Rec] = []
    for value, stream, key in records:
        how = rng.randrange(6)
        if how == 5:
            out.append((value, stream, b"someone-else"))
        else:
            out.append((_spoil(orjson.loads(value), how), stream, key))
    return out


def timed(fn: Callable[[bytes, str, bytes], object], recs: list[Rec], runs: int) -> float:
    """Return the best µs per record of `fn` over `runs` passes."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        for value, stream, key in recs:
            fn(value, stream, key)
        best = min(best, time.process_time() - t0)
    return best / len(recs) * 1e6


def pydantic_only(value: bytes, stream: str, key: bytes) -> object:
    """Decode as kpiwatch did before msgspec: the pydantic models alone."""
    return decode(value, stream, key, fast=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    good = valid(args.events)
    bad = invalid(good)
    assert not any(isinstance(decode(*r), Rejection) for r in good)
    assert all(isinstance(decode(*r), Rejection) for r in bad)
    gc.collect()
    gc.freeze()
    print(f"decoders — {len(good)} valid and {len(bad)} invalid records, best of {args.runs}")
    print(f"{'decoder':<10} {'valid µs/rec':>13} {'invalid µs/rec':>15}")
    for name, fn in (("pydantic", pydantic_only), ("msgspec", decode)):
        ok, ko = timed(fn, good, args.runs), timed(fn, bad, args.runs)
        print(f"{name:<10} {ok:13.2f} {ko:15.2f}")


if __name__ == "__main__":
    main()
