"""Label matchers: equality, or an anchored regex when the value has metacharacters.

    m = LabelMatchers.of({"queue": "billing|refunds", "severity": "critical"})
    m.matches({"queue": "refunds", "severity": "critical"})  # True

As in Alertmanager, a missing label matches as the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_METACHARACTERS = frozenset(".^$*+?()[]{}|\\")
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_regex(value: str) -> bool:
    """Return whether a matcher value is a regex (it holds a metacharacter)."""
    return any(ch in _METACHARACTERS for ch in value)


def check_label_name(name: str) -> str:
    """Return `name` if it is a valid Prometheus label name; raise ValueError otherwise."""
    if not _LABEL_NAME.match(name):
        raise ValueError(f"invalid label name {name!r}: expected [A-Za-z_][A-Za-z0-9_]*")
    return name


def check_matchers(matchers: Mapping[str, str]) -> Mapping[str, str]:
    """Validate label names and that every regex value compiles; return the mapping."""
    for name, value in matchers.items():
        check_label_name(name)
        if is_regex(value):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"label {name!r}: invalid regex {value!r}: {exc}") from None
    return matchers


@dataclass(frozen=True, slots=True)
class LabelMatcher:
    """One `name = value` or `name =~ regex` matcher."""

    name: str
    value: str
    pattern: re.Pattern[str] | None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return whether `labels` satisfy this matcher."""
        actual = labels.get(self.name, "")
        if self.pattern is None:
            return actual == self.value
        return self.pattern.fullmatch(actual) is not None


@dataclass(frozen=True, slots=True)
class LabelMatchers:
    """A conjunction of matchers; empty matches everything."""

    items: tuple[LabelMatcher, ...]

    @classmethod
    def of(cls, matchers: Mapping[str, str]) -> LabelMatchers:
        """Compile a `label -> value-or-regex` mapping."""
        return cls(
            tuple(
                LabelMatcher(k, v, re.compile(v) if is_regex(v) else None)
                for k, v in sorted(matchers.items())
            )
        )

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return whether every matcher is satisfied by `labels`."""
        return all(m.matches(labels) for m in self.items)
