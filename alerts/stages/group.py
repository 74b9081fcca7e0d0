"""The group stage: which aggregation groups are due to flush, with their members.

    for flush in Group(rules, store, groups).run(now):
        ...   # mute, then dispatch

Every alert that may notify (firing, or resolved after a receiver was told it
fires) keeps its group's timer alive; a due group whose members have nothing
left to notify is dropped. Members are looked up when the group flushes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from alerts.config import Rule
from alerts.grouping import Groups, GroupTimer, group_labels
from alerts.lifecycle import AlertState
from alerts.rulebook import RuleBook
from alerts.store import AlertStore


@dataclass(frozen=True, slots=True)
class Flush:
    """A group due now: its timer, rule and members (`unmuted` once muted)."""

    timer: GroupTimer
    rule: Rule
    members: tuple[AlertState, ...]
    unmuted: tuple[AlertState, ...] = ()


def notifiable(state: AlertState) -> bool:
    """Return whether an alert has something to notify (firing, or resolving a told one)."""
    if state.state == "firing":
        return True
    return state.state == "resolved" and any(e.status == "firing" for e in state.notified.values())


class Group:
    """Keep the group timers of notifiable alerts and yield the groups due."""

    def __init__(self, rules: RuleBook, store: AlertStore, groups: Groups) -> None:
        self._rules = rules
        self._store = store
        self.groups = groups

    def run(self, now: datetime) -> Iterator[Flush]:
        """Yield each group due at `now`; members are read as each one is reached."""
        for state in self._store:
            rule = self._rules.rule_of(state.rule)
            if rule is not None and notifiable(state):
                labels = group_labels(state.labels, rule.group_by)
                self.groups.touch(rule.name, labels, now, rule.group_wait)
        for timer in self.groups.due(now, self._rules.group_interval):
            rule = self._rules.rule_of(timer.rule)
            if rule is None:
                self.groups.drop(timer.key)
                continue
            members = tuple(
                s
                for s in self._store
                if s.rule == timer.rule
                and s.state != "pending"
                and group_labels(s.labels, rule.group_by) == timer.labels
            )
            if not any(notifiable(s) for s in members):
                self.groups.drop(timer.key)
                continue
            yield Flush(timer, rule, members)
