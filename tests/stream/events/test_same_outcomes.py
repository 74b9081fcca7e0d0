"""msgspec decodes exactly what the pydantic models accept, and rejects with their reasons."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from stream.events.decoding import Rejection, _fast, decode
from stream.events.models import CallAbandoned, Event
from tests.stream.events.corpus import Case, mutations, traffic
from tests.stream.events.test_events import BAD, VALID


def outcome(result: Event | Rejection) -> tuple[Any, ...]:
    """Return everything the pipeline can see of a decode result, types included."""
    if isinstance(result, Rejection):
        return ("rejected", result.reason, result.event_type)
    fields = msgspec.structs.asdict(result)
    at = fields.pop("occurred_at")
    values = tuple((k, v, type(v).__name__) for k, v in sorted(fields.items()))
    stamp = (at.isoformat(), at.utcoffset(), at.timestamp())
    return (result.type, result.entity_id, result.stream, stamp, values)


def corpus() -> list[Case]:
    cases = list(traffic(3000))
    cases += [(stream, data, None) for stream, data, _ in VALID]
    cases += [(stream, data, None) for _, stream, data, _, _ in BAD]
    return cases + list(mutations())


CORPUS = corpus()


def test_the_corpus_holds_good_and_bad_records_of_every_kind() -> None:
    results = [decode(data, stream, key, fast=False) for stream, data, key in CORPUS]
    accepted = {r.type for r in results if not isinstance(r, Rejection)}
    reasons = {r.reason.split(":")[0] for r in results if isinstance(r, Rejection)}
    assert len(accepted) == 13 and len(reasons) > 40, (accepted, reasons)
    assert sum(isinstance(r, Rejection) for r in results) > 2000


@pytest.mark.parametrize("part", range(8))
def test_same_outcome_as_the_pydantic_models(part: int) -> None:
    for stream, data, key in CORPUS[part::8]:
        want = outcome(decode(data, stream, key, fast=False))
        got = outcome(decode(data, stream, key))
        assert got == want, (stream, data[:300], key)


def test_the_synthetic_traffic_takes_the_msgspec_path() -> None:
    for _, data, _ in traffic(3000):
        assert _fast(data) is not None, data


@pytest.mark.parametrize(
    "extra",
    [
        b', "x": NaN',  # the pydantic parser takes NaN, msgspec does not
        b', "kpiwatch.ts": "now"',  # the name of the struct's own ts field
        b', "x": ' + b"[" * 100 + b"]" * 100,  # deeper than msgspec is asked to go
        b', "x": "\xc3\xa9"',  # UTF-8 beyond ASCII
    ],
)
def test_what_only_the_pydantic_models_accept_is_still_an_event(extra: bytes) -> None:
    data = b'{"type": "call.abandoned", "event_id": "e", "call_id": "c", '
    data += b'"occurred_at": "2026-03-02T09:15:30.1234567+01:00"' + extra + b"}"
    event = decode(data, "calls", b"c")
    assert isinstance(event, CallAbandoned), event
    assert event.ts == 1772439330.123456  # truncated as pydantic does, not rounded


def test_a_record_cannot_set_the_event_time_it_is_given() -> None:
    data = b'{"type": "call.abandoned", "event_id": "e", "call_id": "c", "kpiwatch.ts": 1.0, '
    event = decode(data + b'"occurred_at": "2026-03-02T09:15:30+01:00"}', "calls")
    assert isinstance(event, CallAbandoned) and event.ts == 1772439330.0
