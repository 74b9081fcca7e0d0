"""The synthetic traffic model: seeded, ordered, decodable, and its incident bites."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stream.dev.traffic import Incident, Record, TrafficModel
from stream.events.decoding import Rejection, decode
from stream.events.models import EVENT_TYPES

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INCIDENT = Incident(
    queue="billing", start_after=timedelta(minutes=10), duration=timedelta(minutes=20)
)


def ts(record: Record) -> float:
    return datetime.fromisoformat(record.value["occurred_at"]).timestamp()


@pytest.fixture(scope="module")
def records() -> list[Record]:
    model = TrafficModel(seed=42, start=START, rate=1.0, incident=INCIDENT)
    return model.events_until(START + timedelta(hours=1))


def test_same_seed_same_records_however_chunked() -> None:
    whole = TrafficModel(seed=3, start=START, rate=2.0, incident=INCIDENT)
    chunked = TrafficModel(seed=3, start=START, rate=2.0, incident=INCIDENT)
    end = START + timedelta(minutes=40)
    parts: list[Record] = []
    for minute in range(1, 41):
        parts += chunked.events_until(START + timedelta(minutes=minute))
    assert whole.events_until(end) == parts
    assert chunked.events_until(end) == []


def test_other_seed_other_records() -> None:
    a = TrafficModel(seed=1, start=START, rate=1.0).events_until(START + timedelta(minutes=5))
    b = TrafficModel(seed=2, start=START, rate=1.0).events_until(START + timedelta(minutes=5))
    assert a != b


def test_records_come_in_time_order_up_to_the_horizon(records: list[Record]) -> None:
    times = [ts(r) for r in records]
    assert times == sorted(times)
    assert START.timestamp() <= times[0] and times[-1] <= (START + timedelta(hours=1)).timestamp()


def test_each_entity_is_in_strict_time_order_with_unique_event_ids(records: list[Record]) -> None:
    last: dict[tuple[str, str], float] = {}
    for record in records:
        entity, t = (record.stream, record.key), ts(record)
        assert t > last.get(entity, float("-inf")), record
        last[entity] = t
    ids = [r.value["event_id"] for r in records]
    assert len(ids) == len(set(ids))


def test_every_record_decodes_on_its_stream_with_its_key(records: list[Record]) -> None:
    seen = Counter[str]()
    for record in records:
        event = decode(json.dumps(record.value).encode(), record.stream)
        assert not isinstance(event, Rejection), (event, record)
        assert event.entity_id == record.key
        seen[event.type] += 1
    assert set(seen) == EVENT_TYPES


def test_mix_is_realistic(records: list[Record]) -> None:
    types = Counter(r.value["type"] for r in records)
    calls, tickets = types["call.queued"], types["ticket.created"]
    assert 0.5 < calls / (calls + tickets) < 0.7
    created = [r.value for r in records if r.value["type"] == "ticket.created"]
    assert {v["queue"] for v in created} == {"billing", "tech-support", "sales", "refunds"}
    assert {v["channel"] for v in created} == {"email", "chat", "phone", "web", "social", "api"}
    assert {v["priority"] for v in created} == {"low", "normal", "high", "urgent"}
    statuses = {r.value["status"] for r in records if r.value["type"] == "agent.status_changed"}
    assert {"available", "busy", "after_call_work", "away"} <= statuses


def abandon_share(records: list[Record], queue: str, begin: float, end: float) -> float:
    """Share of calls queued in [begin, end) that were abandoned rather than answered."""
    queued = {
        r.key
        for r in records
        if r.value["type"] == "call.queued" and r.value["queue"] == queue and begin <= ts(r) < end
    }
    outcome = Counter(
        r.value["type"]
        for r in records
        if r.key in queued and r.value["type"] in ("call.answered", "call.abandoned")
    )
    return outcome["call.abandoned"] / (outcome["call.abandoned"] + outcome["call.answered"])


def test_incident_raises_billing_abandons_then_recovers(records: list[Record]) -> None:
    begin = (START + INCIDENT.start_after).timestamp()
    end = begin + INCIDENT.duration.total_seconds()
    assert abandon_share(records, "billing", begin, end) > 0.25
    assert abandon_share(records, "billing", START.timestamp(), begin) < 0.1
    assert abandon_share(records, "billing", end + 300, end + 1800) < 0.1
    assert abandon_share(records, "sales", begin, end) < 0.1


def test_incident_leaves_urgent_billing_tickets_unanswered(records: list[Record]) -> None:
    begin = (START + INCIDENT.start_after).timestamp()
    end = begin + INCIDENT.duration.total_seconds()
    created: dict[str, float] = {}
    answered: set[str] = set()
    for r in records:
        v = r.value
        if v["type"] == "ticket.created" and v["queue"] == "billing" and v["priority"] == "urgent":
            created[r.key] = ts(r)
        elif v["type"] == "ticket.replied" and v["author"] == "agent" and ts(r) <= end:
            answered.add(r.key)
    waiting = [k for k, t in created.items() if begin <= t < end - 600 and k not in answered]
    assert len(waiting) > 5


def test_no_incident_keeps_abandons_low() -> None:
    model = TrafficModel(seed=5, start=START, rate=1.0)
    recs = model.events_until(START + timedelta(hours=1))
    assert model.incident_window is None
    assert abandon_share(recs, "billing", START.timestamp(), START.timestamp() + 3600) < 0.1


def test_timestamps_keep_the_start_offset() -> None:
    start = datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    model = TrafficModel(seed=1, start=start, rate=1.0, incident=INCIDENT)
    recs = model.events_until(start + timedelta(minutes=2))
    assert recs and all(r.value["occurred_at"].endswith("+02:00") for r in recs)
    assert model.incident_window == (start + INCIDENT.start_after, start + timedelta(minutes=30))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": datetime(2026, 3, 2, 9, 0)},
        {"rate": 0.0},
        {"incident": Incident(queue="nope")},
        {"agents_per_queue": 0},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"seed": 1, "start": START, "rate": 1.0, **kwargs}
    with pytest.raises(ValueError):
        TrafficModel(**args)  # type: ignore[arg-type]
