"""The definition stamp: the parameters behind the KPI numbers, as strings.

    kpi_info(config)["short_abandon"]   # '5'
    kpi_options(config)                 # the stream.kpis.facts.KpiOptions to run with

The worker exposes `kpi_info` as the `kpiwatch_kpi_info` info metric, so a
dashboard or an alert can say how a number was computed.
"""

from __future__ import annotations

from datetime import timedelta

from stream.config.root import Config
from stream.kpis.facts import KpiOptions


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
        "csat_satisfied": "4-5",
        "nps_promoters": "9-10",
        "nps_detractors": "0-6",
        "occupancy_busy": "busy,after_call_work",
    }


def kpi_options(config: Config) -> KpiOptions:
    """Return the windowed-KPI options of `config`."""
    k = config.kpis
    return KpiOptions(
        short_abandon=k.short_abandon.total_seconds(),
        service_level=k.service_level_threshold.total_seconds(),
    )
