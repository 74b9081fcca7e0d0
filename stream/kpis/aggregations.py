"""Each windowed KPI as a small named aggregation over a window's counters.

An aggregation, in the spirit of quix-streams' `initialize / agg / result`:

- initialise: an empty `Acc` (no counters, no sketches);
- add: `adds[fact]` writes what one fact contributes into an `Acc`;
- retract: the same contribution merged with sign −1 (every aggregation is a
  sum of counters or a mergeable sketch, so retracting is adding negated, and a
  window expires a bucket the same way);
- result: `result(totals)` reads a window's totals and yields its values.

Each fact has one adder, shared by every KPI that reads the fact (an
answered call feeds `abandon_rate`, `service_level`, `asa` and the call
counts): `adders_by_fact` checks that and gives the per-fact table, so
a fact costs one call however many KPIs read it.

    ABANDON_RATE.adds["abandoned"]          # the adder of an abandoned call
    ABANDON_RATE.result(Totals(acc))        # ((None, 0.25, 8),)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from stream.entities.agents import OCCUPANCY_STATUS
from stream.entities.ticket_sla import SLA_FACT
from stream.entities.views import View
from stream.kpis.params import CSAT_SATISFIED, NPS_DETRACTORS, NPS_PROMOTERS, KpiParams
from stream.kpis.sketch import Sketch
from stream.kpis.windows import Acc, Key

Adder = Callable[[Acc, str, float, View, KpiParams], None]
"""Write what one fact `(name, value)` of `view` contributes into an `Acc`."""
Value = tuple[dict[str, str] | None, float | None, int | None]
"""One result: extra labels (None: the window's own), the value, the sample count."""

SPAN_FACTS = frozenset(OCCUPANCY_STATUS.values())
"""Facts `(name, start, seconds)` that spread over time instead of counting at one instant."""

# counter keys (a window's counters are keyed by (name, *dims))
ANS, ABD, ABD_SHORT, SL, WAIT_SUM = ("ans",), ("abd",), ("abd_short",), ("sl",), ("wait_sum",)
AHT_N, AHT_SUM, CES_N, CES_SUM = ("aht_n",), ("aht_sum",), ("ces_n",), ("ces_sum",)
FCR_N, FCR_SUM = ("fcr_n",), ("fcr_sum",)
CREATED, REOPENED, ESCALATED = ("created",), ("reopened",), ("escalated",)
CSAT_N, CSAT_OK, NPS_N, NPS_PRO, NPS_DET = (
    ("csat_n",),
    ("csat_ok",),
    ("nps_n",),
    ("nps_pro",),
    ("nps_det",),
)
OCC_BUSY, OCC_AVAILABLE = ("occ_busy",), ("occ_available",)
SLA_N, SLA_MET = "sla_n", "sla_met"  # keyed (name, priority, target)


@dataclass(slots=True)
class Totals:
    """A window's totals and what its accumulator cannot hold.

    `open_runs` is the (busy, available) agent time of runs still going;
    `sla_pairs` are (priority, target) pairs and `summaries` sketch keys
    `(fact, channel, priority)` to report even with nothing concluded.
    """

    acc: Acc
    open_runs: tuple[float, float] = (0.0, 0.0)
    sla_pairs: Iterable[tuple[str, str]] = ()
    summaries: Iterable[Key] = ()


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def _sum(counts: dict[Key, float], keys: tuple[Key, ...]) -> float:
    total = 0.0
    for key in keys:
        total += counts.get(key, 0.0)
    return total


def _count(key: Key) -> Adder:
    def add(acc: Acc, _name: str, _v: float, _view: View, _p: KpiParams) -> None:
        acc.counts[key] = 1.0

    return add


def _sum_and_count(n: Key, total: Key) -> Adder:
    def add(acc: Acc, _name: str, v: float, _view: View, _p: KpiParams) -> None:
        acc.counts[n] = 1.0
        acc.counts[total] = v

    return add


def _answered(acc: Acc, _name: str, v: float, _view: View, p: KpiParams) -> None:
    c = acc.counts
    c[ANS] = 1.0
    c[WAIT_SUM] = v
    if v <= p.service_level:
        c[SL] = 1.0


def _abandoned(acc: Acc, _name: str, v: float, _view: View, p: KpiParams) -> None:
    # a short abandon (a misdial, a hang-up in the greeting) is not an offered call
    acc.counts[ABD_SHORT if v < p.short_abandon else ABD] = 1.0


def _duration(acc: Acc, name: str, v: float, view: View, _p: KpiParams) -> None:
    cp = (view.channel, view.priority)
    acc.counts[(name + "_n", *cp)] = 1.0
    acc.counts[(name + "_sum", *cp)] = v
    sketch = acc.sketches[(name, *cp)] = Sketch()
    sketch.add(v)


def _csat(acc: Acc, _name: str, v: float, _view: View, _p: KpiParams) -> None:
    acc.counts[CSAT_N] = 1.0
    acc.counts[CSAT_OK] = float(v in CSAT_SATISFIED)


def _nps(acc: Acc, _name: str, v: float, _view: View, _p: KpiParams) -> None:
    c = acc.counts
    c[NPS_N], c[NPS_PRO], c[NPS_DET] = 1.0, float(v in NPS_PROMOTERS), float(v in NPS_DETRACTORS)


def _sla(acc: Acc, name: str, v: float, view: View, _p: KpiParams) -> None:
    target = name[len(SLA_FACT) :]
    acc.counts[(SLA_N, view.priority, target)] = 1.0
    acc.counts[(SLA_MET, view.priority, target)] = v


Adds = Mapping[str, Adder]
"""Fact name (or the `sla:` prefix of every SLA target's fact) → its adder."""


def _adds(facts: dict[str, Adder]) -> Adds:
    return MappingProxyType(facts)


_CALLS = _adds({"answered": _answered, "abandoned": _abandoned})
_FCR = _sum_and_count(FCR_N, FCR_SUM)
_CREATED = _count(CREATED)


class Aggregation:
    """One windowed KPI: what each fact it reads adds, and its value over a window."""

    __slots__ = ()
    adds: Adds

    def result(self, t: Totals) -> Sequence[Value]:
        """Return the KPI's values over the window totals `t`."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Count(Aggregation):
    """How many facts of some kinds a window holds."""

    adds: Adds
    keys: tuple[Key, ...]

    def result(self, t: Totals) -> Sequence[Value]:
        return ((None, _sum(t.acc.counts, self.keys), None),)


@dataclass(frozen=True, slots=True)
class Ratio(Aggregation):
    """`scale × (part − less) ÷ whole`, with `whole` as the sample count."""

    adds: Adds
    part: tuple[Key, ...]
    whole: tuple[Key, ...]
    less: tuple[Key, ...] = ()
    scale: float = 1.0

    def result(self, t: Totals) -> Sequence[Value]:
        counts = t.acc.counts
        whole = _sum(counts, self.whole)
        part = _sum(counts, self.part)
        if self.less:
            part -= _sum(counts, self.less)
        return ((None, _ratio(self.scale * part, whole), int(whole)),)


@dataclass(frozen=True, slots=True)
class Occupancy(Aggregation):
    """Busy ÷ (busy + available) agent time, ongoing runs included.

    Its facts are time spans (`SPAN_FACTS`) that a window splits over its
    buckets itself (`add_span`), so it has no adders.
    """

    adds: Adds = field(default_factory=lambda: _adds({}))

    def result(self, t: Totals) -> Sequence[Value]:
        busy = t.acc.count(*OCC_BUSY) + t.open_runs[0]
        staffed = busy + t.acc.count(*OCC_AVAILABLE) + t.open_runs[1]
        return ((None, _ratio(busy, staffed), int(staffed)),)


@dataclass(frozen=True, slots=True)
class SlaCompliance(Aggregation):
    """Targets met ÷ targets concluded, per (priority, target)."""

    adds: Adds = field(default_factory=lambda: _adds({SLA_FACT: _sla}))

    def result(self, t: Totals) -> Sequence[Value]:
        acc = t.acc
        pairs = {(k[1], k[2]) for k in acc.counts if k[0] == SLA_N}.union(t.sla_pairs)
        out: list[Value] = []
        for pr, target in sorted(pairs):
            met, concluded = acc.count(SLA_MET, pr, target), acc.count(SLA_N, pr, target)
            out.append(({"priority": pr, "target": target}, _ratio(met, concluded), int(concluded)))
        return out


@dataclass(frozen=True, slots=True)
class Summary(Aggregation):
    """Mean, p50 and p90 of a duration fact, per (channel, priority)."""

    fact: str
    adds: Adds

    def result(self, t: Totals, stats: Collection[str] | None = None) -> Sequence[Value]:
        """Return mean, p50 and p90 per (channel, priority); `stats`: only those of them."""
        acc, fact = t.acc, self.fact
        mean = stats is None or "mean" in stats
        quantiles = [(s, q) for s, q in (("p50", 0.5), ("p90", 0.9)) if stats is None or s in stats]
        out: list[Value] = []
        for key in t.summaries:
            if key[0] != fact:
                continue
            cp: Key = key[1:]
            labels = {"channel": cp[0], "priority": cp[1]}
            count = acc.count(fact + "_n", *cp)
            if mean:
                total = acc.count(fact + "_sum", *cp)
                out.append(({**labels, "stat": "mean"}, _ratio(total, count), int(count)))
            sk = acc.sketches.get(key)
            for stat, q in quantiles:
                value = sk.quantile(q) if sk is not None else None
                out.append(({**labels, "stat": stat}, value, int(count)))
        return out


def _summary(fact: str) -> Summary:
    return Summary(fact, _adds({fact: _duration}))


def _mean(fact: str, total: Key, n: Key) -> Ratio:
    return Ratio(_adds({fact: _sum_and_count(n, total)}), (total,), (n,))


ABANDON_RATE = Ratio(_CALLS, (ABD,), (ANS, ABD))
SERVICE_LEVEL = Ratio(_CALLS, (SL,), (ANS, ABD))
ASA = Ratio(_adds({"answered": _answered}), (WAIT_SUM,), (ANS,))
AHT = _mean("aht", AHT_SUM, AHT_N)
FRT = _summary("frt")
RESOLUTION_TIME = _summary("solved")
SLA_COMPLIANCE = SlaCompliance()
CSAT = Ratio(_adds({"csat": _csat}), (CSAT_OK,), (CSAT_N,))
NPS = Ratio(_adds({"nps": _nps}), (NPS_PRO,), (NPS_N,), less=(NPS_DET,), scale=100.0)
CES = _mean("ces", CES_SUM, CES_N)
FCR = Ratio(_adds({"fcr": _FCR}), (FCR_SUM,), (FCR_N,))
ESCALATION_RATE = Ratio(
    _adds({"escalated": _count(ESCALATED), "created": _CREATED}), (ESCALATED,), (CREATED,)
)
REOPEN_RATE = Ratio(_adds({"reopened": _count(REOPENED), "fcr": _FCR}), (REOPENED,), (FCR_N,))
OCCUPANCY = Occupancy()
TICKETS_CREATED = Count(_adds({"created": _CREATED}), (CREATED,))
TICKETS_SOLVED = Count(_adds({"fcr": _FCR}), (FCR_N,))
CALLS_OFFERED = Count(_CALLS, (ANS, ABD, ABD_SHORT))
CALLS_ANSWERED = Count(_adds({"answered": _answered}), (ANS,))
CALLS_ABANDONED = Count(_adds({"abandoned": _abandoned}), (ABD, ABD_SHORT))


def adders_by_fact(aggregations: Iterable[Aggregation]) -> dict[str, Adder]:
    """Return each fact's one adder; raise ValueError if two aggregations disagree on one."""
    by_fact: dict[str, Adder] = {}
    for agg in aggregations:
        for fact, adder in agg.adds.items():
            if by_fact.setdefault(fact, adder) is not adder:
                raise ValueError(f"fact {fact!r} has two adders: one fact, one adder")
    return by_fact
