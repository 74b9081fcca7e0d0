"""How each windowed fact feeds the accumulators, and the KPI formulas over them.

`contribution(fact, view, opts)` turns one fact into counters and sketch
points; `window_samples(acc)` turns a window's totals into KPI samples. Both
are pure and table-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from alerts.snapshot import KpiSample
from stream.entities.views import Fact, View
from stream.kpis.sketch import Sketch
from stream.kpis.windows import Acc, Key


@dataclass(frozen=True, slots=True)
class KpiOptions:
    """Definition parameters of the windowed KPIs (SPEC §2)."""

    short_abandon: float = 5.0
    service_level: float = 20.0
    allowed_lateness: float = 600.0


SPAN_FACTS = frozenset({"occ_busy", "occ_available"})
"""Facts `(name, start, seconds)` that spread over time instead of counting at one instant."""
SLA_PREFIX = "sla:"


def contribution(fact: Fact, view: View, opts: KpiOptions) -> Acc:
    """Return what one fact adds to a window."""
    name, _, v = fact
    cp = (view.channel, view.priority)
    acc = Acc()
    c = acc.counts
    if name == "answered":
        c[("ans",)] = 1.0
        c[("wait_sum",)] = v
        if v <= opts.service_level:
            c[("sl",)] = 1.0
    elif name == "abandoned":
        c[("abd_short",) if v < opts.short_abandon else ("abd",)] = 1.0
    elif name in ("frt", "solved"):
        c[(name + "_n", *cp)] = 1.0
        c[(name + "_sum", *cp)] = v
        acc.sketches[(name, *cp)] = _point(v)
    elif name == "csat":
        c[("csat_n",)], c[("csat_ok",)] = 1.0, float(v >= 4)
    elif name == "nps":
        c[("nps_n",)], c[("nps_pro",)], c[("nps_det",)] = 1.0, float(v >= 9), float(v <= 6)
    elif name.startswith(SLA_PREFIX):
        target = name[len(SLA_PREFIX) :]
        c[("sla_n", view.priority, target)], c[("sla_met", view.priority, target)] = 1.0, v
    elif name in ("ces", "aht", "fcr"):
        c[(name + "_n",)], c[(name + "_sum",)] = 1.0, v
    else:  # created, reopened, escalated: plain counts
        c[(name,)] = 1.0
    return acc


def _point(v: float) -> Sketch:
    s = Sketch()
    s.add(v)
    return s


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def window_samples(
    queue: str,
    window: str,
    acc: Acc,
    open_runs: tuple[float, float] = (0.0, 0.0),
    sla_pairs: Iterable[tuple[str, str]] = (),
    summaries: Iterable[Key] = (),
    with_summaries: bool = True,
) -> Iterator[KpiSample]:
    """Yield the windowed KPI samples of one queue and window.

    `open_runs` is the (busy, available) agent time of runs still going, which
    the window's accumulator cannot hold yet; `sla_pairs` are (priority, target)
    pairs and `summaries` sketch keys `(fact, channel, priority)` to report
    even with nothing concluded (value None, 0 samples).
    """
    n = acc.count
    base = {"queue": queue, "window": window}
    ans, abd, short = n("ans"), n("abd"), n("abd_short")
    offered = ans + abd
    yield KpiSample("abandon_rate", base, _ratio(abd, offered), int(offered))
    yield KpiSample("service_level", base, _ratio(n("sl"), offered), int(offered))
    yield KpiSample("asa", base, _ratio(n("wait_sum"), ans), int(ans))
    yield KpiSample("aht", base, _ratio(n("aht_sum"), n("aht_n")), int(n("aht_n")))
    yield KpiSample("calls_offered", base, offered + short, None)
    yield KpiSample("calls_answered", base, ans, None)
    yield KpiSample("calls_abandoned", base, abd + short, None)
    created, solved = n("created"), n("fcr_n")
    yield KpiSample("tickets_created", base, created, None)
    yield KpiSample("tickets_solved", base, solved, None)
    yield KpiSample("fcr", base, _ratio(n("fcr_sum"), solved), int(solved))
    yield KpiSample("reopen_rate", base, _ratio(n("reopened"), solved), int(solved))
    yield KpiSample("escalation_rate", base, _ratio(n("escalated"), created), int(created))
    yield KpiSample("csat", base, _ratio(n("csat_ok"), n("csat_n")), int(n("csat_n")))
    nps_n = n("nps_n")
    nps = _ratio(100.0 * (n("nps_pro") - n("nps_det")), nps_n)
    yield KpiSample("nps", base, nps, int(nps_n))
    yield KpiSample("ces", base, _ratio(n("ces_sum"), n("ces_n")), int(n("ces_n")))
    busy = n("occ_busy") + open_runs[0]
    staffed = busy + n("occ_available") + open_runs[1]
    yield KpiSample("occupancy", base, _ratio(busy, staffed), int(staffed))
    pairs = {(k[1], k[2]) for k in acc.counts if k[0] == "sla_n"}.union(sla_pairs)
    for pr, target in sorted(pairs):
        labels = {**base, "priority": pr, "target": target}
        met, concluded = acc.count("sla_met", pr, target), acc.count("sla_n", pr, target)
        yield KpiSample("sla_compliance", labels, _ratio(met, concluded), int(concluded))
    if not with_summaries:  # a reader that wants no frt/resolution_time skips the sketches
        return
    keys = sorted(set(acc.sketches).union(summaries))
    for kpi, fact in (("frt", "frt"), ("resolution_time", "solved")):
        yield from _summary(kpi, fact, base, acc, keys)


def _summary(
    kpi: str, fact: str, base: dict[str, str], acc: Acc, keys: Iterable[Key]
) -> Iterator[KpiSample]:
    for key in keys:
        if key[0] != fact:
            continue
        cp: Key = key[1:]
        labels = {**base, "channel": cp[0], "priority": cp[1]}
        count = acc.count(fact + "_n", *cp)
        total = acc.count(fact + "_sum", *cp)
        sk = acc.sketches.get(key)
        yield KpiSample(kpi, {**labels, "stat": "mean"}, _ratio(total, count), int(count))
        for stat, q in (("p50", 0.5), ("p90", 0.9)):
            value = sk.quantile(q) if sk is not None else None
            yield KpiSample(kpi, {**labels, "stat": stat}, value, int(count))
