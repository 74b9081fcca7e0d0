"""The definition stamp and the KPI parameters of a config.

    kpi_info(config)["short_abandon"]   # '5'
    kpi_params(config)                  # the stream.kpis.params.KpiParams to run with

The worker exposes `kpi_info` as the `kpiwatch_kpi_info` info metric, so a
dashboard or an alert can say how a number was computed.
"""

from __future__ import annotations

from datetime import timedelta

from stream.config.root import Config
from stream.entities.agents import OCCUPANCY_STATUS
from stream.kpis.params import CSAT_SATISFIED, NPS_DETRACTORS, NPS_PROMOTERS, KpiParams


def _seconds(td: timedelta) -> str:
    return f"{td.total_seconds():g}"


def kpi_info(config: Config) -> dict[str, str]:
    """Return the KPI definition parameters of `config` (durations in seconds)."""
    k = config.kpis
    return {
        "short_abandon": _seconds(k.short_abandon),
        "service_level_threshold": _seconds(k.service_level_threshold),
        "wrapup_timeout": _seconds(k.wrapup_timeout),
        "replay_threshold": _seconds(config.replay_threshold),
        "timezone": config.timezone,
        "windows": ",".join(config.windows),
        "csat_satisfied": str(CSAT_SATISFIED),
        "nps_promoters": str(NPS_PROMOTERS),
        "nps_detractors": str(NPS_DETRACTORS),
        "occupancy_busy": ",".join(s for s, f in OCCUPANCY_STATUS.items() if f == "occ_busy"),
    }


def kpi_params(config: Config) -> KpiParams:
    """Return the windowed-KPI parameters of `config`."""
    k = config.kpis
    return KpiParams(
        short_abandon=k.short_abandon.total_seconds(),
        service_level=k.service_level_threshold.total_seconds(),
    )
