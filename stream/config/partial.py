"""Cross-check the valid parts of a config file that also has field errors.

pydantic runs the root model's cross-reference validator only when every field
is valid, so a file with one bad duration would hide its undefined receivers
and unknown KPIs until the duration is fixed. Here the items with field errors
are left out (a rule, a receiver, a calendar, or a whole section that then takes
its default) and the rest is validated again; reference errors that could stem
from what was left out are not reported.

    issues = partial_cross_check(data, field_issues, validate=Config.model_validate)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from stream.config.errors import CROSS_REFERENCE, Loc, LocIssue

LIST_SECTIONS = ("rules", "receivers", "sla_policies", "inhibit_rules", "silences")
MAP_SECTIONS = ("calendars",)

# a reference error at (section, i, key) is unreliable when the section it points at lost items
DEPENDS_ON = {
    ("rules", "receivers"): "receivers",
    ("rules", "window"): "windows",
    ("sla_policies", "calendar"): "calendars",
}


@dataclass
class _Pruned:
    data: dict[str, Any]
    kept: dict[str, list[int]] = field(default_factory=dict)  # new index → original index
    whole: set[str] = field(default_factory=set)  # sections that fell back to their defaults
    dropped: dict[str, set[str]] = field(default_factory=dict)  # section → names left out


def partial_cross_check(
    data: dict[str, Any], field_issues: list[LocIssue], validate: Callable[[Any], Any]
) -> list[LocIssue]:
    """Return the reference errors of `data` once the items with field errors are left out."""
    pruned = _prune(data, [loc for loc, _ in field_issues])
    try:
        validate(pruned.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] != CROSS_REFERENCE for e in errors):
            return []  # still broken in a way pruning did not reach: the field errors say it
        issues = [i for e in errors for i in e.get("ctx", {}).get("issues", [])]
        found = [(_original(loc, pruned), msg) for loc, msg in issues]
        return [(loc, _renumber(msg, pruned)) for loc, msg in found if _reliable(loc, data, pruned)]
    return []


def _prune(data: dict[str, Any], locs: list[Loc]) -> _Pruned:
    drop: dict[str, set[Any]] = {}
    whole: set[str] = set()
    for loc in locs:
        if not loc:
            continue
        section = str(loc[0])
        item_level = len(loc) >= 2 and (
            (section in LIST_SECTIONS and isinstance(loc[1], int)) or section in MAP_SECTIONS
        )
        if item_level:
            drop.setdefault(section, set()).add(loc[1])
        else:
            whole.add(section)
    out = _Pruned({k: v for k, v in data.items() if k not in whole}, whole=whole)
    for section, items in drop.items():
        value = out.data.get(section)
        if isinstance(value, list):
            out.kept[section] = [i for i in range(len(value)) if i not in items]
            out.data[section] = [value[i] for i in out.kept[section]]
            names = {_name(value[i]) for i in items if i < len(value)}
        elif isinstance(value, dict):
            out.data[section] = {k: v for k, v in value.items() if k not in items}
            names = {str(k) for k in items}
        else:
            continue
        out.dropped[section] = {n for n in names if n is not None}
    return out


def _name(item: Any) -> str | None:
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) else None


def _reliable(loc: Loc, data: Any, pruned: _Pruned) -> bool:
    """Return False if a reference error may only say that its target was left out."""
    if len(loc) < 3:
        return True
    target = DEPENDS_ON.get((str(loc[0]), str(loc[2])))
    if target is None:
        return True
    if target in pruned.whole:
        return False
    return _value_at(data, loc) not in pruned.dropped.get(target, set())


def _value_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _original(loc: Loc, pruned: _Pruned) -> Loc:
    kept = pruned.kept.get(str(loc[0])) if loc else None
    if kept is None or len(loc) < 2 or not isinstance(loc[1], int):
        return loc
    return (loc[0], kept[loc[1]], *loc[2:])


def _renumber(message: str, pruned: _Pruned) -> str:
    """Point `rules[1]` in a message at the item's index in the file, not in the pruned list."""
    for section, kept in pruned.kept.items():

        def original(m: re.Match[str], section: str = section, kept: list[int] = kept) -> str:
            return f"{section}[{kept[int(m[1])]}]"

        message = re.sub(rf"\b{section}\[(\d+)\]", original, message)
    return message
