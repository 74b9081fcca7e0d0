"""Builders shared by the alerting tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.notification import AlertView, Notification

from .conftest import T0


def view(status: str = "firing", **kw: Any) -> AlertView:
    base: dict[str, Any] = {
        "fingerprint": "0123456789abcdef",
        "status": status,
        "labels": {"alertname": "AbandonRateHigh", "queue": "billing", "severity": "critical"},
        "annotations": {
            "summary": "Abandon rate 12% on billing",
            "runbook_url": "https://runbooks.example.com/abandon",
        },
        "starts_at": T0,
        "ends_at": None,
        "generator_url": "http://kpiwatch:8000/api/v1/alerts?fingerprint=0123456789abcdef",
        "rule": "AbandonRateHigh",
        "kpi": "abandon_rate",
        "window": "15m",
        "op": ">",
        "threshold": 0.05,
        "value": 0.12,
        "samples": 40,
    }
    return AlertView(**{**base, **kw})


def notification(*alerts: AlertView, receiver: str = "hook", now: datetime = T0) -> Notification:
    return Notification(
        receiver=receiver,
        group_key='{}/{alertname="AbandonRateHigh"}:{alertname="AbandonRateHigh", queue="billing"}',
        group_labels={"alertname": "AbandonRateHigh", "queue": "billing"},
        alerts=alerts or (view(),),
        now=now,
        external_url="http://kpiwatch:8000",
    )
