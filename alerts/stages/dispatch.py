"""The dispatch stage: one notification per receiver of a flushed group, if due.

    Dispatch(receivers, store, external_url).run(flush, now)

A receiver gets the group's unmuted firing alerts, and the resolved ones it
was told fire if it sends resolved notifications. The notification log
(the store) decides whether anything is due (dedup, repeat_interval); the
receiver's worker then retries and records it.
"""

from __future__ import annotations

from datetime import datetime

from alerts import lifecycle
from alerts.engine_config import ReceiverSet
from alerts.lifecycle import AlertState
from alerts.notification import Notification
from alerts.receivers.base import Notifier
from alerts.stages.group import Flush
from alerts.store import AlertStore, told_firing
from alerts.views import alert_view


class Dispatch:
    """Hand each receiver of a flushed group its notification when due."""

    def __init__(self, receivers: ReceiverSet, store: AlertStore, external_url: str) -> None:
        self._receivers = receivers
        self._store = store
        self.external_url = external_url

    def run(self, flush: Flush, now: datetime) -> None:
        """Submit the notifications of `flush` that the notification log finds due."""
        rule = flush.rule
        for notifier in self._receivers.for_rule(rule):
            self._clear_unsent_resolved(flush.members, notifier, now)
            alerts = tuple(
                alert_view(s, rule, self.external_url)
                for s in flush.unmuted
                if s.state == "firing" or (notifier.send_resolved and told_firing(s, notifier.name))
            )
            if not alerts:
                continue
            n = Notification(
                notifier.name,
                flush.timer.key,
                flush.timer.labels,
                alerts,
                now,
                self.external_url,
                rule.group_interval,
            )
            if self._store.due(n, notifier):
                self._receivers.submit(n)

    def _clear_unsent_resolved(
        self, members: tuple[AlertState, ...], notifier: Notifier, now: datetime
    ) -> None:
        # a receiver without send_resolved is never told, but its log must forget the
        # firing entry so that the next firing is a new notification (as Alertmanager does)
        if notifier.send_resolved:
            return
        for s in members:
            if s.state == "resolved" and told_firing(s, notifier.name):
                self._store.put(s.fingerprint, lifecycle.record(s, notifier.name, "resolved", now))
