"""Prometheus-style durations (`500ms`, `30s`, `5m`, `1h30m`, `4h`, `2d`, `1w`).

`alerts/` never imports `stream/`, so it has its own tiny duration type:

    class M(BaseModel):
        wait: Duration = timedelta(seconds=30)

    M.model_validate({"wait": "1h30m"}).wait == timedelta(hours=1, minutes=30)
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS_MS = {"w": 604_800_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_DURATION = re.compile(
    r"^(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?"
    r"(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse a duration string such as `1h30m`; raise ValueError if malformed."""
    if text == "0":
        return timedelta(0)
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"invalid duration {text!r}: expected e.g. 500ms, 30s, 5m, 1h30m, 4h, 2d")
    millis = sum(int(v) * _UNITS_MS[k] for k, v in match.groupdict().items() if v is not None)
    return timedelta(milliseconds=millis)


def format_duration(value: timedelta) -> str:
    """Format a timedelta the way `parse_duration` reads it (`1h30m`, `0s`)."""
    millis = round(value.total_seconds() * 1000)
    if millis <= 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s", "ms"):
        count, millis = divmod(millis, _UNITS_MS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError("duration must not be negative")
        return value
    if isinstance(value, str):
        return parse_duration(value.strip())
    raise ValueError(f"invalid duration {value!r}: expected a string such as 30s or 5m")


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A non-negative timedelta read from a duration string."""
