"""Each windowed KPI's aggregation: what a fact adds, and the result over totals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from stream.entities.views import View
from stream.kpis import aggregations as agg
from stream.kpis.aggregations import Totals, adders_by_fact
from stream.kpis.catalogue import ADDERS, KPIS, WINDOWED
from stream.kpis.facts import contribution
from stream.kpis.params import KpiParams
from stream.kpis.windows import Acc

VIEW = View("ticket", "t1", "billing", 1, 0.0, channel="email", priority="high")

CONTRIBUTIONS = [
    (("answered", 0.0, 12.0), {("ans",): 1.0, ("wait_sum",): 12.0, ("sl",): 1.0}),
    (("answered", 0.0, 21.0), {("ans",): 1.0, ("wait_sum",): 21.0}),
    (("abandoned", 0.0, 4.9), {("abd_short",): 1.0}),
    (("abandoned", 0.0, 5.0), {("abd",): 1.0}),
    (("csat", 0.0, 4.0), {("csat_n",): 1.0, ("csat_ok",): 1.0}),
    (("csat", 0.0, 3.0), {("csat_n",): 1.0, ("csat_ok",): 0.0}),
    (("nps", 0.0, 9.0), {("nps_n",): 1.0, ("nps_pro",): 1.0, ("nps_det",): 0.0}),
    (("nps", 0.0, 7.0), {("nps_n",): 1.0, ("nps_pro",): 0.0, ("nps_det",): 0.0}),
    (("nps", 0.0, 6.0), {("nps_n",): 1.0, ("nps_pro",): 0.0, ("nps_det",): 1.0}),
    (("sla:resolution", 0.0, 1.0), {("sla_n", "high", "resolution"): 1.0,
                                    ("sla_met", "high", "resolution"): 1.0}),
    (("frt", 0.0, 30.0), {("frt_n", "email", "high"): 1.0, ("frt_sum", "email", "high"): 30.0}),
    (("fcr", 0.0, 1.0), {("fcr_n",): 1.0, ("fcr_sum",): 1.0}),
    (("aht", 0.0, 300.0), {("aht_n",): 1.0, ("aht_sum",): 300.0}),
    (("ces", 0.0, 2.0), {("ces_n",): 1.0, ("ces_sum",): 2.0}),
    (("created", 0.0, 0.0), {("created",): 1.0}),
    (("reopened", 0.0, 0.0), {("reopened",): 1.0}),
    (("escalated", 0.0, 0.0), {("escalated",): 1.0}),
    (("unheard_of", 0.0, 1.0), {}),
]  # fmt: skip


@pytest.mark.parametrize(("fact", "counts"), CONTRIBUTIONS)
def test_what_one_fact_adds(
    fact: tuple[str, float, float], counts: dict[tuple[str, ...], float]
) -> None:
    assert contribution(fact, VIEW, KpiParams()).counts == counts


def test_a_duration_adds_one_sketch_point() -> None:
    acc = contribution(("solved", 0.0, 90.0), VIEW, KpiParams())
    assert list(acc.sketches) == [("solved", "email", "high")]
    assert acc.sketches[("solved", "email", "high")].count == 1


RESULTS = [
    (agg.ABANDON_RATE, {("ans",): 6.0, ("abd",): 2.0, ("abd_short",): 1.0}, 0.25, 8),
    (agg.SERVICE_LEVEL, {("ans",): 6.0, ("abd",): 2.0, ("sl",): 4.0}, 0.5, 8),
    (agg.ASA, {("ans",): 4.0, ("wait_sum",): 40.0}, 10.0, 4),
    (agg.NPS, {("nps_n",): 4.0, ("nps_pro",): 2.0, ("nps_det",): 1.0}, 25.0, 4),
    (agg.CSAT, {}, None, 0),
    (agg.REOPEN_RATE, {("fcr_n",): 4.0, ("reopened",): 1.0}, 0.25, 4),
    (agg.CALLS_OFFERED, {("ans",): 6.0, ("abd",): 2.0, ("abd_short",): 1.0}, 9.0, None),
    (agg.CALLS_ABANDONED, {("abd",): 2.0, ("abd_short",): 1.0}, 3.0, None),
    (agg.TICKETS_SOLVED, {("fcr_n",): 3.0}, 3.0, None),
]


@pytest.mark.parametrize(("aggregation", "counts", "value", "samples"), RESULTS)
def test_result_over_totals(
    aggregation: agg.Aggregation,
    counts: dict[tuple[str, ...], float],
    value: float | None,
    samples: int | None,
) -> None:
    assert list(aggregation.result(Totals(Acc.of(counts)))) == [(None, value, samples)]


def test_occupancy_counts_ongoing_runs() -> None:
    totals = Totals(Acc.of({("occ_busy",): 30.0, ("occ_available",): 10.0}), (30.0, 30.0))
    assert list(agg.OCCUPANCY.result(totals)) == [(None, 0.6, 100)]


def test_every_windowed_kpi_has_an_aggregation_and_every_fact_one_adder() -> None:
    assert {name for name, _ in WINDOWED} == {k.name for k in KPIS.values() if k.windowed}
    assert set(ADDERS) == {
        "answered", "abandoned", "frt", "solved", "sla:", "csat", "nps", "ces", "aht", "fcr",
        "created", "reopened", "escalated",
    }  # fmt: skip


def test_two_adders_for_one_fact_are_refused() -> None:
    other = agg.Count(agg.MappingProxyType({"created": agg._count(("x",))}), (("x",),))
    with pytest.raises(ValueError, match="fact 'created' has two adders"):
        adders_by_fact([agg.TICKETS_CREATED, other])


FORBIDDEN = ("stream.config", "faust", "aiokafka", "prometheus_client", "pydantic")


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).parents[3] / "stream" / "kpis").glob("*.py")),
    ids=lambda p: p.name,
)
def test_the_kpi_package_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert [m for m in names if m.startswith(FORBIDDEN)] == []


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        (None, ["mean", "p50", "p90"]),
        (frozenset({"p90"}), ["p90"]),
        (frozenset({"mean", "p90"}), ["mean", "p90"]),
        (frozenset(), []),
    ],
)
def test_a_summary_computes_only_the_stats_asked_in_its_order(
    stats: frozenset[str] | None, expected: list[str]
) -> None:
    acc = Acc()
    agg.FRT.adds["frt"](acc, "frt", 30.0, VIEW, KpiParams())  # one fact: a count, a sketch
    totals = Totals(acc, summaries=[("frt", "email", "high")])
    every = {v[0]["stat"]: v for v in agg.FRT.result(totals)}
    got = agg.FRT.result(totals, stats)
    assert [v[0]["stat"] for v in got] == expected
    assert all(v == every[v[0]["stat"]] for v in got)
