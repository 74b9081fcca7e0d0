"""The alertmanager receiver: push to an existing Alertmanager's `POST /api/v2/alerts`.

    notifier = AlertmanagerNotifier(cfg, client)   # cfg.url is the Alertmanager base URL
    await notifier.notify(notification)

Like Prometheus, firing alerts are re-sent every `resend_interval` with
`endsAt` a few intervals ahead, so Alertmanager keeps them active while
kpiwatch is alive and resolves them by itself if kpiwatch goes away; a
resolved alert is sent with its real `endsAt`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from alerts.config import AlertmanagerReceiver
from alerts.notification import AlertView, Notification, go_time
from alerts.receivers.base import HttpNotifier, post_json

API_PATH = "/api/v2/alerts"
#: How many resend intervals a firing alert stays valid in Alertmanager.
VALIDITY_FACTOR = 4


class AlertmanagerNotifier(HttpNotifier[AlertmanagerReceiver]):
    """Posts alerts to Alertmanager's v2 API."""

    def repeat_interval(self, rule_repeat: timedelta) -> timedelta:
        """Return the resend interval: Alertmanager forgets alerts that are not re-sent."""
        return self.cfg.resend_interval

    def payload(self, notification: Notification) -> list[dict[str, Any]]:
        """Return the list of postable alerts."""
        ttl = VALIDITY_FACTOR * max(self.cfg.resend_interval, notification.group_interval)
        return [_alert(a, notification, ttl) for a in notification.alerts]

    async def notify(self, notification: Notification) -> None:
        """POST the alerts."""
        body = json.dumps(self.payload(notification), separators=(",", ":")).encode()
        url = self.cfg.url.get_secret_value().rstrip("/") + API_PATH
        await post_json(self._client, url, body, {}, self.cfg.timeout.total_seconds())


def _alert(a: AlertView, n: Notification, ttl: timedelta) -> dict[str, Any]:
    ends = a.ends_at if a.status == "resolved" and a.ends_at else n.now + ttl
    body: dict[str, Any] = {
        "labels": dict(a.labels),
        "annotations": dict(a.annotations),
        "startsAt": go_time(a.starts_at),
        "endsAt": go_time(ends),
    }
    if a.generator_url:
        body["generatorURL"] = a.generator_url
    return body
