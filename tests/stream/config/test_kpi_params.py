"""The definition stamp and the KPI parameters derived from the config."""

from __future__ import annotations

from stream.config.kpi_params import kpi_info, kpi_params
from stream.config.root import Config
from stream.kpis.params import KpiParams


def test_defaults() -> None:
    info = kpi_info(Config())
    assert info == {
        "short_abandon": "5",
        "service_level_threshold": "20",
        "wrapup_timeout": "600",
        "replay_threshold": "600",
        "timezone": "UTC",
        "windows": "15m,1h,24h,today",
        "csat_satisfied": "4-5",
        "nps_promoters": "9-10",
        "nps_detractors": "0-6",
        "occupancy_busy": "busy,after_call_work",
    }


def test_configured_values() -> None:
    config = Config.model_validate(
        {
            "timezone": "Europe/Paris",
            "windows": ["5m", "today"],
            "replay_threshold": "2m",
            "kpis": {
                "short_abandon": "10s",
                "service_level_threshold": "30s",
                "wrapup_timeout": "1m30s",
            },
        }
    )
    info = kpi_info(config)
    assert (info["short_abandon"], info["service_level_threshold"], info["wrapup_timeout"]) == (
        "10",
        "30",
        "90",
    )
    assert (info["timezone"], info["windows"], info["replay_threshold"]) == (
        "Europe/Paris",
        "5m,today",
        "120",
    )
    assert kpi_params(config) == KpiParams(10.0, 30.0)
