"""Window names as written in the config file (durations: `alerts.durations`).

A window name is a positive duration (`15m`, `1h`, `24h`) or `today` (since
local midnight in the configured timezone). A window name is kept as written:
it is the `window` label of the metrics and what rules refer to.

    >>> parse_window("1h")
    datetime.timedelta(seconds=3600)
    >>> parse_window("today") is None
    True
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from alerts.durations import parse_duration

TODAY = "today"


def parse_window(name: str) -> timedelta | None:
    """Return a window's length, or None for `today`; raise ValueError if invalid."""
    if name == TODAY:
        return None
    length = parse_duration(name)
    if length <= timedelta(0):
        raise ValueError(f"window '{name}' must be longer than 0s")
    return length


def _validate_window(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "window_type", "a window is a duration such as '15m' or 'today', not a bare number"
        )
    try:
        parse_window(value.strip())
    except ValueError as exc:
        raise PydanticCustomError("window_format", "{reason}", {"reason": str(exc)}) from None
    return value.strip()


WindowName = Annotated[str, PlainValidator(_validate_window), WithJsonSchema({"type": "string"})]
"""A window name as written: `15m`, `1h`, `24h`, `today`."""
