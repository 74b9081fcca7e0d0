"""Durations as written in kpiwatch's config and API: the one grammar of both.

A duration is `0`, or one or more `<integer><unit>` parts, each unit once and
largest first, with units `w`, `d`, `h`, `m`, `s`, `ms`: `500ms`, `5s`, `2m`,
`1h30m`, `3d`, `1w` (Prometheus's grammar). Any other bare number is refused
because `for: 5` could mean seconds or minutes; `0` means the same in every
unit. Surrounding blanks are ignored. The canonical form is the shortest,
largest units first: a week prints as `1w`, nothing as `0s`.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> format_duration(timedelta(days=7))
    '1w'

`alerts/` never imports `stream/`, so this module is where the stream side's
config reads its durations too.

    class M(BaseModel):
        wait: Duration = timedelta(seconds=30)     # 0 or more
        every: PositiveDuration = timedelta(seconds=1)
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

_UNITS: tuple[tuple[str, timedelta], ...] = (
    ("w", timedelta(weeks=1)),
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("m", timedelta(minutes=1)),
    ("s", timedelta(seconds=1)),
    ("ms", timedelta(milliseconds=1)),
)
_UNIT_ORDER = {unit: rank for rank, (unit, _) in enumerate(_UNITS)}
_UNIT_SIZE = dict(_UNITS)
_PART = re.compile(r"(\d+)(ms|w|d|h|m|s)")
_HINT = "expected e.g. '30s', '5m' or '1h30m' (units: ms, s, m, h, d, w)"
ZERO = "0"


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as `5s`, `1h30m`, `500ms` or `0`; raise ValueError if malformed."""
    spec = text.strip()
    if not spec:
        raise ValueError(f"empty duration; {_HINT}")
    if spec == ZERO:
        return timedelta(0)
    if spec.isdigit():
        raise ValueError(f"bare number '{spec}' is not a duration; add a unit, e.g. '{spec}s'")
    total, pos, last_rank = timedelta(0), 0, -1
    for match in _PART.finditer(spec):
        if match.start() != pos:
            break
        number, unit = match.groups()
        if _UNIT_ORDER[unit] <= last_rank:
            raise ValueError(f"'{text}': give each unit once, largest first, e.g. '1h30m'")
        last_rank = _UNIT_ORDER[unit]
        total += int(number) * _UNIT_SIZE[unit]
        pos = match.end()
    if pos != len(spec):
        raise ValueError(f"'{text}' is not a duration; {_HINT}")
    return total


def format_duration(value: timedelta) -> str:
    """Format a timedelta in the canonical form: `1h30m`, `500ms`, `1w`, `0s`."""
    if value < timedelta(0):
        return "-" + format_duration(-value)
    rest = value // timedelta(milliseconds=1)
    parts: list[str] = []
    for unit, size in _UNITS:
        count, rest = divmod(rest, size // timedelta(milliseconds=1))
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _validate_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise PydanticCustomError("duration_negative", "duration must not be negative")
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PydanticCustomError("duration_type", "expected a duration such as '5m'")
    if value == 0:
        return timedelta(0)
    if not isinstance(value, str):
        raise PydanticCustomError(
            "duration_unit",
            "bare number {value} is not a duration; add a unit, e.g. '{example}'",
            {"value": value, "example": f"{value}s" if isinstance(value, int) else "90s"},
        )
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration_format", "{reason}", {"reason": str(exc)}) from None


def _validate_positive(value: Any) -> timedelta:
    duration = _validate_duration(value)
    if duration <= timedelta(0):
        raise PydanticCustomError("duration_positive", "duration must be longer than 0s")
    return duration


_SCHEMA = WithJsonSchema({"type": "string", "pattern": r"^(0|(\d+(ms|w|d|h|m|s))+)$"})
_AS_TEXT = PlainSerializer(format_duration, return_type=str)

Duration = Annotated[timedelta, PlainValidator(_validate_duration), _AS_TEXT, _SCHEMA]
"""A duration of 0 or more, written `0`, `5s`, `1h30m`, ..."""

PositiveDuration = Annotated[timedelta, PlainValidator(_validate_positive), _AS_TEXT, _SCHEMA]
"""A duration longer than 0."""
