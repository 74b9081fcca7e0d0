"""Compare the pipeline's KPI samples with the reference model's values.

    compared, wrong = compare(model_values, pipeline_samples)
    assert not wrong, "\\n".join(wrong[:20])

Counts exact; ratios and means to 1e-9; p50/p90 within the sketch's 1 % relative
accuracy of the exact value at rank floor(q·(n−1)). A label set with no value and
no samples on both sides is not a value (the pipeline keeps series it once saw at 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from tests.reference.model import Key, Value

SKETCH_ACCURACY = 0.01
MODEL_KPIS = frozenset(
    {
        "abandon_rate", "service_level", "asa", "aht", "calls_offered", "calls_answered",
        "calls_abandoned", "tickets_created", "tickets_solved", "fcr", "reopen_rate",
        "escalation_rate", "csat", "nps", "ces", "sla_compliance", "frt", "resolution_time",
        "open_tickets", "sla_at_risk", "sla_breached", "calls_waiting", "longest_wait",
        "agents_available", "agents_busy", "agents_after_call_work", "agents_away",
        "agents_offline",
    }
)  # fmt: skip


def pipeline_values(samples: Iterable[Any]) -> dict[Key, Value]:
    """Return the samples of the KPIs the model computes, keyed as the model keys them."""
    return {
        (s.kpi, tuple(sorted(s.labels.items()))): (s.value, s.samples)
        for s in samples
        if s.kpi in MODEL_KPIS
    }


def _empty(v: Value) -> bool:
    return v[0] in (None, 0.0) and v[1] in (None, 0)


def _close(key: Key, want: float | None, got: float | None) -> bool:
    if want is None or got is None:
        return want is got
    if dict(key[1]).get("stat") in ("p50", "p90"):
        return math.isclose(got, want, rel_tol=SKETCH_ACCURACY * 1.0001, abs_tol=1e-6)
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


def compare(model: dict[Key, Value], pipeline: dict[Key, Value]) -> tuple[int, list[str]]:
    """Return (values compared, mismatches as readable lines)."""
    compared, wrong = 0, []
    for key in sorted(set(model) | set(pipeline)):
        want, got = model.get(key, (None, None)), pipeline.get(key, (None, None))
        if _empty(want) and _empty(got):
            continue
        compared += 1
        same_n = (want[1] or 0) == (got[1] or 0)
        if not same_n or not _close(key, want[0], got[0]):
            wrong.append(f"{key[0]}{dict(key[1])}: model {want} pipeline {got}")
    return compared, wrong
