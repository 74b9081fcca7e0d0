"""The KPI catalogue: every KPI name of SPEC §2, its metric, labels and formula.

Rules name KPIs from this table; the metrics collector and the config checker
read it; a windowed KPI's `aggregation` (stream.kpis.aggregations) computes it.
It is pure data: no state, no I/O.

    >>> get("abandon_rate").metric
    'kpiwatch_abandon_rate'
    >>> get("frt").stats
    ('mean', 'p50', 'p90')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from stream.kpis import aggregations as agg
from stream.kpis.aggregations import Adder, Aggregation, adders_by_fact
from stream.kpis.params import CSAT_SATISFIED, NPS_DETRACTORS, NPS_PROMOTERS


class KpiKind(StrEnum):
    """How a KPI is computed, which decides how it is exposed."""

    GAUGE = "gauge"  # current state, no window
    RATIO = "ratio"  # part ÷ whole over a window, with a sample count
    MEAN = "mean"  # mean over a window, with a sample count
    COUNT = "count"  # events in a window
    SUMMARY = "summary"  # mean and quantiles over a window (quantile, _sum, _count)


class KpiUnit(StrEnum):
    """What a KPI value measures."""

    RATIO = "ratio"  # 0–1
    SECONDS = "seconds"
    COUNT = "count"
    SCORE = "score"  # a survey score (NPS −100…100, CES 1–7)


STATS: tuple[str, ...] = ("mean", "p50", "p90")


@dataclass(frozen=True, slots=True)
class KpiDef:
    """One KPI: its rule name, metric, labels and how it is computed.

    `labels` are the metric's label names, `window` included for windowed KPIs
    (never `quantile`). `fixed_labels` pins labels that select this KPI out of
    a shared metric (`agents_busy` is `kpiwatch_agents{status="busy"}`).
    `aggregation` computes a windowed KPI (current-state gauges have none:
    stream.kpis.current counts them).
    """

    name: str
    metric: str
    labels: tuple[str, ...]
    kind: KpiKind
    unit: KpiUnit
    help: str
    stats: tuple[str, ...] = ()
    fixed_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    aggregation: Aggregation | None = None

    @property
    def windowed(self) -> bool:
        """Return whether the KPI rolls over a window (and so takes a `window`)."""
        return self.kind is not KpiKind.GAUGE

    @property
    def samples_metric(self) -> str | None:
        """Return the name of the sample-count metric of a windowed ratio or mean."""
        if self.kind in (KpiKind.RATIO, KpiKind.MEAN):
            return f"kpiwatch_{self.name}_samples"
        return None

    @property
    def rule_labels(self) -> tuple[str, ...]:
        """Return the labels a rule may match on (window and pinned labels excluded)."""
        return tuple(n for n in self.labels if n != "window" and n not in self.fixed_labels)


_G, _R, _M, _C, _S = KpiKind.GAUGE, KpiKind.RATIO, KpiKind.MEAN, KpiKind.COUNT, KpiKind.SUMMARY
_RATIO, _SEC, _CNT, _SCORE = KpiUnit.RATIO, KpiUnit.SECONDS, KpiUnit.COUNT, KpiUnit.SCORE
_Q = ("queue",)
_QW = ("queue", "window")
_TICKET = ("queue", "channel", "priority")
_SLA = ("queue", "priority", "target")


def _agents(status: str) -> KpiDef:
    return KpiDef(
        f"agents_{status}",
        "kpiwatch_agents",
        ("queue", "status"),
        _G,
        _CNT,
        f"Agents whose current status is {status}.",
        fixed_labels=MappingProxyType({"status": status}),
    )


def _count(name: str, aggregation: Aggregation, help_text: str) -> KpiDef:
    return KpiDef(name, f"kpiwatch_{name}", _QW, _C, _CNT, help_text, aggregation=aggregation)


def _windowed(
    name: str,
    metric: str,
    labels: tuple[str, ...],
    kind: KpiKind,
    unit: KpiUnit,
    aggregation: Aggregation,
    help_text: str,
) -> KpiDef:
    stats = STATS if kind is KpiKind.SUMMARY else ()
    return KpiDef(name, metric, labels, kind, unit, help_text, stats, aggregation=aggregation)


_CSAT, _PRO, _DET = CSAT_SATISFIED, NPS_PROMOTERS, NPS_DETRACTORS


_DEFS: tuple[KpiDef, ...] = (
    # current state
    KpiDef("open_tickets", "kpiwatch_open_tickets", _TICKET, _G, _CNT,
           "Tickets whose status is not solved or closed."),
    KpiDef("sla_at_risk", "kpiwatch_sla_at_risk_tickets", _SLA, _G, _CNT,
           "Open tickets with an active SLA target due within the policy's at_risk horizon."),
    KpiDef("sla_breached", "kpiwatch_sla_breached_tickets", _SLA, _G, _CNT,
           "Open tickets with an active SLA target already past due."),
    KpiDef("sla_breaching_soon", "kpiwatch_sla_breaching_soon_tickets",
           ("queue", "target", "within"), _G, _CNT,
           "Open tickets that will breach an SLA target within the horizon if nobody acts."),
    KpiDef("calls_waiting", "kpiwatch_calls_waiting", _Q, _G, _CNT,
           "Calls queued, not yet answered or abandoned."),
    KpiDef("longest_wait", "kpiwatch_longest_wait_seconds", _Q, _G, _SEC,
           "Age of the oldest waiting call."),
    _agents("available"),
    _agents("busy"),
    # windowed
    _windowed("abandon_rate", "kpiwatch_abandon_rate", _QW, _R, _RATIO, agg.ABANDON_RATE,
              "Abandoned ÷ (answered + abandoned), short abandons excluded."),
    _windowed("service_level", "kpiwatch_service_level", _QW, _R, _RATIO, agg.SERVICE_LEVEL,
              "Calls answered within the threshold ÷ (answered + abandoned)."),
    _windowed("asa", "kpiwatch_asa_seconds", _QW, _M, _SEC, agg.ASA,
              "Mean wait of answered calls."),
    _windowed("aht", "kpiwatch_aht_seconds", _QW, _M, _SEC, agg.AHT,
              "Mean talk time plus after-call work."),
    _windowed("frt", "kpiwatch_first_response_seconds", (*_TICKET, "window"), _S, _SEC, agg.FRT,
              "First public agent reply − ticket created."),
    _windowed("resolution_time", "kpiwatch_resolution_seconds", (*_TICKET, "window"), _S, _SEC,
              agg.RESOLUTION_TIME, "Ticket solved − ticket created."),
    _windowed("sla_compliance", "kpiwatch_sla_compliance", (*_SLA, "window"), _R, _RATIO,
              agg.SLA_COMPLIANCE, "SLA targets met ÷ targets concluded."),
    _windowed("csat", "kpiwatch_csat", _QW, _R, _RATIO, agg.CSAT,
              f"CSAT responses scoring {_CSAT.low} or {_CSAT.high} ÷ responses."),
    _windowed("nps", "kpiwatch_nps", _QW, _R, _SCORE, agg.NPS,
              f"% promoters ({_PRO.low}–{_PRO.high}) − % detractors ({_DET.low}–{_DET.high})."),
    _windowed("ces", "kpiwatch_ces", _QW, _M, _SCORE, agg.CES, "Mean customer effort score."),
    _windowed("fcr", "kpiwatch_fcr", _QW, _R, _RATIO, agg.FCR,
              "Tickets solved with one agent reply and never reopened ÷ tickets solved."),
    _windowed("escalation_rate", "kpiwatch_escalation_rate", _QW, _R, _RATIO,
              agg.ESCALATION_RATE, "Tickets escalated ÷ tickets created."),
    _windowed("reopen_rate", "kpiwatch_reopen_rate", _QW, _R, _RATIO, agg.REOPEN_RATE,
              "Tickets reopened ÷ tickets solved."),
    _windowed("occupancy", "kpiwatch_occupancy", _QW, _R, _RATIO, agg.OCCUPANCY,
              "Agent time busy ÷ (busy + available)."),
    _count("tickets_created", agg.TICKETS_CREATED, "Tickets created in the window."),
    _count("tickets_solved", agg.TICKETS_SOLVED, "Tickets solved in the window."),
    _count("calls_offered", agg.CALLS_OFFERED,
           "Calls offered (answered or abandoned) in the window."),
    _count("calls_answered", agg.CALLS_ANSWERED, "Calls answered in the window."),
    _count("calls_abandoned", agg.CALLS_ABANDONED, "Calls abandoned in the window."),
)  # fmt: skip

KPIS: Mapping[str, KpiDef] = MappingProxyType({kpi.name: kpi for kpi in _DEFS})
"""Every KPI by name, in catalogue order."""

WINDOWED: tuple[tuple[str, Aggregation], ...] = tuple(
    (kpi.name, kpi.aggregation) for kpi in _DEFS if kpi.aggregation is not None
)
"""Every windowed KPI's name and aggregation, in catalogue order."""

ADDERS: dict[str, Adder] = adders_by_fact(a for _, a in WINDOWED)
"""What each fact adds to a window: its one adder, shared by the KPIs that read it.

A plain dict, not a read-only view: it is read once per fact on the hot path."""


def get(name: str) -> KpiDef:
    """Return the KPI named `name`; raise KeyError naming it if there is none."""
    try:
        return KPIS[name]
    except KeyError:
        raise KeyError(f"unknown KPI {name!r}") from None


@dataclass(frozen=True)
class Selection:
    """Which KPIs (and windows) a reader wants: alert rules read only what they name.

    >>> Selection.of(["abandon_rate"], ["15m"]).summaries
    False
    """

    kpis: frozenset[str]
    windows: frozenset[str] | None = None  # None: every window

    @classmethod
    def of(cls, kpis: Iterable[str], windows: Iterable[str] | None = None) -> Selection:
        """Return the selection of these KPI names (and windows)."""
        return cls(frozenset(kpis), None if windows is None else frozenset(windows))

    @property
    def current(self) -> bool:
        """Return whether any current-state KPI is wanted."""
        return any(k not in KPIS or not KPIS[k].windowed for k in self.kpis)

    @property
    def windowed(self) -> bool:
        """Return whether any windowed KPI is wanted."""
        return any(k in KPIS and KPIS[k].windowed for k in self.kpis)

    @property
    def summaries(self) -> bool:
        """Return whether a summary KPI (frt, resolution_time) is wanted."""
        return any(k in KPIS and KPIS[k].kind is KpiKind.SUMMARY for k in self.kpis)

    def window(self, name: str) -> bool:
        """Return whether window `name` is wanted."""
        return self.windows is None or name in self.windows
