"""Aggregation groups: group labels, keys, and the group_wait / group_interval timers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.grouping import Groups, group_key, group_labels

from .conftest import T0

LABELS = {"alertname": "R", "queue": "billing", "severity": "critical"}


@pytest.mark.parametrize(
    ("group_by", "want"),
    [
        (["alertname", "queue"], {"alertname": "R", "queue": "billing"}),
        (["queue", "missing"], {"queue": "billing"}),
        ([], {}),
        (["..."], LABELS),
        (["queue", "..."], LABELS),
    ],
)
def test_group_labels(group_by: list[str], want: dict[str, str]) -> None:
    assert group_labels(LABELS, group_by) == want


@pytest.mark.parametrize(
    ("labels", "key"),
    [
        ({}, '{}/{alertname="R"}:{}'),
        ({"queue": "b", "alertname": "R"}, '{}/{alertname="R"}:{alertname="R", queue="b"}'),
    ],
)
def test_group_key_sorts_labels(labels: dict[str, str], key: str) -> None:
    assert group_key("R", labels) == key


def _interval(_rule: str) -> timedelta:
    return timedelta(minutes=5)


def test_first_flush_after_group_wait_then_every_interval() -> None:
    groups = Groups()
    wait = timedelta(seconds=30)
    key = groups.touch("R", {"queue": "b"}, T0, wait)
    assert groups.next_due() == T0 + wait
    assert groups.due(T0 + timedelta(seconds=29), _interval) == []
    [timer] = groups.due(T0 + wait, _interval)
    assert (timer.key, timer.rule, dict(timer.labels)) == (key, "R", {"queue": "b"})
    assert groups.next_due() == T0 + wait + timedelta(minutes=5)
    # touching an existing group does not move its timer
    assert groups.touch("R", {"queue": "b"}, T0 + wait, wait) == key
    assert groups.next_due() == T0 + wait + timedelta(minutes=5)
    assert len(groups) == 1


def test_drop_and_drop_rule() -> None:
    groups = Groups()
    k1 = groups.touch("R", {"queue": "a"}, T0, timedelta(0))
    groups.touch("R", {"queue": "b"}, T0, timedelta(0))
    groups.touch("S", {"queue": "a"}, T0, timedelta(0))
    groups.drop(k1)
    groups.drop("no such key")
    assert len(groups) == 2
    groups.drop_rule("R")
    assert [t.rule for t in groups.due(T0, _interval)] == ["S"]


def test_no_group_no_due_time() -> None:
    assert Groups().next_due() is None
