"""A webhook sink on loopback and a worker config whose one rule fires on billing."""

from __future__ import annotations

from typing import Any

from tests.integration.scenario import CONFIG

TOKEN = "t0ken"


def calls_waiting(url: str, repeat: str = "1h") -> dict[str, Any]:
    """Return a config whose rule CallsWaiting fires at ≥ 2 waiting calls; token set."""
    return {
        **CONFIG,
        "http": {"auth_token": TOKEN},
        "receivers": [{"name": "sink", "type": "webhook", "url": url, "send_resolved": True}],
        "rules": [
            {
                "name": "CallsWaiting",
                "kpi": "calls_waiting",
                "op": ">=",
                "threshold": 2,
                "recovery_threshold": 1,
                "for": "0s",
                "severity": "critical",
                "annotations": {"summary": "{{ value }} calls waiting in {{ queue }}"},
                "receivers": ["sink"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": repeat,
            }
        ],
    }
