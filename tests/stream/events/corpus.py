"""A corpus of good and bad records: synthetic traffic, then every field of every type mutated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from stream.dev.traffic import TrafficModel

Case = tuple[str, bytes, bytes | None]  # (stream, record value, record key)

AT = "2026-03-02T09:15:30.250+01:00"
BASE: list[tuple[str, dict[str, Any]]] = [
    ("tickets", {"type": "ticket.created", "ticket_id": "T-1", "queue": "billing",
                 "channel": "email", "priority": "high", "customer_id": "cus-1", "tags": ["vip"]}),
    ("tickets", {"type": "ticket.assigned", "ticket_id": "T-1", "agent_id": "a-1", "team": "t1"}),
    ("tickets", {"type": "ticket.replied", "ticket_id": "T-1", "author": "agent", "public": False}),
    ("tickets", {"type": "ticket.status_changed", "ticket_id": "T-1", "status": "solved"}),
    ("tickets", {"type": "ticket.updated", "ticket_id": "T-1", "queue": "q", "priority": "low",
                 "channel": "chat"}),
    ("tickets", {"type": "ticket.escalated", "ticket_id": "T-1", "level": 2}),
    ("tickets", {"type": "survey.responded", "ticket_id": "T-1", "survey": "csat", "score": 4,
                 "queue": "billing"}),
    ("calls", {"type": "call.queued", "call_id": "C-1", "queue": "sales", "customer_id": "c"}),
    ("calls", {"type": "call.answered", "call_id": "C-1", "agent_id": "a-2"}),
    ("calls", {"type": "call.abandoned", "call_id": "C-1"}),
    ("calls", {"type": "call.ended", "call_id": "C-1", "hold_seconds": 12.5}),
    ("calls", {"type": "call.wrapup_completed", "call_id": "C-1"}),
    ("calls", {"type": "survey.responded", "call_id": "C-1", "survey": "nps", "score": 0}),
    ("agents", {"type": "agent.status_changed", "agent_id": "a-3", "status": "busy",
                "queues": ["billing", "sales"]}),
]  # fmt: skip

#: Values every field is replaced by in turn: wrong types, edges of each bound, odd numbers.
VALUES: list[Any] = [
    None, "", "x", "x" * 128, "x" * 129, "é" * 128, "é" * 129, 0, 1, -1, 5, 7, 10, 11,
    2**63, 2**64 + 1, 10**30, -(10**30), 1.0, 5.0, 2.5, -0.0, 1e300, True, False, [], ["x"],
    ["x"] * 50, ["x"] * 51, ["x"] * 100, ["x"] * 101, [""], ["x" * 129], [1], {}, {"a": 1},
    "email", "chat", "low", "urgent", "agent", "open", "busy", "csat", "nps", "ces",
    "ticket.created", "call.queued", "survey.responded", "T-1", "C-1",
]  # fmt: skip

TIMESTAMPS: list[Any] = [
    AT, "2026-03-02T08:15:30Z", "2026-03-02T08:15:30z", "2026-03-02t08:15:30Z",
    "2026-03-02 08:15:30+00:00", "2026-03-02T08:15:30.123456789Z", "2026-03-02T08:15:30.1234565Z",
    "2026-03-02T08:15:30.9999995Z", "2026-03-02T08:15:30.Z", "2026-03-02T08:15:30,5Z",
    "2026-03-02T08:15Z", "2026-03-02T08:15:30", "2026-03-02T08:15:30+0100",
    "2026-03-02T08:15:30+01",
    "2026-03-02T08:15:30+24:00", "2026-03-02T08:15:30+23:59", "2026-03-02T08:15:30-00:00",
    "2026-03-02T08:15:30+01:00:30", "2026-03-02T24:00:00Z", "2026-03-02T23:59:60Z",
    "2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-3-2T08:15:30Z",
    "20260302T081530Z", "2026-03-02", "1772439330", 1772439330, 1772439330.5,
    "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", "2000-01-01T00:30:00+01:00",
    "1999-12-31T23:30:00-01:00", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999+14:00",
    "10000-01-01T00:00:00Z", " 2026-03-02T08:15:30Z", "2026-03-02T08:15:30Z ",
    "２０２６-03-02T08:15:30Z", "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59.999999-23:59", "9999-12-31T23:59:59+23:59",
]  # fmt: skip


def record(stream: str, fields: dict[str, Any]) -> Case:
    """Return a well-formed record of `fields` with a common id and time, keyed by its entity."""
    body = {"event_id": "ev-1", "occurred_at": AT, **fields}
    eid = fields.get("ticket_id") or fields.get("call_id") or fields.get("agent_id")
    return stream, json.dumps(body).encode(), str(eid).encode()


def traffic(n: int) -> Iterator[Case]:
    """Yield the first n records of the synthetic traffic the benchmarks replay."""
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    model = TrafficModel(seed=11, start=start, rate=20.0)
    for r in model.events_until(start + timedelta(seconds=n / 20)):
        yield r.stream, json.dumps(r.value).encode(), r.key.encode()


def mutations() -> Iterator[Case]:
    """Yield each base record with each field replaced, dropped, or the record reshaped."""
    for stream, fields in BASE:
        full = {"event_id": "ev-1", "occurred_at": AT, **fields}
        for name in [*full, "ticket_id", "call_id", "queue", "extra"]:
            for value in VALUES:
                yield record(stream, {**fields, name: value})
            yield stream, json.dumps({k: v for k, v in full.items() if k != name}).encode(), None
        for stamp in TIMESTAMPS:
            yield stream, json.dumps({**full, "occurred_at": stamp}).encode(), None
        for other in ("tickets", "calls", "agents"):
            yield other, json.dumps(full).encode(), None
        yield from reshaped(stream, full)


def reshaped(stream: str, full: dict[str, Any]) -> Iterator[Case]:
    """Yield records whose JSON text, not their values, is odd."""
    text = json.dumps(full)
    body = text[1:-1]
    for odd in [
        text + " ",
        " \n" + text,
        text + "x",
        text + "{}",
        "\ufeff" + text,
        text[:-1],
        "{" + body + ', "type": "call.abandoned"}',
        "{" + body + ', "type": "ticket.escalated"}',
        "{" + body + ', "type": "nope"}',
        '{"type": "nope", ' + body + "}",
        "{" + body + ', "queue": "later"}',
        "{" + body + ', "queue": ""}',
        '{"queue": "earlier", ' + body + "}",
        "{" + body + ', "que\\u0075e": "esc"}',
        "{" + body + ', "ty\\u0070e": "call.abandoned"}',
        "{" + body + ', "x": "\\ud800"}',
        "{" + body + ', "x": "\\x41"}',
        "{" + body + ', "x": "a\tb"}',
        "{" + body + ', "x": 01}',
        "{" + body + ', "x": 1.}',
        "{" + body + ', "x": NaN}',
        "{" + body + ', "x": Infinity}',
        "{" + body + ', "x": 1e400}',
        "{" + body + ', "x": -}',
        "{" + body + ",}",
        "{" + body + ', "x": [1,]}',
        "{" + body + ', "x": tru}',
        "{" + body + ', "x": "\\u00e9"}',
        text.replace('"ev-1"', '"\\u0065v-1"'),
        text.replace('"ev-1"', '"\\ud83d\\ude00"'),
        text.replace('"ev-1"', '"\\ud83d"'),
        text.replace('"ev-1"', '"e\\nv"'),
    ]:
        yield stream, odd.encode(), None
    for depth in (10, 31, 32, 33, 100, 199, 200, 201, 255, 256, 257, 1000, 10_000):
        for open_, close in (("[", "]"), ('{"a":', "}")):
            yield (
                stream,
                ("{" + body + ', "x": ' + open_ * depth + close * depth + "}").encode(),
                None,
            )
    for raw in [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xe9"]:
        yield stream, text.encode()[:-1] + b', "x": "' + raw + b'"}', None
        yield stream, text.encode().replace(b"ev-1", b"ev" + raw), None
    yield stream, text.encode("utf-16"), None
    for key in (b"", b"ev-1", b"\xff", b"T-1 ", b"x" * 200):
        yield stream, text.encode(), key
