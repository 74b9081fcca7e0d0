"""Event builders and a config for the backtest tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stream.config.root import Config

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    """Return T0 + minutes as RFC 3339."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def answered(cid: str, minute: float, queue: str = "billing") -> list[dict[str, Any]]:
    """Return a call queued 10 s before `minute` and answered at it."""
    return [
        {
            "event_id": f"{cid}-q",
            "type": "call.queued",
            "occurred_at": at(minute - 10 / 60),
            "call_id": cid,
            "queue": queue,
        },
        {
            "event_id": f"{cid}-a",
            "type": "call.answered",
            "occurred_at": at(minute),
            "call_id": cid,
            "agent_id": "a1",
        },
    ]


def abandoned(cid: str, minute: float, queue: str = "billing") -> list[dict[str, Any]]:
    """Return a call queued 60 s before `minute` and abandoned at it."""
    return [
        {
            "event_id": f"{cid}-q",
            "type": "call.queued",
            "occurred_at": at(minute - 1),
            "call_id": cid,
            "queue": queue,
        },
        {
            "event_id": f"{cid}-x",
            "type": "call.abandoned",
            "occurred_at": at(minute),
            "call_id": cid,
        },
    ]


def write_jsonl(path: Path, events: list[dict[str, Any]], extra: list[bytes] = ()) -> Path:  # type: ignore[assignment]
    """Write events (and raw extra lines) as JSON lines."""
    with path.open("wb") as f:
        for ev in events:
            f.write(json.dumps(ev).encode() + b"\n")
        for line in extra:
            f.write(line + b"\n")
    return path


RULE: dict[str, Any] = {
    "name": "AbandonRateHigh",
    "kpi": "abandon_rate",
    "window": "15m",
    "match": {"queue": "billing"},
    "op": ">",
    "threshold": 0.3,
    "recovery_threshold": 0.2,
    "for": "2m",
    "min_samples": 10,
    "severity": "critical",
    "receivers": ["hook"],
}


def config(**rule: Any) -> Config:
    """Return a config with one webhook receiver and the abandon-rate rule."""
    return Config.model_validate(
        {
            "receivers": [
                {
                    "name": "hook",
                    "type": "webhook",
                    "url": "http://127.0.0.1:9/x",
                    "send_resolved": True,
                }
            ],
            "rules": [{**RULE, **rule}],
        }
    )
