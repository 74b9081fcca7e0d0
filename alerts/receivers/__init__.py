"""Receivers: build a payload, send it through the injected `httpx.AsyncClient`.

notifier = build_notifier(receiver_cfg, client)
"""

from __future__ import annotations

import httpx

from alerts.config import AlertmanagerReceiver, SlackReceiver, WebhookReceiver
from alerts.receivers.alertmanager import AlertmanagerNotifier
from alerts.receivers.base import Notifier
from alerts.receivers.slack import SlackNotifier
from alerts.receivers.webhook import WebhookNotifier


def build_notifier(
    cfg: WebhookReceiver | SlackReceiver | AlertmanagerReceiver, client: httpx.AsyncClient
) -> Notifier:
    """Return the notifier of a receiver config."""
    if isinstance(cfg, WebhookReceiver):
        return WebhookNotifier(cfg, client)
    if isinstance(cfg, SlackReceiver):
        return SlackNotifier(cfg, client)
    return AlertmanagerNotifier(cfg, client)


__all__ = ["Notifier", "build_notifier"]
