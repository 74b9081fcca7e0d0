"""The alert engine: its stages over one store, one rule book and the receivers.

    engine = AlertEngine(rules, receivers, silences, inhibit_rules, clock=utcnow,
                         client=httpx.AsyncClient(), registry=registry,
                         dead_letter=produce_dead_letter, on_record=persist_soon)
    engine.restore(table_values)          # after partitions are assigned
    await engine.start()
    engine.evaluate(snapshot)             # on every KPI change and on a timer
    for fp, state in engine.take_changes().items():
        ...                               # table[fp] = state, or del table[fp] if None
    await engine.stop()

`evaluate` runs the evaluate stage, then `tick`; `tick` (also on the flusher's
timer) runs group → mute → dispatch for each due group, then retention (see
`alerts.stages`). Lifecycle transitions and retention run on the KPI clock
(`snapshot.at`); grouping, repeat intervals and the notification log run on
the injected `clock`. All methods must be called from the event loop the
engine was started on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from alerts import lifecycle
from alerts.config import InhibitRule as InhibitRuleConfig
from alerts.config import Receiver, Rule, Silence
from alerts.engine_config import ReceiverSet
from alerts.grouping import Groups
from alerts.lifecycle import AlertState
from alerts.metrics import AlertStatesCollector, NotifyMetrics
from alerts.mute import Muter, MuteStatus
from alerts.pipeline import Clock, DeadLetterSink
from alerts.rulebook import RuleBook
from alerts.silences import SilenceStore
from alerts.snapshot import KpiSnapshot
from alerts.stages.dispatch import Dispatch
from alerts.stages.evaluate import Evaluate
from alerts.stages.group import Group
from alerts.stages.mute import Mute
from alerts.stages.retention import Retention
from alerts.store import AlertStore
from alerts.views import alerts_json

log = logging.getLogger(__name__)


class AlertEngine:
    """Run the alert stages; hold the state they share; answer the API."""

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
        on_record: Callable[[], None] = lambda: None,
    ) -> None:
        self._clock = clock
        self._rules = RuleBook(rules)
        self._store = AlertStore(clock, self._rules.rule_of, on_record)
        self._muter = Muter(SilenceStore(silences), inhibit_rules)
        metrics = NotifyMetrics(registry)
        self._receivers = ReceiverSet(client, metrics, dead_letter, clock, self._store, rng)
        self._receivers.configure(receivers)
        self._evaluate = Evaluate(self._rules, self._store, stale_after)
        self._group = Group(self._rules, self._store, Groups())
        self._mute = Mute(self._muter, self._store)
        self._dispatch = Dispatch(self._receivers, self._store, external_url)
        self._retention = Retention(self._rules, self._store, self._receivers, resolved_retention)
        registry.register(AlertStatesCollector(self.rule_state_counts, self._receivers.queues))
        self._kpi_now: datetime | None = None
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
            due = self._group.groups.next_due()
            wait = 1.0 if due is None else (due - self._clock()).total_seconds()
            await asyncio.sleep(min(1.0, max(0.05, wait)))

    # -- the stages ------------------------------------------------------------

    def evaluate(self, snapshot: KpiSnapshot) -> None:
        """Evaluate every rule against a snapshot and enqueue due notifications."""
        if self._paused:
            return
        self._evaluate.run(snapshot)
        self._kpi_now = snapshot.at
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
        for flush in self._group.run(now):
            self._dispatch.run(self._mute.run(flush, now), now)
        self._retention.run(self._kpi_now)

    # -- persistence ---------------------------------------------------------

    def on_record(self, callback: Callable[[], None]) -> None:
        """Call `callback` each time a delivery is logged (prefer the `on_record` argument)."""
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
        self._group.groups = Groups()
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
        now = self._kpi_now or self._clock()
        for name in self._rules.replace(rules):
            self._group.groups.drop_rule(name)
            for s in self._store:
                if s.rule == name:
                    self._store.put(s.fingerprint, lifecycle.expire(s, now))
        self._expire_unmatched(now)
        await self._receivers.replace(receivers)
        self._muter.silences.replace_config(silences)
        self._muter.set_inhibit_rules(inhibit_rules)

    def _expire_unmatched(self, now: datetime) -> None:
        """End the alerts of series a rule's new `match` no longer selects."""
        evaluators = self._rules.evaluators_by_rule()
        for s in list(self._store):
            ev = evaluators.get(s.rule)
            if ev is not None and s.state != "resolved" and not ev.watches(s.labels):
                self._store.put(s.fingerprint, lifecycle.expire(s, now))

    # -- API -----------------------------------------------------------------

    def alerts_json(self) -> list[dict[str, Any]]:
        """Return the alert instances for `GET /api/v1/alerts`."""
        now, firing = self._clock(), self._store.firing_labels()

        def mute_of(s: AlertState) -> MuteStatus:
            return self._muter.status(s.labels, s.fingerprint, firing, now)

        return alerts_json(self._store, self._rules.rule_of, mute_of)

    def rule_state_counts(self) -> dict[str, dict[str, int]]:
        """Return alert counts by rule and state (for the `kpiwatch_alerts` gauge)."""
        counts: dict[str, dict[str, int]] = {name: {} for name in self._rules.rules}
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
