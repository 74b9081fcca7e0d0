"""Prometheus text, fast: each series' escaped `name{labels}` text kept between renders.

    renderer = Renderer()                    # kept by a Scraper
    text = renderer.snapshot(kpi_snapshot)   # byte for byte what generate_latest gives
    text = renderer.families(registry.collect())

A render formats the values and joins; the prefix of a series comes from the last render
that had it (what the last render did not use is dropped). The output equals
`generate_latest` over `stream.metrics.KpiCollector` (tests/stream/test_renderer.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from math import copysign
from operator import itemgetter
from typing import Any, cast

from prometheus_client.core import Metric
from prometheus_client.openmetrics.exposition import escape_label_name, escape_metric_name
from prometheus_client.utils import floatToGoString

from alerts.snapshot import KpiSnapshot
from stream.kpis.catalogue import KPIS, KpiKind

_go = cast(Callable[[float], str], floatToGoString)  # Go's float format, as the client's
_QUANTILE = {"p50": "0.5", "p90": "0.9"}
_AGENTS = ("kpiwatch_agents", "Agents per queue by current status.", "gauge")
_CLOCK = (
    "kpiwatch_kpi_time_seconds",
    "The instant the KPI values of this scrape are evaluated at (Unix time): the"
    " wall clock when live, the newest event time when replaying history.",
    "gauge",
)
# how `generate_latest` shows an OpenMetrics family in the text format: name, type
_SHOWN = {"counter": ("_total", "counter"), "info": ("_info", "gauge")}
_TYPE = {"stateset": "gauge", "gaugehistogram": "histogram", "unknown": "untyped"}
_OM_SUFFIXES = ("_created", "_gsum", "_gcount")  # samples moved to gauges of their own

Key = tuple[Any, ...]  # a series: its sample name, then what fixes its label set


# zeros are formatted by sign, not looked up among a render's values: -0.0 == 0.0
_ZEROS = {1.0: _go(0.0), -1.0: _go(-0.0)}


class _Pairs(dict[tuple[str, str], str]):
    """Labels already escaped in one render, `k="v"` by (k, v): a queue's series share
    its `queue="..."`, every queue's the same windows, channels, priorities."""

    def __missing__(self, pair: tuple[str, str]) -> str:
        text = self[pair] = f'{_label_name(pair[0])}="{_esc(pair[1])}"'
        return text


def _prefix(name: str, labels: Mapping[str, str], pairs: _Pairs) -> str:
    """Return a sample line up to its value: `name{k="v",...} `, as `generate_latest`."""
    if not labels:
        return f"{_metric_name(name)} "
    text = ",".join([pairs[kv] for kv in sorted(labels.items())])
    return f"{_metric_name(name)}{{{text}}} "


# names come from code, not data: few, each checked against the legacy charset once
_metric_name = lru_cache(maxsize=4096)(escape_metric_name)
_label_name = lru_cache(maxsize=4096)(escape_label_name)


def _esc(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _head(name: str, doc: str, kind: str) -> str:
    doc = doc.replace("\\", r"\\").replace("\n", r"\n")
    shown = _metric_name(name)
    return f"# HELP {shown} {doc}\n# TYPE {shown} {kind}\n"


@dataclass(frozen=True, slots=True)
class _Kpi:
    """How one catalogue KPI's samples become lines: its families and label names."""

    metric: str
    head: str
    labels: tuple[str, ...]
    values: Callable[[Mapping[str, str]], object]  # its label values: a series' key
    summary: bool
    samples: str  # the `_samples` family of a windowed ratio or mean, else ""
    samples_head: str

    def prefixes(
        self, labels: Mapping[str, str], pairs: _Pairs, quantile: str = ""
    ) -> tuple[str, str]:
        """Return the text before the values of a series' lines: value and `_samples`,
        `_sum` and `_count` (a summary's mean), or a quantile and ""."""
        own = {k: labels[k] for k in self.labels}
        if quantile:
            return _prefix(self.metric, {**own, "quantile": quantile}, pairs), ""
        if self.summary:
            sums = _prefix(self.metric + "_sum", own, pairs)
            return sums, _prefix(self.metric + "_count", own, pairs)
        own_samples = _prefix(self.samples, own, pairs) if self.samples else ""
        return _prefix(self.metric, own, pairs), own_samples


def _plan(name: str) -> _Kpi:
    d = KPIS[name]
    sm = d.samples_metric or ""
    summary = d.kind is KpiKind.SUMMARY
    return _Kpi(
        d.metric,
        _head(d.metric, d.help, "summary" if summary else "gauge"),
        d.labels,
        itemgetter(*d.labels) if d.labels else lambda labels: (),
        summary,
        sm,
        _head(sm, f"Observations behind {d.metric} in the window.", "gauge") if sm else "",
    )


# a series is keyed by its metric and label values: every metric here is one KPI's, so
# the metric fixes the label names (agents_* KPIs share one: they are keyed otherwise)
_KPIS = {name: _plan(name) for name in KPIS if not name.startswith("agents_")}
_AGENTS_HEAD = _head(*_AGENTS)


class Renderer:
    """Prometheus text, each series' `name{labels}` text kept from the last render.

    renderer = Renderer()                        # one per scraper: it outlives renders
    text = renderer.families(registry.collect()) # == generate_latest(registry)
    kpis = renderer.snapshot(snapshot)           # == generate_latest over KpiCollector

    A render looks each series up by its name and label values: one seen by the last
    render costs its value formatted and a join; a new one is escaped once. What is
    kept is what the last render used (one set for `families`, one for `snapshot`): label
    sets gone are dropped. Renders may run at once in threads: each reads what is kept
    and, when done, replaces it with what it used.
    """

    def __init__(self) -> None:
        self._lines: dict[Key, str] = {}  # families: a sample's text before its value
        self._series: dict[Key, tuple[str, str]] = {}  # snapshot: `_Kpi.prefixes`

    def kept(self) -> int:
        """Return how many series texts are kept (both sets)."""
        return len(self._lines) + len(self._series)

    def families(self, metrics: Iterable[Metric]) -> bytes:
        """Return the text `generate_latest` gives for a collector yielding `metrics`."""
        kept, used, pairs = self._lines, {}, _Pairs()
        out: list[str] = []
        for m in metrics:
            suffix, kind = _SHOWN.get(m.type, ("", _TYPE.get(m.type, m.type)))
            out.append(_head(m.name + suffix, m.documentation, kind))
            moved = {m.name + s: s for s in _OM_SUFFIXES}
            om: dict[str, list[str]] = {}
            for s in m.samples:
                key = (s.name, tuple(s.labels.items()))
                pre = used[key] = kept.get(key) or _prefix(s.name, s.labels, pairs)
                stamp = "" if s.timestamp is None else f" {int(float(s.timestamp) * 1000):d}"
                line = f"{pre}{_go(s.value)}{stamp}\n"
                if s.name in moved:
                    om.setdefault(moved[s.name], []).append(line)
                else:
                    out.append(line)
            for suffix, lines in sorted(om.items()):
                out.append(_head(m.name + suffix, m.documentation, "gauge"))
                out.extend(lines)
        self._lines = used
        return "".join(out).encode()

    def snapshot(self, snapshot: KpiSnapshot) -> bytes:
        """Return the text `generate_latest` gives for `KpiCollector` over `snapshot`."""
        kept, used, pairs = self._series, {}, _Pairs()
        texts: dict[float, str] = {}  # values formatted: KPI values repeat (counts, 0, 1)
        heads: dict[str, str] = {}  # family name: its HELP and TYPE lines, first seen first
        lines: dict[str, list[str]] = {}

        def num(value: float) -> str:
            if not value:
                return _ZEROS[copysign(1.0, value)]
            text = texts.get(value)
            if text is None:
                text = texts[value] = _go(value)
            return text

        def family(name: str, head: str) -> list[str]:
            found = lines.get(name)
            if found is None:
                heads[name], found = head, []
                lines[name] = found
            return found

        family(_CLOCK[0], _head(*_CLOCK)).append(f"{_CLOCK[0]} {_go(snapshot.at.timestamp())}\n")
        for s in snapshot.samples:
            labels, value, n = s.labels, s.value, s.samples
            p = _KPIS.get(s.kpi)
            if p is None:
                if s.kpi.startswith("agents_"):
                    key: Key = (_AGENTS[0], tuple(labels.items()))
                    pre = used[key] = kept.get(key) or (_prefix(_AGENTS[0], labels, pairs), "")
                    family(_AGENTS[0], _AGENTS_HEAD).append(f"{pre[0]}{_go(value or 0.0)}\n")
                continue
            if p.summary:
                out, stat = family(p.metric, p.head), labels.get("stat")
                if stat == "mean" and n is not None:  # 0 observations: _sum 0, _count 0
                    key = (p.metric, p.values(labels), stat)
                    pre = used[key] = kept.get(key) or p.prefixes(labels, pairs)
                    total = value * n if value is not None else 0.0
                    out.append(f"{pre[0]}{num(total)}\n{pre[1]}{num(float(n))}\n")
                elif stat in _QUANTILE and value is not None:
                    key = (p.metric, p.values(labels), stat)
                    pre = used[key] = kept.get(key) or p.prefixes(labels, pairs, _QUANTILE[stat])
                    out.append(f"{pre[0]}{num(value)}\n")
                continue
            key = (p.metric, p.values(labels))
            pre = used[key] = kept.get(key) or p.prefixes(labels, pairs)
            if value is not None:
                out = lines.get(p.metric) or family(p.metric, p.head)
                out.append(f"{pre[0]}{num(value)}\n")
            if p.samples and n is not None:
                out = lines.get(p.samples) or family(p.samples, p.samples_head)
                out.append(f"{pre[1]}{num(float(n))}\n")
        self._series = used
        return "".join(text for n, h in heads.items() for text in (h, *lines[n])).encode()


def render_snapshot(snapshot: KpiSnapshot) -> bytes:
    """Return the Prometheus text of a KPI snapshot (as `KpiCollector` exposes it)."""
    return Renderer().snapshot(snapshot)
