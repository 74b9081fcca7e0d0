"""The alert engine: rules → lifecycle → mute → group → per-receiver delivery.

    engine = AlertEngine(rules, receivers, silences, inhibit_rules, clock=utcnow,
                         client=httpx.AsyncClient(), registry=registry,
                         dead_letter=produce_dead_letter)
    engine.restore(table_values)          # after partitions are assigned
    await engine.start()
    engine.evaluate(snapshot)             # on every KPI change and on a timer
    for fp, state in engine.take_changes().items():
        ...                               # table[fp] = state, or del table[fp] if None
    await engine.stop()

Lifecycle transitions run on the KPI clock (`snapshot.at`); grouping,
repeat intervals and the notification log run on the injected `clock`. All
methods must be called from the event loop the engine was started on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from alerts import lifecycle
from alerts.config import InhibitRule as InhibitRuleConfig
from alerts.config import Receiver, Rule, Silence
from alerts.engine_config import ReceiverSet, rule_identity
from alerts.fingerprint import fingerprint
from alerts.grouping import Groups, GroupTimer, group_labels
from alerts.lifecycle import AlertState
from alerts.metrics import AlertStatesCollector, NotifyMetrics
from alerts.mute import Muter, MuteStatus
from alerts.notification import Notification
from alerts.pipeline import Clock, DeadLetterSink
from alerts.receivers.base import Notifier
from alerts.rules import RuleEvaluator
from alerts.silences import SilenceStore
from alerts.snapshot import KpiSample, KpiSnapshot
from alerts.store import AlertStore, told_firing
from alerts.views import alert_json, alert_view

log = logging.getLogger(__name__)


class AlertEngine:
    """Evaluate rules, keep alert state, and hand notifications to receiver workers."""

    def __init__(
        self,
        rules: Sequence[Rule],
        receivers: Sequence[Receiver],
        silences: Sequence[Silence] = (),
        inhibit_rules: Sequence[InhibitRuleConfig] = (),
        *,
        clock: Clock,
        client: httpx.AsyncClient,
        registry: CollectorRegistry,
        dead_letter: DeadLetterSink,
        external_url: str = "",
        stale_after: timedelta = timedelta(minutes=5),
        resolved_retention: timedelta = timedelta(minutes=15),
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._clock = clock
        self.external_url = external_url
        self.stale_after = stale_after
        self.resolved_retention = resolved_retention
        self._store = AlertStore(clock, self._rule_of_name)
        self._groups = Groups()
        self._muter = Muter(SilenceStore(silences), inhibit_rules)
        self._kpi_now: datetime | None = None
        self._rules: dict[str, Rule] = {}
        self._retired: dict[str, Rule] = {}
        self._evaluators: dict[str, list[RuleEvaluator]] = {}
        self._set_rules(rules)
        metrics = NotifyMetrics(registry)
        self._receivers = ReceiverSet(client, metrics, dead_letter, clock, self._store, rng)
        self._receivers.configure(receivers)
        registry.register(AlertStatesCollector(self.rule_state_counts, self._receivers.queues))
        self._flusher: asyncio.Task[None] | None = None
        self._paused = False
        self._held = False

    # -- lifecycle of the engine -------------------------------------------

    async def start(self) -> None:
        """Start the receiver tasks and the group flusher."""
        self._receivers.start()
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_loop(), name="kpiwatch-alert-flusher")

    async def stop(self) -> None:
        """Stop the flusher and the receiver tasks; undelivered notifications stay due."""
        task, self._flusher = self._flusher, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._receivers.stop()

    async def drain(self) -> None:
        """Wait until every receiver queue is empty (tests, graceful shutdown)."""
        await self._receivers.join()

    async def _flush_loop(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:
                log.exception("alert flush failed")
            due = self._groups.next_due()
            wait = 1.0 if due is None else (due - self._clock()).total_seconds()
            await asyncio.sleep(min(1.0, max(0.05, wait)))

    # -- evaluation ------------------------------------------------------------

    def evaluate(self, snapshot: KpiSnapshot) -> None:
        """Evaluate every rule against a snapshot and enqueue due notifications."""
        if self._paused:
            return
        now = snapshot.at
        by_kpi: dict[str, list[KpiSample]] = defaultdict(list)
        for sample in snapshot.samples:
            by_kpi[sample.kpi].append(sample)
        seen: set[str] = set()
        for kpi, evaluators in self._evaluators.items():
            for evaluator in evaluators:
                for sample in by_kpi.get(kpi, ()):
                    if not evaluator.selects(sample):
                        continue
                    ev = evaluator.evaluate_sample(sample)
                    fp = fingerprint(ev.labels)
                    seen.add(fp)
                    self._store.put(
                        fp, lifecycle.step(self._store.get(fp), ev, evaluator.rule, now)
                    )
        for state in self._store:
            absent = state.fingerprint not in seen and state.state != "resolved"
            if absent and now - state.last_seen >= self.stale_after:
                self._store.put(state.fingerprint, lifecycle.expire(state, now))
        self._kpi_now = now
        self.tick()

    def hold_notifications(self, held: bool) -> None:
        """Hold (True) or release every notification: the worker is catching up on a backlog.

        Rules are about now (SPEC §4). Alerts still step through their lifecycle on the
        KPI clock; one still active when released notifies then, with its true start,
        and one that became active and resolved while held was never told: it sends nothing.
        """
        self._held = held

    def tick(self) -> None:
        """Flush the groups that are due and drop finished resolved alerts."""
        if self._paused or self._held:
            return
        now = self._clock()
        for state in self._store:
            rule = self._rule_of(state)
            if rule is not None and self._notifiable(state):
                labels = group_labels(state.labels, rule.group_by)
                self._groups.touch(rule.name, labels, now, rule.group_wait)
        for timer in self._groups.due(now, self._group_interval):
            self._flush(timer, now)
        self._gc()

    def _notifiable(self, state: AlertState) -> bool:
        if state.state == "firing":
            return True
        return state.state == "resolved" and any(
            e.status == "firing" for e in state.notified.values()
        )

    # -- grouping, mute, hand-off ---------------------------------------------

    def _flush(self, timer: GroupTimer, now: datetime) -> None:
        rule = self._rule_of_name(timer.rule)
        members = [
            s
            for s in self._store
            if rule is not None
            and s.rule == timer.rule
            and s.state != "pending"
            and group_labels(s.labels, rule.group_by) == timer.labels
        ]
        if rule is None or not any(self._notifiable(s) for s in members):
            self._groups.drop(timer.key)
            return
        firing = self._store.firing_labels()
        unmuted = [s for s in members if not self._mute(s, firing, now).muted]
        for notifier in self._receivers.for_rule(rule):
            self._clear_unsent_resolved(members, notifier, now)
            alerts = tuple(
                alert_view(s, rule, self.external_url)
                for s in unmuted
                if s.state == "firing" or (notifier.send_resolved and told_firing(s, notifier.name))
            )
            if not alerts:
                continue
            n = Notification(
                notifier.name,
                timer.key,
                timer.labels,
                alerts,
                now,
                self.external_url,
                rule.group_interval,
            )
            if self._store.due(n, notifier):
                self._receivers.submit(n)

    def _clear_unsent_resolved(
        self, members: list[AlertState], notifier: Notifier, now: datetime
    ) -> None:
        # a receiver without send_resolved is never told, but its log must forget the
        # firing entry so that the next firing is a new notification (as Alertmanager does)
        if notifier.send_resolved:
            return
        for s in members:
            if s.state == "resolved" and told_firing(s, notifier.name):
                self._store.put(s.fingerprint, lifecycle.record(s, notifier.name, "resolved", now))

    def _mute(
        self, state: AlertState, firing: Mapping[str, Mapping[str, str]], now: datetime
    ) -> MuteStatus:
        return self._muter.status(state.labels, state.fingerprint, firing, now)

    # -- persistence ---------------------------------------------------------

    def on_record(self, callback: Callable[[], None]) -> None:
        """Call `callback` each time a delivery is logged (to persist the log promptly)."""
        self._store.on_record = callback

    def take_changes(self) -> dict[str, dict[str, Any] | None]:
        """Return the states changed since the last call (None: deleted) and forget them."""
        return self._store.take_changes()

    def state_dicts(self) -> dict[str, dict[str, Any]]:
        """Return every alert state as a JSON-able dict, keyed by fingerprint."""
        return self._store.state_dicts()

    def pause(self) -> None:
        """Hand out no notification until `restore` (partitions are being reassigned).

        During a rebalance the queues this worker held may already belong to another
        worker; notifying for them now could send what the new owner sends too.
        """
        self._paused = True

    def restore(self, states: Iterable[Mapping[str, Any]]) -> None:
        """Replace all alert state with persisted dicts (after partition assignment)."""
        self._store.restore(states)
        self._groups = Groups()
        self._paused = False

    # -- config --------------------------------------------------------------

    async def replace_config(
        self,
        rules: Sequence[Rule],
        receivers: Sequence[Receiver],
        silences: Sequence[Silence] = (),
        inhibit_rules: Sequence[InhibitRuleConfig] = (),
    ) -> None:
        """Swap the config; alerts of rules whose identity is unchanged keep their state."""
        new = {r.name: r for r in rules}
        now = self._kpi_now or self._clock()
        for name, old in self._rules.items():
            if name not in new or rule_identity(new[name]) != rule_identity(old):
                if name not in new:
                    self._retired[name] = old
                self._groups.drop_rule(name)
                for s in self._store:
                    if s.rule == name:
                        self._store.put(s.fingerprint, lifecycle.expire(s, now))
        self._set_rules(rules)
        self._expire_unmatched(now)
        await self._receivers.replace(receivers)
        self._muter.silences.replace_config(silences)
        self._muter.set_inhibit_rules(inhibit_rules)

    def _expire_unmatched(self, now: datetime) -> None:
        """End the alerts of series a rule's new `match` no longer selects."""
        evaluators = {e.rule.name: e for es in self._evaluators.values() for e in es}
        for s in list(self._store):
            ev = evaluators.get(s.rule)
            if ev is not None and s.state != "resolved" and not ev.watches(s.labels):
                self._store.put(s.fingerprint, lifecycle.expire(s, now))

    def _set_rules(self, rules: Sequence[Rule]) -> None:
        self._rules = {r.name: r for r in rules}
        self._retired = {k: v for k, v in self._retired.items() if k not in self._rules}
        self._evaluators = defaultdict(list)
        for rule in rules:
            self._evaluators[rule.kpi].append(RuleEvaluator(rule))

    def _rule_of(self, state: AlertState) -> Rule | None:
        return self._rule_of_name(state.rule)

    def _rule_of_name(self, name: str) -> Rule | None:
        return self._rules.get(name) or self._retired.get(name)

    def _group_interval(self, rule: str) -> timedelta:
        found = self._rule_of_name(rule)
        return found.group_interval if found is not None else timedelta(minutes=5)

    def _gc(self) -> None:
        now = self._kpi_now
        if now is None:
            return
        for s in self._store:
            rule = self._rule_of(s)
            if s.state != "resolved" or s.resolved_at is None:
                continue
            age = now - s.resolved_at
            told = rule is not None and any(
                told_firing(s, n.name) for n in self._receivers.for_rule(rule)
            )
            if age >= self.resolved_retention and (not told or age >= timedelta(days=1)):
                self._store.put(s.fingerprint, None)
        live = {s.rule for s in self._store}
        self._retired = {k: v for k, v in self._retired.items() if k in live}

    # -- API -----------------------------------------------------------------

    def alerts_json(self) -> list[dict[str, Any]]:
        """Return the alert instances for `GET /api/v1/alerts`."""
        now, firing = self._clock(), self._store.firing_labels()
        return [
            alert_json(s, self._rule_of(s), self._mute(s, firing, now))
            for s in sorted(self._store, key=lambda s: (s.rule, s.fingerprint))
        ]

    def rule_state_counts(self) -> dict[str, dict[str, int]]:
        """Return alert counts by rule and state (for the `kpiwatch_alerts` gauge)."""
        counts: dict[str, dict[str, int]] = {name: {} for name in self._rules}
        for s in self._store:
            by_state = counts.setdefault(s.rule, {})
            by_state[s.state] = by_state.get(s.state, 0) + 1
        return counts

    @property
    def silences(self) -> SilenceStore:
        """Return the silence store (add / expire / all / to_dicts / restore)."""
        return self._muter.silences

    def add_silence(self, silence: Silence) -> str:
        """Add an API silence; return its id."""
        return self._muter.silences.add(silence, self._clock())

    def expire_silence(self, sid: str) -> None:
        """Expire an API silence (raise SilenceNotFound if unknown)."""
        self._muter.silences.expire(sid, self._clock())

    def silences_json(self) -> list[dict[str, Any]]:
        """Return every silence for `GET /api/v1/silences`."""
        now = self._clock()
        return [s.to_json(now) for s in self._muter.silences.all(now)]
