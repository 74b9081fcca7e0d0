"""The alert engine's decisions on the event-time clock, recording instead of sending.

    sim = Simulator(config.rules, config.receivers, config.silences, config.inhibit_rules,
                    recorder)
    sim.step(at, samples_by_kpi)       # every tick of the replay

Built from alerts' pieces, as the live engine is: rules (`RuleBook`, evaluate) →
lifecycle → the `Group` stage (group_wait / group_interval) → the `Mute` stage
(silences, inhibition) → per receiver the notification log (`notification_due`,
repeat_interval, send_resolved), over an `AlertStore`. A notification is taken as
delivered the instant it is due; the lifecycle and the group timers both run on
event time. Not reused: the `Evaluate` stage (a whole snapshot at once, no hook
for the recorder; `step` is its twin and `incremental` its incremental form),
`Dispatch` and `Retention` (bound to the live `ReceiverSet`: receiver workers,
HTTP client, metrics), whose decisions are repeated here on the recorder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from alerts import lifecycle
from alerts.config import AlertmanagerReceiver, InhibitRule, Receiver, Rule, Silence
from alerts.fingerprint import fingerprint
from alerts.grouping import Groups
from alerts.lifecycle import AlertState
from alerts.mute import Muter
from alerts.rulebook import RuleBook
from alerts.silences import SilenceStore
from alerts.snapshot import KpiSample
from alerts.stages.group import Flush, Group
from alerts.stages.mute import Mute
from alerts.store import AlertStore, told_firing
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
        self.book = RuleBook(rules)
        self.rules = self.book.rules
        self.evaluators = self.book.evaluators
        self.receivers = {r.name: r for r in receivers}
        # the store's clock is the live notification log's; a replay records instead
        self.store = AlertStore(lambda: datetime.fromtimestamp(0, UTC), self.book.rule_of)
        self.groups = Groups()
        self._group = Group(self.book, self.store, self.groups)
        self._mute = Mute(Muter(SilenceStore(silences), inhibit_rules), self.store)
        self.recorder = recorder

    def step(self, now: datetime, by_kpi: Mapping[str, list[KpiSample]]) -> None:
        """Evaluate every rule on every sample at `now`; flush the due groups (the oracle)."""
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
                    prev = self.store.get(fp)
                    self.put(rule, prev, lifecycle.step(prev, ev, rule, now), ev.value, now)
        for state in self.store:
            absent = state.fingerprint not in seen and state.state != "resolved"
            if absent and now - state.last_seen >= STALE_AFTER:
                rule = self.rules[state.rule]
                self.put(rule, state, lifecycle.expire(state, now), state.value, now)
        self.tick(now)

    def put(
        self,
        rule: Rule,
        prev: AlertState | None,
        new: AlertState | None,
        value: float | None,
        now: datetime,
    ) -> None:
        """Store an alert's new state (None: inactive) and record the transition."""
        state = new or prev
        if state is None:
            return
        self.recorder.transition(rule, prev, new, value, now)
        self.store.put(state.fingerprint, new)

    def tick(self, now: datetime) -> None:
        """Keep the groups of notifiable alerts, flush the due ones, drop expired alerts."""
        for flush in self._group.run(now):  # alerts' group and mute stages, as the engine
            self._flush(self._mute.run(flush, now), now)
        self._gc(now)
        self.store.take_changes()  # nothing persists a replay's alert states

    def _flush(self, flush: Flush, now: datetime) -> None:
        rule, members, unmuted = flush.rule, flush.members, flush.unmuted
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
                self._send(flush.timer.key, name, alerts, now)

    def _send(self, key: str, receiver: str, alerts: list[AlertState], now: datetime) -> None:
        sent: list[tuple[str, str]] = []
        for old in alerts:
            s = self.store.get(old.fingerprint) or old  # another receiver may have logged it
            status: lifecycle.NotifyStatus = "firing" if s.state == "firing" else "resolved"
            kind = "repeat" if status == "firing" and told_firing(s, receiver) else status
            sent.append((s.fingerprint, kind))
            self.store.put(s.fingerprint, lifecycle.record(s, receiver, status, now))
        self.recorder.notified(now, receiver, key, sent)

    def _clear_unsent_resolved(
        self, members: tuple[AlertState, ...], receiver: Receiver, now: datetime
    ) -> None:
        # as the engine: a receiver without send_resolved forgets the firing entry
        if receiver.send_resolved:
            return
        for s in members:
            if s.state == "resolved" and told_firing(s, receiver.name):
                self.store.put(s.fingerprint, lifecycle.record(s, receiver.name, "resolved", now))

    def _gc(self, now: datetime) -> None:
        for s in self.store:
            if s.state != "resolved" or s.resolved_at is None:
                continue
            age = now - s.resolved_at
            told = any(told_firing(s, n) for n in self.rules[s.rule].receivers)
            if age >= RESOLVED_RETENTION and (not told or age >= timedelta(days=1)):
                self.store.put(s.fingerprint, None)


def repeat_interval(receiver: Receiver, rule: Rule) -> timedelta:
    """Return how often a still-firing alert is re-sent (Alertmanager pushes: its resend)."""
    if isinstance(receiver, AlertmanagerReceiver):
        return receiver.resend_interval
    return rule.repeat_interval
