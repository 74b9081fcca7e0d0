"""The ddsketch-mapped quantile sketch: accuracy, window slides and merges."""

from __future__ import annotations

import random

import pytest

from stream.kpis.sketch import RELATIVE_ACCURACY, Sketch
from stream.kpis.windows import Acc, SlidingWindow

KEY = ("frt", "email", "normal")


def lognormal(n: int, seed: int) -> list[float]:
    """Return `n` response-time-like values (median ≈ e^6 ≈ 400 s, long tail)."""
    rng = random.Random(seed)
    return [rng.lognormvariate(6.0, 1.2) for _ in range(n)]


def exact(values: list[float], q: float) -> float:
    """Return the lower-rank q-quantile, as DDSketch defines it."""
    return sorted(values)[int(q * (len(values) - 1))]


def close(got: float | None, want: float) -> bool:
    return got is not None and abs(got - want) <= RELATIVE_ACCURACY * want


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("q", [0.5, 0.9])
def test_quantile_within_one_percent(seed: int, q: float) -> None:
    values = lognormal(2000, seed)
    s = Sketch()
    for v in values:
        s.add(v)
    assert close(s.quantile(q), exact(values, q))


def test_removed_values_leave_the_quantiles() -> None:
    values = lognormal(1500, 4)
    s = Sketch()
    for v in values:
        s.add(v)
    for v in values[:500]:
        s.remove(v)
    for q in (0.5, 0.9):
        assert close(s.quantile(q), exact(values[500:], q))
    for v in values[500:]:
        s.remove(v)
    assert (s.count, s.bins, s.quantile(0.5)) == (0, {}, None)


def test_merged_sketches_equal_one_sketch_of_all_values() -> None:
    a_values, b_values = lognormal(1200, 5), [3 * v for v in lognormal(800, 6)]
    a, b, both = Sketch(), Sketch(), Sketch()
    for v in a_values:
        a.add(v)
        both.add(v)
    for v in b_values:
        b.add(v)
        both.add(v)
    a.merge(b)
    assert (a.bins, a.count) == (both.bins, both.count)
    for q in (0.5, 0.9):
        assert close(a.quantile(q), exact(a_values + b_values, q))


def test_window_quantiles_follow_the_slide() -> None:
    """15m window, 15 s buckets: 1000 values in 0–900 s, 1000 in 900–1800 s; buckets leave."""
    values = lognormal(2000, 7)
    w = SlidingWindow(900.0)
    old, new = values[:1000], values[1000:]
    for i, v in enumerate(old):  # at 0..899 s
        w.add(i * 0.9, Acc.of({}, [(KEY, v)]), 1)
    for i, v in enumerate(new):  # at 900..1799 s
        w.add(900 + i * 0.9, Acc.of({}, [(KEY, v)]), 1)
    w.advance(1799.0)  # buckets that ended by 899 s left; 885–900 s is still in
    kept = [v for i, v in enumerate(old) if i * 0.9 >= 885.0] + new
    for q in (0.5, 0.9):
        assert close(w.total.sketches[KEY].quantile(q), exact(kept, q))
    w.advance(2699.0)  # only the last bucket (1785–1800 s) is left
    last = [v for i, v in enumerate(new) if 900 + i * 0.9 >= 1785.0]
    assert w.total.sketches[KEY].count == len(last)
    assert close(w.total.sketches[KEY].quantile(0.5), exact(last, 0.5))
    w.advance(2700.0)
    assert KEY not in w.total.sketches  # empty sketches leave the accumulator


def test_bucket_accumulators_merge_into_the_window_total() -> None:
    """Two buckets' sketches merge: the total's quantiles are those of the union."""
    first, second = lognormal(1000, 8), [v / 2 for v in lognormal(1000, 9)]
    w = SlidingWindow(3600.0)  # 60 s buckets
    for v in first:
        w.add(10.0, Acc.of({}, [(KEY, v)]), 1)
    for v in second:
        w.add(70.0, Acc.of({}, [(KEY, v)]), 1)
    assert len(w.buckets) == 2
    for q in (0.5, 0.9):
        assert close(w.total.sketches[KEY].quantile(q), exact(first + second, q))
    w.advance(3600.0 + 60.0)  # the first bucket (0–60 s) leaves
    for q in (0.5, 0.9):
        assert close(w.total.sketches[KEY].quantile(q), exact(second, q))
