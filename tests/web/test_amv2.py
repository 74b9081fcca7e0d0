"""Alertmanager v2 shapes: filters, postable silences, readable errors (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from alerts.config import Silence
from alerts.silences import SilenceStore
from stream.web.amv2 import Filter, alert_v2, query_bool, silence_from_v2, silence_v2
from stream.web.errors import RequestError, error_body

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
LABELS = {"alertname": "AbandonRateHigh", "queue": "billing", "severity": "critical"}


@pytest.mark.parametrize(
    ("filters", "hit"),
    [
        ([], True),
        (["queue=billing"], True),
        (['queue="billing"'], True),
        (["queue!=billing"], False),
        (['queue=~"bill.*"'], True),
        (['queue!~"bill.*"'], False),
        (["queue=sales"], False),
        (["team="], True),  # a missing label matches as ""
        (['{queue="billing",severity=~"crit.*"}'], True),
        (['{queue="billing", severity="info"}'], False),
        (["alertname=AbandonRateHigh", "queue=~b.*"], True),
    ],
)
def test_filter(filters: list[str], hit: bool) -> None:
    assert Filter.parse(filters).matches(LABELS) is hit


@pytest.mark.parametrize(
    ("filters", "problem"),
    [
        (["queue"], "filter 'queue': expected name=value"),
        (['queue=~"("'], "filter 'queue=~\"(\"': invalid regex"),
        (["1abc=x"], "filter '1abc=x': expected"),
    ],
)
def test_bad_filter_is_one_line_each(filters: list[str], problem: str) -> None:
    with pytest.raises(RequestError) as err:
        Filter.parse([*filters, "queue"])
    assert len(err.value.problems) == 2
    assert err.value.problems[0].startswith(problem)


def _body(**over: object) -> bytes:
    body: dict[str, object] = {
        "matchers": [
            {"name": "queue", "value": "bill.*", "isRegex": True, "isEqual": True},
            {"name": "host", "value": "a.b", "isRegex": False},
        ],
        "startsAt": "2026-01-05T10:00:00Z",
        "endsAt": "2026-01-05T11:00:00Z",
        "createdBy": "oncall",
        "comment": "known incident",
    }
    body.update(over)
    return json.dumps(body).encode()


def test_postable_silence_becomes_a_kpiwatch_silence() -> None:
    s = silence_from_v2(_body())
    assert s.matchers == {"queue": "bill.*", "host": r"a\.b"}  # a literal stays literal
    assert s.created_by == "oncall" and s.ends_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("over", "problems"),
    [
        ({"endsAt": None}, ["endsAt: Input should be a valid datetime"]),
        (
            {"comment": "", "createdBy": ""},
            ["createdBy: String should have at least 1 character",
             "comment: String should have at least 1 character"],
        ),
        ({"ends_at": "x"}, ["ends_at: Extra inputs are not permitted"]),
        (
            {"matchers": [{"name": "q", "value": "x", "isRegex": False, "isEqual": False}]},
            ["matchers.0: q!='x': only = and =~ matchers can mute"],
        ),
        ({"endsAt": "2026-01-05T09:00:00Z"}, ["ends_at must be after starts_at"]),
        ({"matchers": []}, ["matchers: List should have at least 1 item after validation, not 0"]),
    ],
)  # fmt: skip
def test_bad_silence_is_one_readable_line_per_problem(
    over: dict[str, object], problems: list[str]
) -> None:
    with pytest.raises(RequestError) as err:
        silence_from_v2(_body(**over))
    assert err.value.problems == problems


def test_error_body_shape() -> None:
    assert error_body(["a: b"]) == {"error": "a: b", "problems": ["a: b"]}
    assert error_body(["a: x", "b: y"])["error"] == "a: x; b: y"


def test_gettable_shapes() -> None:
    store = SilenceStore()
    sid = store.add(
        Silence(matchers={"queue": "billing"}, ends_at=NOW + timedelta(hours=1),
                created_by="ana", comment="c"),
        NOW,
    )  # fmt: skip
    got = silence_v2(store.get(sid), NOW)
    assert got["status"] == {"state": "active"}
    assert got["matchers"] == [
        {"name": "queue", "value": "billing", "isRegex": False, "isEqual": True}
    ]
    assert got["endsAt"] == "2026-01-05T11:00:00Z"
    alert = {
        "labels": LABELS, "annotations": {}, "fingerprint": "f", "rule": "r",
        "startsAt": NOW.isoformat(), "activeAt": None, "silencedBy": [sid], "inhibitedBy": [],
    }  # fmt: skip
    v2 = alert_v2(alert, ["oncall"], NOW)
    assert v2["status"]["state"] == "suppressed" and v2["receivers"] == [{"name": "oncall"}]
    assert v2["startsAt"] == "2026-01-05T10:00:00Z"


@pytest.mark.parametrize(
    ("raw", "want"), [(None, True), ("true", True), ("false", False), ("0", False)]
)
def test_query_bool(raw: str | None, want: bool) -> None:
    assert query_bool({} if raw is None else {"active": raw}, "active", True) is want


def test_query_bool_refuses_junk() -> None:
    with pytest.raises(RequestError, match="active: expected true or false, got 'yes please'"):
        query_bool({"active": "yes please"}, "active", True)
