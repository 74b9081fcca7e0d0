"""The console's pure parts: headline values, history, next notification, form, markup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from alerts.config import Rule
from alerts.snapshot import KpiSample, KpiSnapshot
from stream.web.console.forms import silence_from_form
from stream.web.console.html import fmt_duration, fmt_value, sparkline
from stream.web.console.state import History, headlines, next_due
from stream.web.errors import RequestError

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_headlines_pick_the_rule_window_and_sum_gauges() -> None:
    snap = KpiSnapshot(
        NOW,
        (
            KpiSample("abandon_rate", {"queue": "billing", "window": "5m"}, 0.2, 30),
            KpiSample("abandon_rate", {"queue": "billing", "window": "15m"}, 0.1, 90),
            KpiSample("open_tickets", {"queue": "billing", "channel": "email"}, 3.0),
            KpiSample("open_tickets", {"queue": "billing", "channel": "chat"}, 4.0),
            KpiSample("longest_wait", {"queue": "billing"}, 30.0),
            KpiSample("service_level", {"queue": "sales", "window": "5m"}, None, 0),
            KpiSample("csat", {"queue": "sales", "window": "5m"}, 0.9, 3),
        ),
    )
    got = headlines(snap, {"abandon_rate": "5m", "service_level": "5m"})
    assert got == {
        "billing": {"abandon_rate": 0.2, "open_tickets": 7.0, "longest_wait": 30.0},
        "sales": {"service_level": None},
    }


def test_history_keeps_the_last_hour() -> None:
    h = History()
    for minutes in (90, 30, 10):
        h.record({"billing": {"calls_waiting": float(minutes)}}, NOW - timedelta(minutes=minutes))
    h.record({}, NOW)
    assert h.series("billing", "calls_waiting", NOW) == [30.0, 10.0, None]


RULE = Rule.model_validate(
    {"name": "R", "kpi": "calls_waiting", "op": ">", "threshold": 1, "for": "1m",
     "receivers": ["a", "b"], "repeat_interval": "1h"}
)  # fmt: skip


def _alert(state: str, notified: dict[str, Any], muted: bool = False) -> dict[str, Any]:
    return {
        "state": state,
        "activeAt": NOW.isoformat(),
        "notified": notified,
        "silencedBy": ["s"] if muted else [],
        "inhibitedBy": [],
    }


@pytest.mark.parametrize(
    ("alert", "want"),
    [
        (_alert("pending", {}), "fires at 10:01:00 if it holds"),
        (_alert("firing", {}, muted=True), "muted"),
        (_alert("firing", {"a": {"status": "firing", "at": NOW.isoformat()}}),
         "due now (group wait)"),
        (_alert("firing", {r: {"status": "firing", "at": NOW.isoformat()} for r in "ab"}),
         "repeat at 11:00:00"),
        (_alert("resolved", {"a": {"status": "firing", "at": NOW.isoformat()}}),
         "resolved notice due"),
        (_alert("resolved", {}), "none"),
    ],
)  # fmt: skip
def test_next_due(alert: dict[str, Any], want: str) -> None:
    assert next_due(alert, RULE, NOW) == want


def test_form_builds_a_silence() -> None:
    form = {
        "matchers": "alertname=R\r\nqueue=~bill.*\nhost=a.b\n",
        "duration": "2h",
        "created_by": "ana",
        "comment": "known",
    }
    body = orjson.loads(silence_from_form(form, NOW))
    assert body["matchers"] == {"alertname": "R", "queue": "bill.*", "host": r"a\.b"}
    assert body["ends_at"] == "2026-01-05T12:00:00Z"


def test_form_problems_are_one_line_each() -> None:
    form = {"matchers": "queue\n", "duration": "soon", "created_by": "", "comment": "x"}
    with pytest.raises(RequestError) as err:
        silence_from_form(form, NOW)
    assert err.value.problems == [
        "matchers line 1: expected label=value or label=~regex",
        "duration: 'soon' is not a duration; "
        "expected e.g. '30s', '5m' or '1h30m' (units: ms, s, m, h, d, w)",
    ]


@pytest.mark.parametrize(
    ("value", "unit", "want"),
    [(0.1234, "ratio", "12.3%"), (200.0, "seconds", "3m 20s"), (7.0, "count", "7"),
     (None, "count", "–"), (-12.5, "score", "-12.5")],
)  # fmt: skip
def test_fmt_value(value: float | None, unit: str, want: str) -> None:
    assert fmt_value(value, unit) == want


@pytest.mark.parametrize(
    ("seconds", "want"), [(5, "5s"), (60, "1m"), (3700, "1h 1m"), (90000, "1d 1h")]
)
def test_fmt_duration(seconds: int, want: str) -> None:
    assert fmt_duration(timedelta(seconds=seconds)) == want


def test_sparkline_needs_two_points_and_skips_gaps() -> None:
    assert "polyline" not in sparkline([1.0])
    line = sparkline([0.0, None, 1.0], width=100, height=22)
    assert "points='0.0,20.0 100.0,2.0'" in line
