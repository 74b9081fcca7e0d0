"""The one duration grammar, of the alert config and the stream config alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from alerts.durations import Duration, PositiveDuration, format_duration, parse_duration

ms, s, m, h, d = (timedelta(milliseconds=1), timedelta(seconds=1), timedelta(minutes=1),
                  timedelta(hours=1), timedelta(days=1))  # fmt: skip


@pytest.mark.parametrize(
    ("text", "value", "canonical"),
    [
        ("500ms", 500 * ms, "500ms"),
        ("5s", 5 * s, "5s"),
        ("30s", 30 * s, "30s"),
        ("2m", 2 * m, "2m"),
        ("1h", h, "1h"),
        ("4h", 4 * h, "4h"),
        ("2d", 2 * d, "2d"),
        ("7d", 7 * d, "1w"),
        ("1w", 7 * d, "1w"),
        ("1h30m", 90 * m, "1h30m"),
        ("90m", 90 * m, "1h30m"),
        ("24h", d, "1d"),
        ("1m30s500ms", 90 * s + 500 * ms, "1m30s500ms"),
        ("0s", timedelta(0), "0s"),
        ("0", timedelta(0), "0s"),
        (" 5m ", 5 * m, "5m"),
    ],
)
def test_parse_and_format(text: str, value: timedelta, canonical: str) -> None:
    assert parse_duration(text) == value
    assert format_duration(value) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty duration"),
        ("5", "bare number '5' is not a duration; add a unit, e.g. '5s'"),
        ("00", "bare number '00' is not a duration; add a unit, e.g. '00s'"),
        ("5x", "'5x' is not a duration"),
        ("1.5h", "'1.5h' is not a duration"),
        ("h", "'h' is not a duration"),
        ("m", "'m' is not a duration"),
        ("-5m", "'-5m' is not a duration"),
        ("1m1h", "'1m1h': give each unit once, largest first"),
        ("30m1h", "'30m1h': give each unit once, largest first"),
        ("1h1h", "'1h1h': give each unit once, largest first"),
        ("5 m", "'5 m' is not a duration"),
    ],
)
def test_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_format_round_trips(millis: int) -> None:
    value = timedelta(milliseconds=millis)
    assert parse_duration(format_duration(value)) == value


class _M(BaseModel):
    wait: Duration = timedelta(0)
    every: PositiveDuration = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"wait": 5}, "bare number 5 is not a duration; add a unit, e.g. '5s'"),
        ({"wait": 1.5}, "bare number 1.5 is not a duration; add a unit, e.g. '90s'"),
        ({"wait": True}, "expected a duration such as '5m'"),
        ({"wait": [1]}, "expected a duration such as '5m'"),
        ({"wait": timedelta(seconds=-1)}, "duration must not be negative"),
        ({"wait": "2 minutes"}, "'2 minutes' is not a duration; expected e.g. '30s'"),
        ({"every": "0s"}, "duration must be longer than 0s"),
        ({"every": "0"}, "duration must be longer than 0s"),
    ],
)
def test_pydantic_types_reject_with_a_clear_message(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _M.model_validate(data)
    assert caught.value.errors()[0]["msg"].startswith(message)


@pytest.mark.parametrize(
    ("data", "wait"),
    [({"wait": "0"}, timedelta(0)), ({"wait": 0}, timedelta(0)), ({}, timedelta(0))],
)
def test_zero_is_the_one_bare_number(data: dict[str, object], wait: timedelta) -> None:
    assert _M.model_validate(data).wait == wait


def test_pydantic_types_accept_and_serialise_as_text() -> None:
    model = _M.model_validate({"wait": "1h30m", "every": timedelta(days=7)})
    assert (model.wait, model.every) == (90 * m, 7 * d)
    assert model.model_dump(mode="json") == {"wait": "1h30m", "every": "1w"}
