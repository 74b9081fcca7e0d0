"""The parameters behind the KPI numbers: thresholds from config, survey bands from SPEC §2.

KpiParams(short_abandon=5.0).service_level   # 20.0, the default threshold
9 in NPS_PROMOTERS                            # True
str(CSAT_SATISFIED)                           # '4-5'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScoreBand:
    """An inclusive range of survey scores, printed as `low-high`."""

    low: int
    high: int

    def __contains__(self, score: float) -> bool:
        return self.low <= score <= self.high

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


CSAT_SATISFIED = ScoreBand(4, 5)
"""CSAT responses that count as satisfied (scores run 1–5)."""
NPS_PROMOTERS = ScoreBand(9, 10)
"""NPS promoters (scores run 0–10)."""
NPS_DETRACTORS = ScoreBand(0, 6)
"""NPS detractors."""


@dataclass(frozen=True, slots=True)
class KpiParams:
    """Definition parameters of the windowed KPIs, in seconds (SPEC §2)."""

    short_abandon: float = 5.0
    service_level: float = 20.0
