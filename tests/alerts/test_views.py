"""Rendering alert states for receivers and for `GET /api/v1/alerts`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from alerts.config import Rule
from alerts.lifecycle import AlertState, NotifyEntry
from alerts.mute import MuteStatus
from alerts.views import alert_json, alert_view, alerts_json, generator_url, render_annotations

from .conftest import T0

RULE = Rule.model_validate(
    {"name": "R", "kpi": "abandon_rate", "window": "15m", "op": ">", "threshold": 0.05,
     "receivers": ["hook"],
     "annotations": {"summary": "{{ value | percent }} on {{ queue }} ({{ samples }}, {{ rule }})"}}
)  # fmt: skip
T1, T2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
BASE = AlertState("fp1", "R", {"alertname": "R", "queue": "billing"}, "firing", T2,
                  value=0.125, samples=40, active_at=T0, fired_at=T1)  # fmt: skip


def test_annotations_render_with_labels_and_values() -> None:
    assert render_annotations(BASE, RULE) == {"summary": "12.5% on billing (40, R)"}


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("", ""),
        ("http://kpiwatch:8000", "http://kpiwatch:8000/api/v1/alerts?fingerprint=fp1"),
        ("http://kpiwatch:8000/", "http://kpiwatch:8000/api/v1/alerts?fingerprint=fp1"),
    ],
)
def test_generator_url(url: str, want: str) -> None:
    assert generator_url(BASE, url) == want


VIEWS = [
    ("firing", BASE, "firing", T1, None),
    ("resolved", replace(BASE, state="resolved", resolved_at=T2), "resolved", T1, T2),
    ("never fired", replace(BASE, fired_at=None), "firing", T0, None),
    ("seen only", replace(BASE, fired_at=None, active_at=None), "firing", T2, None),
]


@pytest.mark.parametrize(
    ("case", "st", "status", "starts", "ends"), VIEWS, ids=[v[0] for v in VIEWS]
)
def test_alert_view(case: str, st: AlertState, status: str, starts: Any, ends: Any) -> None:
    v = alert_view(st, RULE, "")
    assert (v.status, v.starts_at, v.ends_at) == (status, starts, ends)
    assert (v.rule, v.kpi, v.window, v.op, v.threshold) == ("R", "abandon_rate", "15m", ">", 0.05)
    assert (v.value, v.samples, v.labels) == (0.125, 40, {"alertname": "R", "queue": "billing"})


def test_alert_json() -> None:
    st = replace(BASE, notified={"hook": NotifyEntry("firing", T1)})
    got = alert_json(st, RULE, MuteStatus(("s1",), ("fp9",)))
    assert got == {
        "fingerprint": "fp1",
        "rule": "R",
        "state": "firing",
        "labels": {"alertname": "R", "queue": "billing"},
        "annotations": {"summary": "12.5% on billing (40, R)"},
        "value": 0.125,
        "samples": 40,
        "threshold": 0.05,
        "activeAt": T0.isoformat(),
        "startsAt": T1.isoformat(),
        "endsAt": None,
        "silencedBy": ["s1"],
        "inhibitedBy": ["fp9"],
        "notified": {"hook": {"status": "firing", "at": T1.isoformat()}},
    }


def test_alert_json_of_a_gone_rule_has_no_annotations_or_threshold() -> None:
    got = alert_json(BASE, None, MuteStatus())
    assert (got["annotations"], got["threshold"], got["silencedBy"]) == ({}, None, [])


def test_alerts_json_sorts_by_rule_then_fingerprint() -> None:
    states = [replace(BASE, fingerprint="b"), replace(BASE, rule="A", fingerprint="z"),
              replace(BASE, fingerprint="a")]  # fmt: skip
    got = alerts_json(states, {"R": RULE}.get, lambda s: MuteStatus())
    assert [(a["rule"], a["fingerprint"], a["threshold"]) for a in got] == [
        ("A", "z", None),
        ("R", "a", 0.05),
        ("R", "b", 0.05),
    ]
