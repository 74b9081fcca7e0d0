"""The alert engine's decisions on the event-time clock, recording instead of sending.

    sim = Simulator(config.rules, config.receivers, config.silences, config.inhibit_rules,
                    recorder)
    sim.step(at, samples_by_kpi)       # every tick of the replay

Built from alerts' pieces, as the live engine is: rules (evaluate) → lifecycle →
mute (silences, inhibition) → group (group_wait / group_interval) → per receiver
the notification log (`notification_due`, repeat_interval, send_resolved). A
notification is taken as delivered the instant it is due; the lifecycle and the
group timers both run on event time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from alerts import lifecycle
from alerts.config import AlertmanagerReceiver, InhibitRule, Receiver, Rule, Silence
from alerts.fingerprint import fingerprint
from alerts.grouping import Groups, GroupTimer, group_labels
from alerts.lifecycle import AlertState
from alerts.mute import Muter
from alerts.rules import RuleEvaluator
from alerts.silences import SilenceStore
from alerts.snapshot import KpiSample
from alerts.store import told_firing
from stream.backtest.record import Recorder

STALE_AFTER = timedelta(minutes=5)  # the live engine's defaults
RESOLVED_RETENTION = timedelta(minutes=15)


class Simulator:
    """One config's rules, alert states, groups and notification log."""

    def __init__(
        self,
        rules: Sequence[Rule],
        receivers: Sequence[Receiver],
        silences: Sequence[Silence],
        inhibit_rules: Sequence[InhibitRule],
        recorder: Recorder,
    ) -> None:
        self.rules = {r.name: r for r in rules}
        self.evaluators: dict[str, list[RuleEvaluator]] = defaultdict(list)
        for rule in rules:
            self.evaluators[rule.kpi].append(RuleEvaluator(rule))
        self.receivers = {r.name: r for r in receivers}
        self.muter = Muter(SilenceStore(silences), inhibit_rules)
        self.groups = Groups()
        self.states: dict[str, AlertState] = {}
        self.recorder = recorder

    def step(self, now: datetime, by_kpi: Mapping[str, list[KpiSample]]) -> None:
        """Evaluate every rule at `now` and flush the groups that are due."""
        seen: set[str] = set()
        for kpi, evaluators in self.evaluators.items():
            samples = by_kpi.get(kpi, ())
            for evaluator in evaluators:
                rule = evaluator.rule
                for sample in samples:
                    if not evaluator.selects(sample):
                        continue
                    ev = evaluator.evaluate_sample(sample)
                    fp = fingerprint(ev.labels)
                    seen.add(fp)
                    self.recorder.observe(rule, fp, ev.labels, now, ev.value)
                    prev = self.states.get(fp)
                    self._put(rule, prev, lifecycle.step(prev, ev, rule, now), ev.value, now)
        for state in list(self.states.values()):
            absent = state.fingerprint not in seen and state.state != "resolved"
            if absent and now - state.last_seen >= STALE_AFTER:
                rule = self.rules[state.rule]
                self._put(rule, state, lifecycle.expire(state, now), state.value, now)
        self._tick(now)

    def _put(
        self,
        rule: Rule,
        prev: AlertState | None,
        new: AlertState | None,
        value: float | None,
        now: datetime,
    ) -> None:
        state = new or prev
        if state is None:
            return
        self.recorder.transition(rule, prev, new, value, now)
        if new is None:
            self.states.pop(state.fingerprint, None)
        else:
            self.states[state.fingerprint] = new

    def _tick(self, now: datetime) -> None:
        for state in self.states.values():
            if _notifiable(state):
                rule = self.rules[state.rule]
                labels = group_labels(state.labels, rule.group_by)
                self.groups.touch(rule.name, labels, now, rule.group_wait)
        for timer in self.groups.due(now, lambda name: self.rules[name].group_interval):
            self._flush(timer, now)
        self._gc(now)

    def _flush(self, timer: GroupTimer, now: datetime) -> None:
        rule = self.rules[timer.rule]
        members = [
            s
            for s in self.states.values()
            if s.rule == timer.rule
            and s.state != "pending"
            and group_labels(s.labels, rule.group_by) == timer.labels
        ]
        if not any(_notifiable(s) for s in members):
            self.groups.drop(timer.key)
            return
        firing = {fp: s.labels for fp, s in self.states.items() if s.state == "firing"}
        unmuted = [
            s for s in members if not self.muter.status(s.labels, s.fingerprint, firing, now).muted
        ]
        for name in rule.receivers:
            receiver = self.receivers.get(name)
            if receiver is None:
                continue
            self._clear_unsent_resolved(members, receiver, now)
            alerts = [
                s
                for s in unmuted
                if s.state == "firing" or (receiver.send_resolved and told_firing(s, name))
            ]
            repeat = repeat_interval(receiver, rule)
            due = any(
                lifecycle.notification_due(s, name, now, repeat, receiver.send_resolved)
                for s in alerts
            )
            if due:
                self._send(timer.key, name, alerts, now)

    def _send(self, key: str, receiver: str, alerts: list[AlertState], now: datetime) -> None:
        sent: list[tuple[str, str]] = []
        for old in alerts:
            s = self.states[old.fingerprint]  # another receiver may have logged it just now
            status: lifecycle.NotifyStatus = "firing" if s.state == "firing" else "resolved"
            kind = "repeat" if status == "firing" and told_firing(s, receiver) else status
            sent.append((s.fingerprint, kind))
            self.states[s.fingerprint] = lifecycle.record(s, receiver, status, now)
        self.recorder.notified(now, receiver, key, sent)

    def _clear_unsent_resolved(
        self, members: list[AlertState], receiver: Receiver, now: datetime
    ) -> None:
        # as the engine: a receiver without send_resolved forgets the firing entry
        if receiver.send_resolved:
            return
        for s in members:
            if s.state == "resolved" and told_firing(s, receiver.name):
                self.states[s.fingerprint] = lifecycle.record(s, receiver.name, "resolved", now)

    def _gc(self, now: datetime) -> None:
        for s in list(self.states.values()):
            if s.state != "resolved" or s.resolved_at is None:
                continue
            age = now - s.resolved_at
            told = any(told_firing(s, n) for n in self.rules[s.rule].receivers)
            if age >= RESOLVED_RETENTION and (not told or age >= timedelta(days=1)):
                del self.states[s.fingerprint]


def repeat_interval(receiver: Receiver, rule: Rule) -> timedelta:
    """Return how often a still-firing alert is re-sent (Alertmanager pushes: its resend)."""
    if isinstance(receiver, AlertmanagerReceiver):
        return receiver.resend_interval
    return rule.repeat_interval


def _notifiable(state: AlertState) -> bool:
    if state.state == "firing":
        return True
    return state.state == "resolved" and any(e.status == "firing" for e in state.notified.values())
