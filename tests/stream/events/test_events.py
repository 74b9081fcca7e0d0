"""Decode every valid event type; reject bad records with a readable reason."""
# ruff: noqa: E501  (the table of bad records reads best one case per line)

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from stream.events.decoding import Rejection, decode
from stream.events.models import (
    EVENT_TYPES,
    STREAMS,
    CallEnded,
    SurveyResponded,
    TicketCreated,
)

AT = "2026-03-02T09:15:30.250+01:00"
AT_TS = datetime(2026, 3, 2, 8, 15, 30, 250000, tzinfo=UTC).timestamp()


def raw(type_: str, **fields: Any) -> bytes:
    body = {"type": type_, "event_id": "ev-1", "occurred_at": AT, **fields}
    return json.dumps(body).encode()


T = {"ticket_id": "T-1"}
C = {"call_id": "C-1"}

VALID: list[tuple[str, bytes, str]] = [
    (
        "tickets",
        raw("ticket.created", **T, queue="billing", channel="email", priority="high"),
        "T-1",
    ),
    (
        "tickets",
        raw(
            "ticket.created",
            **T,
            queue="billing",
            channel="api",
            priority="urgent",
            customer_id="cus-9",
            tags=["vip", "refund"],
        ),
        "T-1",
    ),
    ("tickets", raw("ticket.assigned", **T, agent_id="a-1", team="tier1"), "T-1"),
    ("tickets", raw("ticket.replied", **T, author="agent"), "T-1"),
    ("tickets", raw("ticket.replied", **T, author="customer", public=False), "T-1"),
    ("tickets", raw("ticket.status_changed", **T, status="on_hold"), "T-1"),
    ("tickets", raw("ticket.updated", **T, priority="urgent"), "T-1"),
    ("tickets", raw("ticket.updated", **T, queue="refunds", channel="chat"), "T-1"),
    ("tickets", raw("ticket.escalated", **T), "T-1"),
    ("tickets", raw("ticket.escalated", **T, level=2), "T-1"),
    ("tickets", raw("survey.responded", **T, survey="csat", score=5, queue="billing"), "T-1"),
    ("calls", raw("call.queued", **C, queue="sales", customer_id="cus-1"), "C-1"),
    ("calls", raw("call.answered", **C, agent_id="a-2"), "C-1"),
    ("calls", raw("call.abandoned", **C), "C-1"),
    ("calls", raw("call.ended", **C), "C-1"),
    ("calls", raw("call.ended", **C, hold_seconds=12.5), "C-1"),
    ("calls", raw("call.ended", **C, hold_seconds=0), "C-1"),
    ("calls", raw("call.wrapup_completed", **C), "C-1"),
    ("calls", raw("survey.responded", **C, survey="nps", score=0), "C-1"),
    ("calls", raw("survey.responded", **C, survey="ces", score=7), "C-1"),
    ("agents", raw("agent.status_changed", agent_id="a-3", status="after_call_work"), "a-3"),
    (
        "agents",
        raw("agent.status_changed", agent_id="a-3", status="away", queues=["billing"]),
        "a-3",
    ),
]


@pytest.mark.parametrize(("stream", "data", "entity"), VALID)
def test_valid_events_decode(stream: str, data: bytes, entity: str) -> None:
    event = decode(data, stream)
    assert not isinstance(event, Rejection), event
    assert event.type == json.loads(data)["type"]
    assert event.entity_id == entity
    assert event.event_id == "ev-1"
    assert event.occurred_at.utcoffset() == timedelta(hours=1)
    assert event.ts == pytest.approx(AT_TS)


def test_every_event_type_is_covered() -> None:
    assert {json.loads(data)["type"] for _, data, _ in VALID} == EVENT_TYPES
    assert STREAMS == ("tickets", "calls", "agents")


def test_fields_are_parsed_and_extras_ignored() -> None:
    data = raw("ticket.created", **T, queue="q", channel="web", priority="low", tags=["x"], new=1)
    event = decode(data, "tickets")
    assert isinstance(event, TicketCreated)
    assert (event.queue, event.channel, event.priority, event.tags) == ("q", "web", "low", ("x",))
    assert not hasattr(event, "new")
    ended = decode(raw("call.ended", **C, hold_seconds=3), "calls")
    assert isinstance(ended, CallEnded) and ended.hold_seconds == 3.0


def test_utc_z_suffix_and_space_separator_are_accepted() -> None:
    for stamp in ("2026-03-02T08:15:30.25Z", "2026-03-02 08:15:30.25+00:00"):
        event = decode(raw("call.abandoned", **C).replace(AT.encode(), stamp.encode()), "calls")
        assert not isinstance(event, Rejection), event
        assert event.ts == pytest.approx(AT_TS)


def test_events_are_frozen() -> None:
    event = decode(raw("survey.responded", **C, survey="csat", score=4), "calls")
    assert isinstance(event, SurveyResponded)
    with pytest.raises(AttributeError):
        event.score = 1  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        Rejection("x", None).reason = "y"  # type: ignore[misc]


def with_at(stamp: Any) -> bytes:
    return json.dumps(
        {"type": "call.abandoned", "event_id": "e", "call_id": "c", "occurred_at": stamp}
    ).encode()


BAD: list[tuple[str, str, bytes, str, str | None]] = [
    ("bad JSON", "calls", b'{"type": "call.ended",', "invalid JSON: ", None),
    ("empty record", "calls", b"", "invalid JSON: ", None),
    ("non-UTF-8 bytes", "calls", b'{"type": "call.ended", "call_id": "\xff\xfe"}', "invalid JSON", None),
    ("not an object", "calls", b"[1, 2]", "event must be a JSON object", None),
    ("string record", "calls", b'"call.ended"', "event must be a JSON object", None),
    ("no type", "calls", b'{"event_id": "e"}', "type: field required", None),
    ("unknown type", "calls", raw("call.transferred", **C), "unknown event type 'call.transferred'", "unknown"),
    ("type not a string", "calls", b'{"type": 7}', "unknown event type '7'", "unknown"),
    ("missing field", "calls", raw("call.queued", **C), "missing field: queue", "call.queued"),
    ("missing fields", "tickets", raw("ticket.created", **T), "missing fields: queue, channel, priority", "ticket.created"),
    ("missing entity id", "calls", raw("call.abandoned"), "missing field: call_id", "call.abandoned"),
    ("wrong channel", "tickets", raw("ticket.created", **T, queue="q", channel="fax", priority="low"), "channel: Input should be 'email'", "ticket.created"),
    ("wrong priority", "tickets", raw("ticket.updated", **T, priority="p1"), "priority: Input should be 'low'", "ticket.updated"),
    ("wrong status", "tickets", raw("ticket.status_changed", **T, status="done"), "status: Input should be 'new'", "ticket.status_changed"),
    ("wrong author", "tickets", raw("ticket.replied", **T, author="bot"), "author: Input should be 'agent' or 'customer'", "ticket.replied"),
    ("wrong agent status", "agents", raw("agent.status_changed", agent_id="a", status="lunch"), "status: Input should be 'available'", "agent.status_changed"),
    ("wrong survey kind", "calls", raw("survey.responded", **C, survey="smiley", score=1), "survey: Input should be 'csat'", "survey.responded"),
    ("string for int", "calls", raw("survey.responded", **C, survey="csat", score="5"), "score: Input should be a valid integer", "survey.responded"),
    ("string for bool", "tickets", raw("ticket.replied", **T, author="agent", public="no"), "public: Input should be a valid boolean", "ticket.replied"),
    ("naive timestamp", "calls", with_at("2026-03-02T09:15:30"), "occurred_at: timestamp must carry a UTC offset", "call.abandoned"),
    ("date only", "calls", with_at("2026-03-02"), "occurred_at: must be an RFC 3339 timestamp", "call.abandoned"),
    ("epoch string", "calls", with_at("1772439330"), "occurred_at: must be an RFC 3339 timestamp", "call.abandoned"),
    ("epoch number", "calls", with_at(1772439330), "occurred_at: must be an RFC 3339 timestamp", "call.abandoned"),
    ("garbage timestamp", "calls", with_at("2026-03-02T25:99:00Z"), "occurred_at: Input should be a valid datetime", "call.abandoned"),
    ("csat above 5", "calls", raw("survey.responded", **C, survey="csat", score=6), "score: csat score must be 1–5, got 6", "survey.responded"),
    ("csat below 1", "calls", raw("survey.responded", **C, survey="csat", score=0), "score: csat score must be 1–5, got 0", "survey.responded"),
    ("nps above 10", "calls", raw("survey.responded", **C, survey="nps", score=11), "score: nps score must be 0–10", "survey.responded"),
    ("ces above 7", "calls", raw("survey.responded", **C, survey="ces", score=8), "score: ces score must be 1–7", "survey.responded"),
    ("survey with both ids", "calls", raw("survey.responded", **C, **T, survey="ces", score=3), "needs exactly one of ticket_id, call_id", "survey.responded"),
    ("survey with no id", "calls", raw("survey.responded", survey="ces", score=3), "needs exactly one of ticket_id, call_id", "survey.responded"),
    ("empty update", "tickets", raw("ticket.updated", **T), "must carry at least one of queue, priority, channel", "ticket.updated"),
    ("call on tickets topic", "tickets", raw("call.queued", **C, queue="q"), "type 'call.queued' is not allowed on the tickets topic", "call.queued"),
    ("ticket on calls topic", "calls", raw("ticket.escalated", **T), "type 'ticket.escalated' is not allowed on the calls topic", "ticket.escalated"),
    ("agent on calls topic", "calls", raw("agent.status_changed", agent_id="a", status="busy"), "not allowed on the calls topic", "agent.status_changed"),
    ("call survey on tickets", "tickets", raw("survey.responded", **C, survey="nps", score=3), "survey for a call is not allowed on the tickets topic", "survey.responded"),
    ("ticket survey on calls", "calls", raw("survey.responded", **T, survey="nps", score=3), "survey for a ticket is not allowed on the calls topic", "survey.responded"),
    ("empty event_id", "calls", raw("call.abandoned", **C) .replace(b'"ev-1"', b'""'), "event_id: String should have at least 1 character", "call.abandoned"),
    ("129-char event_id", "calls", raw("call.abandoned", **C).replace(b"ev-1", b"e" * 129), "event_id: String should have at most 128 characters", "call.abandoned"),
    ("negative hold_seconds", "calls", raw("call.ended", **C, hold_seconds=-1), "hold_seconds: Input should be greater than or equal to 0", "call.ended"),
    ("empty queue", "calls", raw("call.queued", **C, queue=""), "queue: String should have at least 1 character", "call.queued"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stream", "data", "reason", "event_type"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_records_are_rejected(
    stream: str, data: bytes, reason: str, event_type: str | None
) -> None:
    result = decode(data, stream)
    assert isinstance(result, Rejection), result
    assert reason in result.reason
    assert "\n" not in result.reason
    assert result.event_type == event_type


def test_128_char_event_id_is_accepted() -> None:
    data = raw("call.abandoned", **C).replace(b"ev-1", b"e" * 128)
    assert not isinstance(decode(data, "calls"), Rejection)


def test_reason_lists_at_most_three_problems() -> None:
    data = json.dumps(
        {"type": "ticket.created", "event_id": "", "occurred_at": "x", "ticket_id": "",
         "queue": "", "channel": "fax", "priority": "p9"}
    ).encode()  # fmt: skip
    result = decode(data, "tickets")
    assert isinstance(result, Rejection)
    assert result.reason.endswith("(+3 more)"), result.reason


def test_unknown_stream_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown stream"):
        decode(raw("call.abandoned", **C), "support.calls")


def test_long_unknown_type_is_truncated_in_reason() -> None:
    result = decode(raw("x" * 1000, **C), "calls")
    assert isinstance(result, Rejection)
    assert len(result.reason) < 120 and result.event_type == "unknown"


def test_timezone_is_kept() -> None:
    event = decode(with_at("2026-03-02T09:15:30-05:30"), "calls")
    assert not isinstance(event, Rejection)
    assert event.occurred_at.utcoffset() == timezone(timedelta(hours=-5, minutes=-30)).utcoffset(
        None
    )
