"""The retention stage: resolved alerts leave the store once nobody needs them.

    Retention(rules, store, receivers, resolved_retention).run(kpi_now)

A resolved alert stays `resolved_retention` (on the KPI clock) so the API
still shows it; one a receiver was told fires stays until that receiver is
told it resolved, or a day at most. Retired rules go with their last alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.engine_config import ReceiverSet
from alerts.rulebook import RuleBook
from alerts.store import AlertStore, told_firing

TOLD_RETENTION = timedelta(days=1)
"""The longest a resolved alert waits for its receivers to be told it resolved."""


class Retention:
    """Drop resolved alerts past their retention."""

    def __init__(
        self,
        rules: RuleBook,
        store: AlertStore,
        receivers: ReceiverSet,
        resolved_retention: timedelta,
    ) -> None:
        self._rules = rules
        self._store = store
        self._receivers = receivers
        self.resolved_retention = resolved_retention

    def run(self, now: datetime | None) -> None:
        """Drop what has expired as of KPI time `now` (nothing before the first snapshot)."""
        if now is None:
            return
        for s in self._store:
            rule = self._rules.rule_of(s.rule)
            if s.state != "resolved" or s.resolved_at is None:
                continue
            age = now - s.resolved_at
            told = rule is not None and any(
                told_firing(s, n.name) for n in self._receivers.for_rule(rule)
            )
            if age >= self.resolved_retention and (not told or age >= TOLD_RETENTION):
                self._store.put(s.fingerprint, None)
        self._rules.keep_retired(s.rule for s in self._store)
