"""Config errors, and the translation of pydantic errors into located issues.

Exception tree (every error carries `.issues`: all problems found, not the first):

    ConfigError                 the file cannot be used; str() lists one issue per line
    ├── ConfigFileError         missing, unreadable, empty, not YAML, or not a mapping
    └── ConfigInvalidError      readable but wrong: unknown keys, bad values, unset
                                ${VAR}s, references to things that do not exist

    try:
        load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:   # ConfigIssue(file, path, message, line)
            print(issue)           # config/kpiwatch.yaml: rules[0].window: window '5m' is ...
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]
"""A location inside the file: `("rules", 0, "window")` is `rules[0].window`."""
LocIssue = tuple[Loc, str]
"""A problem at a location, before it is tied to a file."""

CROSS_REFERENCE = "cross_reference"
"""Error type a model validator raises with `ctx={"issues": [LocIssue, ...]}`."""


def format_loc(loc: Loc) -> str:
    """Format a location as `rules[0].window`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config file: `config/kpiwatch.yaml: rules[0].window: <message>`."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.path, self.message) if part)


class ConfigError(Exception):
    """A config file cannot be used; `.issues` lists every problem found."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class ConfigFileError(ConfigError):
    """The file is missing, unreadable, empty, not YAML, or not a mapping."""


class ConfigInvalidError(ConfigError):
    """The file was read but its content is wrong."""


def issues_from_validation(
    exc: ValidationError, data: Any, model: type[BaseModel]
) -> list[LocIssue]:
    """Translate a pydantic ValidationError on `data` into located issues."""
    issues: list[LocIssue] = []
    for error in exc.errors(include_url=False):
        if error["type"] == CROSS_REFERENCE:
            issues.extend(error.get("ctx", {}).get("issues", []))
            continue
        loc = _data_loc(error["loc"], data)
        issues.append(_issue(error, loc, data, model))
    return list(dict.fromkeys(issues))


def _data_loc(loc: Sequence[str | int], data: Any) -> Loc:
    """Drop the parts pydantic adds that are not in the file (union tags, `[key]`)."""
    kept: list[str | int] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if _has(data, part):
            data = data[part]
        elif isinstance(part, int) or part == "[key]" or not last:
            continue  # a scalar coerced to a list, a dict-key check, or a union member
        kept.append(part)
    return tuple(kept)


def _has(data: Any, part: str | int) -> bool:
    if isinstance(data, dict):
        return part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)


def _issue(error: ErrorDetails, loc: Loc, data: Any, model: type[BaseModel]) -> LocIssue:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "extra_forbidden" and loc:
        known = _known_keys(model, loc[:-1], data)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return loc, f"unknown key (did you mean '{close[0]}'?)" if close else "unknown key"
    if kind == "missing":
        return loc, "missing required key"
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        key = str(ctx.get("discriminator", "type")).strip("'")
        return (*loc, key), f"unknown {key} '{ctx.get('tag')}'; expected one of {expected}"
    if kind == "union_tag_not_found":
        key = str(ctx.get("discriminator", "type")).strip("'")
        return (*loc, key), "missing required key"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "literal_error":
        return loc, f"expected {ctx.get('expected')}, got {error['input']!r}"
    if kind in ("model_type", "dict_type") and isinstance(error["input"], str):
        message = f"expected a mapping, got the string {error['input']!r}"
    return loc, message[:1].lower() + message[1:] if message[:2].istitle() else message


def _known_keys(model: type[BaseModel], loc: Loc, data: Any) -> list[str]:
    """Return the keys the model accepts at `loc`, for a did-you-mean hint."""
    tp: Any = model
    for part in loc:
        tp = _narrow(tp, data)
        data = data.get(part) if isinstance(data, dict) else None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part)) or next(
                (f for f in tp.model_fields.values() if f.alias == part), None
            )
            tp = None if field is None else field.annotation
        elif get_origin(tp) in (list, tuple, Sequence, dict, Mapping):
            args = get_args(tp)
            tp = args[-1] if get_origin(tp) in (dict, Mapping) else args[0]
        else:
            return []
    tp = _narrow(tp, data)
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return []
    return [field.alias or name for name, field in tp.model_fields.items()]


def _narrow(tp: Any, data: Any) -> Any:
    """Strip Annotated and Optional; pick a union member by its `type` tag."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) not in (Union, types.UnionType):
        return tp
    members = [m for m in get_args(tp) if m is not type(None)]
    tag = data.get("type") if isinstance(data, dict) else None
    for member in members:
        field = getattr(member, "model_fields", {}).get("type")
        if field is not None and tag in get_args(field.annotation):
            return member
    return members[0] if len(members) == 1 else None
