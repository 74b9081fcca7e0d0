"""Window names as written in the config (durations: tests/alerts/test_durations.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from stream.config.durations import WindowName, parse_window

m, h, d = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


class _M(BaseModel):
    window: WindowName = "1h"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"window": "0m"}, "window '0m' must be longer than 0s"),
        ({"window": "0"}, "window '0' must be longer than 0s"),
        ({"window": 15}, "a window is a duration such as '15m' or 'today', not a bare number"),
        ({"window": "yesterday"}, "'yesterday' is not a duration"),
    ],
)
def test_window_names_reject_with_a_clear_message(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _M.model_validate(data)
    assert caught.value.errors()[0]["msg"].startswith(message)


def test_window_names_are_kept_as_written() -> None:
    assert _M.model_validate({"window": " today "}).window == "today"
    assert _M.model_validate({"window": "24h"}).model_dump(mode="json") == {"window": "24h"}


def test_window_lengths() -> None:
    assert [parse_window(w) for w in ("15m", "1h", "24h", "today")] == [15 * m, h, d, None]
