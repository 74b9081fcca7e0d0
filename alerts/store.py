"""Alert state by fingerprint, with the notification log and a change feed.

    store = AlertStore(clock, rule_of, on_record=persist_soon)
    store.put(fp, lifecycle.step(store.get(fp), ev, rule, now))
    store.take_changes()      # {fp: dict | None} to write to a changelog table

Only changes that matter after a restart (state, timestamps, notification
log) enter the change feed; a new value alone does not, so a steady alert
costs no changelog writes. The store is the `Ledger` of the receiver workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from alerts import lifecycle
from alerts.config import Rule
from alerts.lifecycle import AlertState
from alerts.notification import Notification
from alerts.pipeline import Clock
from alerts.receivers.base import Notifier

log = logging.getLogger(__name__)


class AlertStore:
    """The alert instances this worker owns."""

    def __init__(
        self,
        clock: Clock,
        rule_of: Callable[[str], Rule | None],
        on_record: Callable[[], None] = lambda: None,
    ) -> None:
        self._clock = clock
        self._rule_of = rule_of
        self._states: dict[str, AlertState] = {}
        self._changed: set[str] = set()
        # called after a delivery is logged, so the caller can persist it at once
        self.on_record = on_record

    def get(self, fp: str) -> AlertState | None:
        """Return one alert state."""
        return self._states.get(fp)

    def __iter__(self) -> Iterator[AlertState]:
        return iter(list(self._states.values()))

    def __len__(self) -> int:
        return len(self._states)

    def put(self, fp: str, new: AlertState | None) -> None:
        """Store a new state (None: the alert is inactive) and note persisted changes."""
        prev = self._states.get(fp)
        if new is None:
            if self._states.pop(fp, None) is not None:
                self._changed.add(fp)
            return
        self._states[fp] = new
        if prev is None or prev.persisted_fields() != new.persisted_fields():
            self._changed.add(fp)

    def firing_labels(self) -> dict[str, Mapping[str, str]]:
        """Return the labels of every firing alert by fingerprint (for inhibition)."""
        return {fp: s.labels for fp, s in self._states.items() if s.state == "firing"}

    # -- Ledger ----------------------------------------------------------------

    def due(self, notification: Notification, notifier: Notifier) -> bool:
        """Return whether any alert of the notification is due for this receiver."""
        now = self._clock()
        for view in notification.alerts:
            state = self._states.get(view.fingerprint)
            rule = None if state is None else self._rule_of(state.rule)
            if state is None or rule is None:
                continue
            repeat = notifier.repeat_interval(rule.repeat_interval)
            if lifecycle.notification_due(
                state, notifier.name, now, repeat, notifier.send_resolved
            ):
                return True
        return False

    def record(self, notification: Notification, receiver: str, at: datetime) -> None:
        """Log a delivered notification in each alert's state."""
        for view in notification.alerts:
            state = self._states.get(view.fingerprint)
            if state is not None:
                self.put(view.fingerprint, lifecycle.record(state, receiver, view.status, at))
        self.on_record()

    # -- persistence -------------------------------------------------------------

    def take_changes(self) -> dict[str, dict[str, Any] | None]:
        """Return the states changed since the last call (None: deleted) and forget them."""
        changed, self._changed = self._changed, set()
        return {fp: self._states[fp].to_dict() if fp in self._states else None for fp in changed}

    def state_dicts(self) -> dict[str, dict[str, Any]]:
        """Return every alert state as a JSON-able dict, keyed by fingerprint."""
        return {fp: s.to_dict() for fp, s in self._states.items()}

    def restore(self, states: Iterable[Mapping[str, Any]]) -> None:
        """Replace all state with persisted dicts (malformed ones are logged and skipped)."""
        restored: dict[str, AlertState] = {}
        for data in states:
            try:
                state = AlertState.from_dict(data)
            except ValueError as exc:
                log.error("skipping persisted alert state: %s", exc)
                continue
            restored[state.fingerprint] = state
        self._states, self._changed = restored, set()


def told_firing(state: AlertState, receiver: str) -> bool:
    """Return whether the receiver was last told the alert fires."""
    entry = state.notified.get(receiver)
    return entry is not None and entry.status == "firing"
