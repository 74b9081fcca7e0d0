"""The rules in force, and the retired rules whose alerts still wind down.

book = RuleBook(rules)
book.rule_of("AbandonRateHigh")          # a Rule, also once retired, else None
book.evaluators["abandon_rate"]          # the RuleEvaluators of one KPI
changed = book.replace(new_rules)        # names whose alerts must end
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from datetime import timedelta

from alerts.config import Rule
from alerts.rules import RuleEvaluator

DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)


def rule_identity(rule: Rule) -> Hashable:
    """Return what makes a rule's alerts the same alerts across a reload."""
    return (rule.kpi, rule.stat, rule.window, rule.severity, tuple(sorted(rule.labels.items())))


class RuleBook:
    """Rules by name, their evaluators by KPI, and retired rules until their alerts go."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: dict[str, Rule] = {}
        self.retired: dict[str, Rule] = {}
        self.evaluators: dict[str, list[RuleEvaluator]] = {}
        self._set(rules)

    def _set(self, rules: Sequence[Rule]) -> None:
        self.rules = {r.name: r for r in rules}
        self.retired = {k: v for k, v in self.retired.items() if k not in self.rules}
        self.evaluators = defaultdict(list)
        for rule in rules:
            self.evaluators[rule.kpi].append(RuleEvaluator(rule))

    def replace(self, rules: Sequence[Rule]) -> list[str]:
        """Swap the rules; return the names whose identity changed or that are gone."""
        new = {r.name: r for r in rules}
        changed: list[str] = []
        for name, old in self.rules.items():
            if name not in new or rule_identity(new[name]) != rule_identity(old):
                if name not in new:
                    self.retired[name] = old
                changed.append(name)
        self._set(rules)
        return changed

    def rule_of(self, name: str) -> Rule | None:
        """Return the rule named `name`, in force or retired."""
        return self.rules.get(name) or self.retired.get(name)

    def group_interval(self, name: str) -> timedelta:
        """Return a rule's group_interval (the default once the rule is gone)."""
        found = self.rule_of(name)
        return found.group_interval if found is not None else DEFAULT_GROUP_INTERVAL

    def evaluators_by_rule(self) -> dict[str, RuleEvaluator]:
        """Return the evaluator of every rule in force, by rule name."""
        return {e.rule.name: e for es in self.evaluators.values() for e in es}

    def keep_retired(self, live: Iterable[str]) -> None:
        """Forget the retired rules that no alert in `live` (rule names) still uses."""
        alive = set(live)
        self.retired = {k: v for k, v in self.retired.items() if k in alive}
