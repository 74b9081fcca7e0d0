"""BatchHistogram exposes the same text as prometheus_client's Histogram fed one by one."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.registry import REGISTRY

from stream.histogram import BatchHistogram

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)
CASES = {
    "nothing": [],
    "one": [0.3],
    "on the bounds": [0.05, 0.1, 1.0, 3600.0],
    "between and above": [0.07, 2.0, 7.5, 3600.5, 1e9],
    "negative (clock skew)": [-4.0, -0.01, 0.0],
    "many batches": [i / 7 for i in range(500)],
}


@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
def test_same_exposition_as_histogram(values: list[float]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batched = BatchHistogram("lag_seconds", "Lag.", BUCKETS, ours)
    single = Histogram("lag_seconds", "Lag.", buckets=BUCKETS, registry=theirs)
    for start in range(0, len(values), 64):  # several batches, like the pipeline's
        batched.observe_many(values[start : start + 64])
    for v in values:
        single.observe(v)
    expected = b"".join(  # the worker turns `_created` series off (stream/app.py)
        line
        for line in generate_latest(theirs).splitlines(keepends=True)
        if b"_created" not in line
    )
    assert generate_latest(ours) == expected


def test_observe_one_and_an_empty_batch() -> None:
    registry = CollectorRegistry()
    h = BatchHistogram("x_seconds", "X.", (1, 2), registry)
    h.observe_many([])
    h.observe(1.5)
    text = generate_latest(registry).decode()
    assert 'x_seconds_bucket{le="1.0"} 0.0' in text
    assert 'x_seconds_bucket{le="2.0"} 1.0' in text
    assert "x_seconds_count 1.0" in text and "x_seconds_sum 1.5" in text
    assert REGISTRY is not registry
