"""How each windowed fact feeds a window, and the KPI samples of a window's totals.

`contribution(fact, view, params)` runs the catalogue's adder of one fact;
`window_samples(...)` runs every windowed KPI's aggregation over a window's
totals. Both are pure and table-tested; the formulas live in
stream.kpis.aggregations, the list of KPIs in stream.kpis.catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from alerts.snapshot import KpiSample
from stream.entities.ticket_sla import SLA_FACT
from stream.entities.views import Fact, View
from stream.kpis.aggregations import SPAN_FACTS, Totals
from stream.kpis.catalogue import ADDERS, KPIS, WINDOWED, KpiKind
from stream.kpis.params import KpiParams
from stream.kpis.windows import Acc, Key

__all__ = ["SPAN_FACTS", "contribution", "window_samples"]


def contribution(fact: Fact, view: View, params: KpiParams) -> Acc:
    """Return what one fact adds to a window (a fact no KPI reads adds nothing)."""
    name, _, v = fact
    acc = Acc()
    add = ADDERS.get(name)
    if add is None:
        if not name.startswith(SLA_FACT):
            return acc
        add = ADDERS[SLA_FACT]
    add(acc, name, v, view, params)
    return acc


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
    base = {"queue": queue, "window": window}
    totals = Totals(acc, open_runs, sla_pairs, sorted(set(acc.sketches).union(summaries)))
    for kpi, aggregation in WINDOWED:
        if not with_summaries and KPIS[kpi].kind is KpiKind.SUMMARY:
            continue  # a reader that wants no frt/resolution_time skips the sketches
        for labels, value, samples in aggregation.result(totals):
            yield KpiSample(kpi, base if labels is None else {**base, **labels}, value, samples)
