"""The webhook receiver: Alertmanager webhook payload version "4", optionally signed.

    notifier = WebhookNotifier(cfg, client)
    await notifier.notify(notification)

The body is byte-for-byte what is signed: `X-Kpiwatch-Signature: sha256=<hex>`
is HMAC-SHA256 of the exact request body with `hmac_secret`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from alerts.config import WebhookReceiver
from alerts.notification import AlertView, Notification, go_time
from alerts.receivers.base import HttpNotifier, post_json

SIGNATURE_HEADER = "X-Kpiwatch-Signature"


def webhook_payload(n: Notification, max_alerts: int = 0) -> dict[str, Any]:
    """Build the Alertmanager v4 webhook payload of a notification."""
    alerts = list(n.alerts)
    truncated = 0
    if max_alerts and len(alerts) > max_alerts:
        truncated = len(alerts) - max_alerts
        alerts = alerts[:max_alerts]
    return {
        "receiver": n.receiver,
        "status": n.status,
        "alerts": [_alert(a) for a in alerts],
        "groupLabels": dict(sorted(n.group_labels.items())),
        "commonLabels": dict(sorted(n.common_labels.items())),
        "commonAnnotations": dict(sorted(n.common_annotations.items())),
        "externalURL": n.external_url,
        "version": "4",
        "groupKey": n.group_key,
        "truncatedAlerts": truncated,
    }


def _alert(a: AlertView) -> dict[str, Any]:
    return {
        "status": a.status,
        "labels": dict(sorted(a.labels.items())),
        "annotations": dict(sorted(a.annotations.items())),
        "startsAt": go_time(a.starts_at),
        "endsAt": go_time(a.ends_at if a.status == "resolved" else None),
        "generatorURL": a.generator_url,
        "fingerprint": a.fingerprint,
    }


def sign(secret: str, body: bytes) -> str:
    """Return the signature header value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier(HttpNotifier[WebhookReceiver]):
    """POSTs Alertmanager-compatible webhook payloads."""

    def payload(self, notification: Notification) -> dict[str, Any]:
        """Return the webhook payload."""
        return webhook_payload(notification, self.cfg.max_alerts)

    async def notify(self, notification: Notification) -> None:
        """POST the payload, signed if an HMAC secret is configured."""
        body = json.dumps(self.payload(notification), separators=(",", ":")).encode()
        headers = {k: v.get_secret_value() for k, v in self.cfg.headers.items()}
        if self.cfg.hmac_secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.cfg.hmac_secret.get_secret_value(), body)
        await post_json(
            self._client,
            self.cfg.url.get_secret_value(),
            body,
            headers,
            self.cfg.timeout.total_seconds(),
        )
