"""Cross-reference checks of a config whose sections are each valid on their own.

Rules against the KPI catalogue, the windows and the receivers; SLA policies
against the calendars; names that must be unique. Every problem is returned,
located, so the file's author sees them all at once.

    issues = cross_check(config)   # [(("rules", 0, "window"), "window '5m' is not ..."), ...]
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from stream.config.errors import LocIssue
from stream.config.sla import BUILTIN_CALENDAR
from stream.kpis.catalogue import KPIS, KpiDef

if TYPE_CHECKING:
    from alerts.config import Rule
    from stream.config.root import Config


def cross_check(config: Config) -> list[LocIssue]:
    """Return every broken reference and duplicate name in `config`."""
    issues: list[LocIssue] = []
    issues += _unique("receivers", "receiver", (r.name for r in config.receivers))
    issues += _unique("rules", "rule", (r.name for r in config.rules))
    issues += _unique("sla_policies", "policy", (p.name for p in config.sla_policies))
    receivers = list(dict.fromkeys(r.name for r in config.receivers))
    windows = list(config.windows)
    for index, rule in enumerate(config.rules):
        issues += _check_rule(rule, ("rules", index), windows, receivers)
    issues += _check_policies(config)
    if config.limits.max_queues < config.kafka.partitions:
        message = (
            f"must be at least kafka.partitions ({config.kafka.partitions}): the limit is "
            "split over the views partitions"
        )
        issues.append((("limits", "max_queues"), message))
    return issues


def _unique(section: str, what: str, names: Iterable[str]) -> list[LocIssue]:
    first: dict[str, int] = {}
    issues: list[LocIssue] = []
    for index, name in enumerate(names):
        if name in first:
            where = f"{section}[{first[name]}]"
            issues.append(((section, index, "name"), f"duplicate {what} name '{name}' ({where})"))
        else:
            first[name] = index
    return issues


def _listing(names: Iterable[str]) -> str:
    return "[" + ", ".join(names) + "]"


def _check_rule(
    rule: Rule, loc: tuple[str, int], windows: list[str], receivers: list[str]
) -> list[LocIssue]:
    issues: list[LocIssue] = []
    for index, name in enumerate(rule.receivers):
        if name not in receivers:
            message = f"receiver '{name}' is not defined; defined: {_listing(receivers)}"
            issues.append(((*loc, "receivers", index), message))
    kpi = KPIS.get(rule.kpi)
    if kpi is None:
        close = difflib.get_close_matches(rule.kpi, list(KPIS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return [*issues, ((*loc, "kpi"), f"unknown KPI '{rule.kpi}'{hint}")]
    return issues + _check_window(rule, kpi, loc, windows) + _check_labels(rule, kpi, loc)


def _check_window(
    rule: Rule, kpi: KpiDef, loc: tuple[str, int], windows: list[str]
) -> list[LocIssue]:
    issues: list[LocIssue] = []
    if not kpi.windowed and rule.window is not None:
        message = f"KPI '{kpi.name}' is a current-state KPI and takes no window"
        issues.append(((*loc, "window"), message))
    elif kpi.windowed and rule.window is None:
        message = f"KPI '{kpi.name}' is windowed: set window to one of {_listing(windows)}"
        issues.append(((*loc, "window"), message))
    elif kpi.windowed and rule.window not in windows:
        message = f"window '{rule.window}' is not one of the configured windows {_listing(windows)}"
        issues.append(((*loc, "window"), message))
    if rule.stat is not None and not kpi.stats:
        with_stats = [k.name for k in KPIS.values() if k.stats]
        message = f"stat applies only to {' and '.join(with_stats)}, not to '{kpi.name}'"
        issues.append(((*loc, "stat"), message))
    elif rule.stat is None and kpi.stats:
        message = f"KPI '{kpi.name}' needs a stat: one of {', '.join(kpi.stats)}"
        issues.append(((*loc, "stat"), message))
    return issues


def _check_labels(rule: Rule, kpi: KpiDef, loc: tuple[str, int]) -> list[LocIssue]:
    allowed = kpi.rule_labels
    return [
        (
            (*loc, "match", name),
            f"KPI '{kpi.name}' has no label '{name}'; labels: {', '.join(allowed)}",
        )
        for name in rule.match
        if name not in allowed
    ]


def _check_policies(config: Config) -> list[LocIssue]:
    issues: list[LocIssue] = []
    calendars = list(dict.fromkeys([BUILTIN_CALENDAR, *config.calendars]))
    catch_all: str | None = None
    for index, policy in enumerate(config.sla_policies):
        loc = ("sla_policies", index)
        if policy.calendar not in calendars:
            message = f"calendar '{policy.calendar}' is not defined; defined: {_listing(calendars)}"
            issues.append(((*loc, "calendar"), message))
        if catch_all is not None:
            message = f"policy '{policy.name}' is never used: {catch_all} matches every ticket"
            issues.append(((*loc, "match"), message))
        elif policy.match.matches_all:
            catch_all = f"'{policy.name}' (sla_policies[{index}])"
    if BUILTIN_CALENDAR in config.calendars:
        message = f"'{BUILTIN_CALENDAR}' is built in and cannot be redefined"
        issues.append((("calendars", BUILTIN_CALENDAR), message))
    return issues
