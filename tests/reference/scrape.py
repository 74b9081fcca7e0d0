"""Read a worker's /metrics text back into the reference model's keys.

    now, values = scrape(worker.metrics())   # the KPI clock of that scrape, and every KPI

Inverts the exposition (stream/metrics.py) with the KPI catalogue: a ratio or mean
with no observation is absent and its `_samples` series says 0; a summary gives
mean = `_sum` ÷ `_count`, p50/p90 from its `quantile` series.
"""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from stream.kpis.catalogue import KPIS, KpiKind
from tests.reference.compare import MODEL_KPIS
from tests.reference.model import Key, Value

_STAT = {"0.5": "p50", "0.9": "p90"}


def scrape(text: str) -> tuple[float, dict[Key, Value]]:
    """Return (kpiwatch_kpi_time_seconds, the values of the KPIs the model computes)."""
    defs = [d for d in KPIS.values() if not d.fixed_labels]
    plain = {d.metric: d for d in defs if d.kind is not KpiKind.SUMMARY}
    counts = {d.samples_metric: d for d in defs if d.samples_metric}
    summaries = {d.metric: d for d in defs if d.kind is KpiKind.SUMMARY}
    now = float("nan")
    out: dict[Key, list[Any]] = {}

    def put(kpi: str, labels: dict[str, str], i: int, v: float | int) -> None:
        out.setdefault((kpi, tuple(sorted(labels.items()))), [None, None])[i] = v

    sums: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            name, labels, v = s.name, dict(s.labels), float(s.value)
            if name == "kpiwatch_kpi_time_seconds":
                now = v
            elif name == "kpiwatch_agents":
                put("agents_" + labels["status"], labels, 0, v)
            elif name in plain:
                d = plain[name]
                put(d.name, labels, 0, v)
                if d.samples_metric:
                    put(d.name, labels, 1, out[(d.name, tuple(sorted(labels.items())))][1] or 0)
            elif name in counts:
                put(counts[name].name, labels, 1, int(v))
            elif name in summaries and "quantile" in labels:
                q = labels.pop("quantile")
                put(summaries[name].name, {**labels, "stat": _STAT[q]}, 0, v)
            elif name.endswith(("_sum", "_count")) and name.rsplit("_", 1)[0] in summaries:
                base, part = name.rsplit("_", 1)
                key = (summaries[base].name, tuple(sorted(labels.items())))
                sums.setdefault(key, [0.0, 0.0])[part == "count"] = v
    for (kpi, label_items), (total, n) in sums.items():
        lab = dict(label_items)
        put(kpi, {**lab, "stat": "mean"}, 0, total / n if n else None)  # type: ignore[arg-type]
        for stat in ("mean", "p50", "p90"):
            put(kpi, {**lab, "stat": stat}, 1, int(n))
    return now, {k: (v[0], v[1]) for k, v in out.items() if k[0] in MODEL_KPIS}
