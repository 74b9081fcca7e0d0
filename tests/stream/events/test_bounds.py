"""Input that would corrupt KPIs quietly is rejected with a reason (issue 11 §4)."""
# ruff: noqa: E501  (the tables read best one case per line)

from __future__ import annotations

import json
from typing import Any

import pytest

from stream.events.decoding import MAX_EVENT_BYTES, Rejection, decode

AT = "2026-03-02T09:15:30+00:00"


def raw(type_: str, occurred_at: str = AT, **fields: Any) -> bytes:
    return json.dumps(
        {"type": type_, "event_id": "ev-1", "occurred_at": occurred_at, **fields}
    ).encode()


CREATED = {"ticket_id": "T-1", "queue": "billing", "channel": "email", "priority": "high"}


@pytest.mark.parametrize(
    ("stream", "key", "data", "reason"),
    [
        ("tickets", b"T-2", raw("ticket.created", **CREATED), "record key 'T-2' differs from ticket_id 'T-1'"),
        ("calls", b"C-9", raw("call.abandoned", call_id="C-1"), "record key 'C-9' differs from call_id 'C-1'"),
        ("tickets", b"C-1", raw("survey.responded", ticket_id="T-1", survey="csat", score=4), "differs from ticket_id 'T-1'"),
        ("agents", b"\xff\xfe", raw("agent.status_changed", agent_id="a", status="busy"), "differs from agent_id 'a'"),
        ("tickets", None, raw("ticket.created", "1970-01-01T00:00:00Z", **CREATED), "before 2000-01-01"),
        ("tickets", None, raw("ticket.created", "0001-01-01T00:00:00+00:00", **CREATED), "before 2000-01-01"),
        ("calls", None, raw("call.queued", "1999-12-31T23:59:59+00:00", call_id="C", queue="q"), "occurred_at: 1999-12-31T23:59:59+00:00 is before"),
        ("tickets", None, raw("ticket.created", tags=["t"] * 51, **CREATED), "tags: Tuple should have at most 50 items"),
        ("tickets", None, raw("ticket.created", tags=["x" * 129], **CREATED), "tags.0: String should have at most 128 characters"),
        ("agents", None, raw("agent.status_changed", agent_id="a", status="busy", queues=["q"] * 101), "queues: Tuple should have at most 100 items"),
        ("tickets", None, raw("ticket.created", filler="x" * MAX_EVENT_BYTES, **CREATED), "an event may have 64 KiB"),
        ("tickets", None, raw("ticket.created", **{**CREATED, "queue": "q" * 129}), "queue: String should have at most 128"),
    ],
)  # fmt: skip
def test_rejected(stream: str, key: bytes | None, data: bytes, reason: str) -> None:
    got = decode(data, stream, key)
    assert isinstance(got, Rejection), got
    assert reason in got.reason


@pytest.mark.parametrize(
    ("stream", "key", "data"),
    [
        ("tickets", b"T-1", raw("ticket.created", **CREATED)),
        ("tickets", None, raw("ticket.created", **CREATED)),  # no key: accepted
        ("tickets", b"T-1", raw("ticket.created", "2000-01-01T00:00:00Z", **CREATED)),
        ("tickets", b"T-1", raw("ticket.created", tags=["x" * 128] * 50, **CREATED)),
        ("tickets", b"T-1", raw("ticket.created", extra={"a": [1, 2]}, note="x" * 1000, **CREATED)),
        ("calls", b"C-1", raw("survey.responded", call_id="C-1", survey="nps", score=9)),
    ],
)  # fmt: skip
def test_accepted(stream: str, key: bytes | None, data: bytes) -> None:
    assert not isinstance(decode(data, stream, key), Rejection)
