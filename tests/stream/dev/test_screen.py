"""The demo screen: KPI columns in the rules' windows and units, alerts, pages (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from stream.config.root import load_config
from stream.dev.demo import DEMO_CONFIG
from stream.dev.screen import DemoView, Page, fmt

NOW = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
METRICS = """\
kpiwatch_calls_waiting{queue="billing"} 9
kpiwatch_longest_wait_seconds{queue="billing"} 125
kpiwatch_abandon_rate{queue="billing",window="5m"} 0.231
kpiwatch_abandon_rate{queue="billing",window="15m"} 0.1
kpiwatch_service_level{queue="billing",window="15m"} 0.62
kpiwatch_open_tickets{queue="billing",channel="email",priority="normal"} 10
kpiwatch_open_tickets{queue="billing",channel="chat",priority="urgent"} 5
kpiwatch_service_level{queue="sales",window="15m"} 0.86
"""


def test_columns_follow_the_rules_windows() -> None:
    view = DemoView.of(load_config(DEMO_CONFIG, environ={}))
    headings = [c.heading for c in view.columns]
    assert "abandon (5m)" in headings  # AbandonRateHigh's window, not 15m
    assert "service level (15m)" in headings  # no rule: 15m
    rows = view.kpis(METRICS)
    assert rows["billing"] == {
        "calls_waiting": 9.0,
        "longest_wait": 125.0,
        "abandon_rate": 0.231,
        "service_level": 0.62,
        "open_tickets": 15.0,
    }


def test_screen_shows_kpis_alerts_and_pages() -> None:
    view = DemoView.of(load_config(DEMO_CONFIG, environ={}))
    alert = {
        "rule": "AbandonRateHigh", "state": "firing", "labels": {"queue": "billing"},
        "value": 0.231, "startsAt": "2026-03-02T09:07:00+00:00", "activeAt": None,
        "silencedBy": [],
    }  # fmt: skip
    pending = {**alert, "rule": "SlaAtRisk", "state": "pending", "value": 6.0,
               "startsAt": None, "activeAt": "2026-03-02T09:09:40+00:00"}  # fmt: skip
    page = Page(NOW, "firing", "AbandonRateHigh", "billing", "Abandon rate 23.1% on billing")
    console = Console(width=140, record=True)
    console.print(view.render(view.kpis(METRICS), [alert, pending], [page], "header", NOW))
    text = console.export_text()
    assert "23.1%" in text and "2m 05s" in text and "15" in text
    assert "AbandonRateHigh" in text and "> 10.0%" in text and "3m 00s ago" in text
    assert "pending" in text and ">= 5" in text and "20s ago" in text
    assert "Abandon rate 23.1% on billing" in text


def test_fmt() -> None:
    assert fmt(0.8, "ratio") == "80.0%"
    assert fmt(65, "seconds") == "1m 05s"
    assert fmt(float("nan"), "ratio") == "–"
    assert fmt(None, "count") == "–"
