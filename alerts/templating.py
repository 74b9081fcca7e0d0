"""Annotation templates and value formatting (no jinja2 in the venv: a tiny renderer).

    render("{{ value | percent }} on {{ queue }}", {"value": 0.123, "queue": "billing"})
    # '12.3% on billing'

A placeholder is `{{ name }}` or `{{ name | filter | ... }}`; filters are
`percent` and `duration` (seconds, humanised). `render` never raises: a
template it cannot render comes back as the raw string (and is logged), so a
bad annotation can never stop a page. `check_template` reports the problem at
config-load time instead.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Value = str | float | int | None

#: KPIs that are 0–1 ratios (shown as percent) or seconds (shown humanised).
RATIO_KPIS = frozenset(
    {"abandon_rate", "service_level", "sla_compliance", "csat", "fcr"}
    | {"escalation_rate", "reopen_rate"}
)
SECONDS_KPIS = frozenset({"longest_wait", "asa", "aht", "frt", "resolution_time"})


class TemplateError(ValueError):
    """A template cannot be parsed or rendered."""


def percent(value: Value) -> str:
    """Format a 0–1 ratio as a percentage (`0.123` → `12.3%`)."""
    number = _number(value)
    return "n/a" if number is None else f"{number * 100:.3g}%"


def duration(value: Value) -> str:
    """Humanise seconds with the two largest units (`5400` → `1h 30m`)."""
    number = _number(value)
    if number is None:
        return "n/a"
    if abs(number) < 1:
        return f"{round(number * 1000)}ms"
    seconds = round(number)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2])


def number(value: Value) -> str:
    """Format a number with up to 4 significant digits (`n/a` if missing)."""
    parsed = _number(value)
    return "n/a" if parsed is None else f"{parsed:.4g}"


FILTERS: Mapping[str, Callable[[Value], str]] = {"percent": percent, "duration": duration}


def format_kpi(kpi: str, value: Value) -> str:
    """Format a KPI value in its unit: percent for ratios, humanised seconds, else plain."""
    if kpi in RATIO_KPIS:
        return percent(value)
    if kpi in SECONDS_KPIS:
        return duration(value)
    return number(value)


def check_template(text: str) -> str:
    """Return `text` if every placeholder parses; raise TemplateError otherwise."""
    if text.count("{{") != len(_PLACEHOLDER.findall(text)):
        raise TemplateError(f"unclosed '{{{{' in template {text!r}")
    for match in _PLACEHOLDER.finditer(text):
        _parse(match.group(1))
    return text


def render(text: str, context: Mapping[str, Value]) -> str:
    """Render a template; on any error log it and return the raw text."""
    try:
        return _PLACEHOLDER.sub(lambda m: _render_one(m.group(1), context), text)
    except TemplateError as exc:
        log.warning("annotation template not rendered: %s", exc)
        return text


def _parse(expr: str) -> tuple[str, list[str]]:
    name, *filters = (part.strip() for part in expr.split("|"))
    if not _NAME.match(name):
        raise TemplateError(f"invalid placeholder {{{{{expr}}}}}")
    for f in filters:
        if f not in FILTERS:
            raise TemplateError(f"unknown filter {f!r} (known: {', '.join(FILTERS)})")
    return name, filters


def _render_one(expr: str, context: Mapping[str, Value]) -> str:
    name, filters = _parse(expr)
    if name not in context:
        raise TemplateError(f"unknown name {name!r} in {{{{{expr}}}}}")
    value = context[name]
    if not filters:
        return number(value) if isinstance(value, float) else ("" if value is None else str(value))
    text = ""
    for f in filters:
        text = FILTERS[f](value)
        value = text
    return text


def _number(value: Value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        parsed = float(value)
    except ValueError:
        return None
    return None if math.isnan(parsed) else parsed
