"""The KPI catalogue matches SPEC §2."""

from __future__ import annotations

import pytest

from stream.kpis.catalogue import KPIS, KpiKind, KpiUnit, get

CURRENT_STATE = {
    "open_tickets": ("kpiwatch_open_tickets", ("queue", "channel", "priority")),
    "sla_at_risk": ("kpiwatch_sla_at_risk_tickets", ("queue", "priority", "target")),
    "sla_breached": ("kpiwatch_sla_breached_tickets", ("queue", "priority", "target")),
    "sla_breaching_soon": ("kpiwatch_sla_breaching_soon_tickets", ("queue", "target", "within")),
    "calls_waiting": ("kpiwatch_calls_waiting", ("queue",)),
    "longest_wait": ("kpiwatch_longest_wait_seconds", ("queue",)),
    "agents_available": ("kpiwatch_agents", ("queue", "status")),
    "agents_busy": ("kpiwatch_agents", ("queue", "status")),
}
QW = ("queue", "window")
WINDOWED = {
    "abandon_rate": ("kpiwatch_abandon_rate", QW),
    "service_level": ("kpiwatch_service_level", QW),
    "asa": ("kpiwatch_asa_seconds", QW),
    "aht": ("kpiwatch_aht_seconds", QW),
    "frt": ("kpiwatch_first_response_seconds", ("queue", "channel", "priority", "window")),
    "resolution_time": ("kpiwatch_resolution_seconds", ("queue", "channel", "priority", "window")),
    "sla_compliance": ("kpiwatch_sla_compliance", ("queue", "priority", "target", "window")),
    "csat": ("kpiwatch_csat", QW),
    "nps": ("kpiwatch_nps", QW),
    "ces": ("kpiwatch_ces", QW),
    "fcr": ("kpiwatch_fcr", QW),
    "escalation_rate": ("kpiwatch_escalation_rate", QW),
    "reopen_rate": ("kpiwatch_reopen_rate", QW),
    "occupancy": ("kpiwatch_occupancy", QW),
    "tickets_created": ("kpiwatch_tickets_created", QW),
    "tickets_solved": ("kpiwatch_tickets_solved", QW),
    "calls_offered": ("kpiwatch_calls_offered", QW),
    "calls_answered": ("kpiwatch_calls_answered", QW),
    "calls_abandoned": ("kpiwatch_calls_abandoned", QW),
}


def test_catalogue_holds_exactly_the_spec_kpis() -> None:
    assert set(KPIS) == set(CURRENT_STATE) | set(WINDOWED)


@pytest.mark.parametrize("name", [*CURRENT_STATE, *WINDOWED])
def test_metric_labels_and_windowing(name: str) -> None:
    kpi = get(name)
    metric, labels = {**CURRENT_STATE, **WINDOWED}[name]
    assert (kpi.name, kpi.metric, kpi.labels) == (name, metric, labels)
    assert kpi.windowed == (name in WINDOWED)
    assert kpi.windowed == (kpi.kind is not KpiKind.GAUGE)


def test_only_frt_and_resolution_time_have_stats() -> None:
    with_stats = {k.name: k.stats for k in KPIS.values() if k.stats}
    assert with_stats == {"frt": ("mean", "p50", "p90"), "resolution_time": ("mean", "p50", "p90")}
    assert {get("frt").kind, get("resolution_time").kind} == {KpiKind.SUMMARY}


def test_units_and_sample_metrics() -> None:
    assert get("abandon_rate").unit is KpiUnit.RATIO
    assert get("nps").unit is KpiUnit.SCORE
    assert get("asa").unit is KpiUnit.SECONDS
    assert get("abandon_rate").samples_metric == "kpiwatch_abandon_rate_samples"
    assert get("aht").samples_metric == "kpiwatch_aht_samples"
    assert get("frt").samples_metric is None  # the summary's _count
    assert get("tickets_created").samples_metric is None
    assert get("open_tickets").samples_metric is None


def test_agents_share_a_metric_told_apart_by_status() -> None:
    assert get("agents_busy").fixed_labels == {"status": "busy"}
    assert get("agents_available").fixed_labels == {"status": "available"}
    assert get("agents_busy").rule_labels == ("queue",)
    assert get("frt").rule_labels == ("queue", "channel", "priority")


def test_unknown_kpi_and_immutability() -> None:
    with pytest.raises(KeyError, match="unknown KPI 'nope'"):
        get("nope")
    with pytest.raises(TypeError):
        KPIS["x"] = get("asa")  # type: ignore[index]
