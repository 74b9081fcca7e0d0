"""Aggregation groups: which alerts are notified together, and when.

    groups = Groups()
    key = groups.touch("AbandonRateHigh", {"queue": "billing"}, now, group_wait)
    for timer in groups.due(now, group_interval_of):
        ...  # flush the group's alerts

As in Alertmanager: a new group is flushed `group_wait` after its first
alert, then every `group_interval`; an alert joining a group that already
flushed waits for the next interval. Groups hold timers only; their members
are looked up at flush time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ALL_LABELS = "..."


def group_labels(labels: Mapping[str, str], group_by: Sequence[str]) -> dict[str, str]:
    """Return the labels an alert is grouped by (`...` groups by all labels)."""
    if ALL_LABELS in group_by:
        return dict(labels)
    return {k: labels[k] for k in group_by if k in labels}


def group_key(rule: str, labels: Mapping[str, str]) -> str:
    """Return an Alertmanager-style group key, e.g. `{}/{alertname="X"}:{queue="b"}`."""
    return f'{{}}/{{alertname="{rule}"}}:{_labels(labels)}'


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{labels[k]}"' for k in sorted(labels)) + "}"


@dataclass(slots=True)
class GroupTimer:
    """The flush schedule of one group."""

    key: str
    rule: str
    labels: Mapping[str, str]
    next_flush: datetime


class Groups:
    """Group timers keyed by group key."""

    def __init__(self) -> None:
        self._timers: dict[str, GroupTimer] = {}

    def touch(
        self, rule: str, labels: Mapping[str, str], now: datetime, group_wait: timedelta
    ) -> str:
        """Ensure the group exists (first flush after `group_wait`); return its key."""
        key = group_key(rule, labels)
        if key not in self._timers:
            self._timers[key] = GroupTimer(key, rule, dict(labels), now + group_wait)
        return key

    def due(self, now: datetime, group_interval: Callable[[str], timedelta]) -> list[GroupTimer]:
        """Return the groups due at `now` and schedule their next flush."""
        due = [t for t in self._timers.values() if t.next_flush <= now]
        for timer in due:
            timer.next_flush = now + group_interval(timer.rule)
        return due

    def drop(self, key: str) -> None:
        """Forget a group (it has no members left)."""
        self._timers.pop(key, None)

    def drop_rule(self, rule: str) -> None:
        """Forget every group of a rule."""
        self._timers = {k: t for k, t in self._timers.items() if t.rule != rule}

    def next_due(self) -> datetime | None:
        """Return when the next group is due, or None if there is no group."""
        return min((t.next_flush for t in self._timers.values()), default=None)

    def __len__(self) -> int:
        return len(self._timers)
