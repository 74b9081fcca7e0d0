"""The pure core agrees with the reference model over seeds, partitionings and read orders."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.reference.compare import compare, pipeline_values
from tests.reference.core import SETTINGS, body_events, run_core
from tests.reference.model import evaluate
from tests.reference.traffic import generate

NOW = datetime(2026, 3, 2, 0, 40, tzinfo=UTC).timestamp()  # `today` began 40 minutes ago


def check(seed: int, partitions: int, workers: int, order: int, now: float, **size: int) -> int:
    records = generate(seed, end=now, **size)
    got = pipeline_values(run_core(records, now, partitions, workers, random.Random(order)))
    compared, wrong = compare(evaluate(body_events(records), now, SETTINGS), got)
    assert not wrong, f"{len(wrong)} of {compared} differ:\n" + "\n".join(wrong[:30])
    return compared


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    partitions=st.integers(1, 4),
    workers=st.integers(1, 3),
    order=st.integers(0, 10**6),
    shift=st.integers(0, 86400),
)
# a worker holding only a quiet queue (newest view 945 s old) took the replay clock while
# its peer stayed live: the clock must not depend on which queues a worker holds
@example(seed=286, partitions=3, workers=2, order=0, shift=10046)
def test_core_matches_the_model(
    seed: int, partitions: int, workers: int, order: int, shift: int
) -> None:
    check(seed, partitions, workers, order, NOW + shift, tickets=40, calls=60, agents=4)


def test_a_larger_run_matches_the_model_value_for_value() -> None:
    assert check(7, 4, 2, 11, NOW, tickets=600, calls=900, agents=12) > 1000
