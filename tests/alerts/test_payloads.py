import json
from datetime import timedelta

from pydantic import TypeAdapter

from alerts.config import AlertmanagerReceiver, Receiver
from alerts.notification import go_time
from alerts.receivers.alertmanager import AlertmanagerNotifier
from alerts.receivers.slack import slack_payload
from alerts.receivers.webhook import webhook_payload

from .conftest import T0
from .helpers import notification, view


def test_go_time() -> None:
    assert go_time(None) == "0001-01-01T00:00:00Z"
    assert go_time(T0) == "2026-03-02T09:00:00Z"
    assert go_time(T0 + timedelta(microseconds=120000)) == "2026-03-02T09:00:00.12Z"


def test_webhook_payload_v4_truncates() -> None:
    alerts = [view(fingerprint=f"{i:016x}") for i in range(3)]
    payload = webhook_payload(notification(*alerts), max_alerts=2)
    assert payload["version"] == "4" and payload["truncatedAlerts"] == 1
    assert len(payload["alerts"]) == 2
    assert payload["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"


def test_slack_firing_and_resolved() -> None:
    firing = slack_payload(notification(view()))
    text = json.dumps(firing, ensure_ascii=False)
    assert firing["blocks"][0]["type"] == "header"
    assert firing["text"].startswith("🔴 FIRING [CRITICAL]: AbandonRateHigh")
    assert "12% (40 samples), threshold > 5%" in text
    assert "*Window*\\n15m" in text and "*Queue*\\nbilling" in text
    assert {
        "type": "button",
        "text": {"type": "plain_text", "text": "Runbook"},
        "url": "https://runbooks.example.com/abandon",
    } in firing["blocks"][3]["elements"]
    resolved = slack_payload(notification(view("resolved", ends_at=T0 + timedelta(minutes=12))))
    assert resolved["text"] == "✅ RESOLVED: AbandonRateHigh"
    assert "*Fired for*\\n12m" in json.dumps(resolved, ensure_ascii=False)


def test_alertmanager_payload_keeps_firing_alerts_alive() -> None:
    cfg = TypeAdapter(Receiver).validate_python(
        {"type": "alertmanager", "name": "am", "url": "http://am:9093", "resend_interval": "1m"}
    )
    assert isinstance(cfg, AlertmanagerReceiver)
    notifier = AlertmanagerNotifier(cfg, client=None)  # type: ignore[arg-type]
    [firing] = notifier.payload(notification(view()))
    assert set(firing) == {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
    assert firing["endsAt"] == go_time(T0 + 4 * timedelta(minutes=5))  # 4 × group_interval
    ended = T0 + timedelta(minutes=3)
    [resolved] = notifier.payload(notification(view("resolved", ends_at=ended)))
    assert resolved["endsAt"] == go_time(ended)
    assert notifier.repeat_interval(timedelta(hours=4)) == timedelta(minutes=1)
