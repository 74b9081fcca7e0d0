"""The Slack receiver: an incoming-webhook message with Block Kit blocks.

    notifier = SlackNotifier(cfg, client)
    slack_payload(notification)   # {"text": ..., "blocks": [...]}

One message per notification group: a header (severity emoji, FIRING or
RESOLVED, rule), then per alert a section with queue, value vs threshold in
the KPI's unit, window and since when (or how long it fired), and
runbook/dashboard buttons.
"""

from __future__ import annotations

import json
from typing import Any

from alerts.config import SlackReceiver
from alerts.notification import AlertView, Notification
from alerts.receivers.base import HttpNotifier, post_json
from alerts.templating import duration, format_kpi

SEVERITY_EMOJI = {"critical": "🔴", "error": "🔴", "warning": "🟠", "info": "🔵"}
RESOLVED_EMOJI = "✅"
MAX_ALERTS = 10  # Slack allows 50 blocks per message; each alert takes up to 4
_HEADER_LIMIT = 150


def slack_payload(n: Notification) -> dict[str, Any]:
    """Build the incoming-webhook message of a notification."""
    first = n.alerts[0]
    title = _title(n, first)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:_HEADER_LIMIT]}}
    ]
    for alert in n.alerts[:MAX_ALERTS]:
        blocks.extend(_alert_blocks(alert))
    hidden = len(n.alerts) - MAX_ALERTS
    if hidden > 0:
        blocks.append(_context(f"and {hidden} more alert(s) in this group"))
    return {"text": title, "blocks": blocks}


def _title(n: Notification, first: AlertView) -> str:
    firing = sum(a.status == "firing" for a in n.alerts)
    severity = first.labels.get("severity", "")
    if n.status == "resolved":
        return f"{RESOLVED_EMOJI} RESOLVED: {first.rule}"
    emoji = SEVERITY_EMOJI.get(severity, "⚪")
    count = f" ({firing} firing)" if len(n.alerts) > 1 else ""
    return f"{emoji} FIRING [{severity.upper()}]: {first.rule}{count}"


def _alert_blocks(a: AlertView) -> list[dict[str, Any]]:
    summary = a.annotations.get("summary") or a.annotations.get("description") or a.rule
    state = "*RESOLVED*" if a.status == "resolved" else "*FIRING*"
    fields = [
        _field("Queue", a.labels.get("queue", "all")),
        _field("Severity", a.labels.get("severity", "")),
        _field("Value", _value_vs_threshold(a)),
        _field("Window", a.window or "now"),
        _field("Started", _slack_date(a)),
    ]
    if a.status == "resolved" and a.ends_at is not None:
        fields.append(_field("Fired for", duration((a.ends_at - a.starts_at).total_seconds())))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{state} {summary}"}},
        {"type": "section", "fields": fields},
    ]
    buttons = [
        _button(label, a.annotations[key])
        for key, label in (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))
        if a.annotations.get(key, "").startswith(("http://", "https://"))
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    blocks.append(_context(f"fingerprint {a.fingerprint}"))
    return blocks


def _value_vs_threshold(a: AlertView) -> str:
    samples = f" ({a.samples} samples)" if a.samples is not None else ""
    value, threshold = format_kpi(a.kpi, a.value), format_kpi(a.kpi, a.threshold)
    return f"{value}{samples}, threshold {a.op} {threshold}"


def _slack_date(a: AlertView) -> str:
    epoch = int(a.starts_at.timestamp())
    fallback = a.starts_at.isoformat(timespec="seconds")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def _field(name: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": f"*{name}*\n{value}"}


def _button(label: str, url: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


class SlackNotifier(HttpNotifier[SlackReceiver]):
    """Posts Block Kit messages to a Slack incoming webhook."""

    def payload(self, notification: Notification) -> dict[str, Any]:
        """Return the Slack message."""
        return slack_payload(notification)

    async def notify(self, notification: Notification) -> None:
        """POST the message."""
        body = json.dumps(self.payload(notification), ensure_ascii=False).encode()
        await post_json(
            self._client,
            self.cfg.url.get_secret_value(),
            body,
            {},
            self.cfg.timeout.total_seconds(),
        )
