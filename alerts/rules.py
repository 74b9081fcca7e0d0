"""Evaluate rules against a KPI snapshot: one `Evaluation` per rule × label set.

    evaluator = RuleEvaluator(rule)
    for ev in evaluator.evaluate(snapshot):
        ev.labels, ev.value, ev.breach   # Condition.TRUE / FALSE / UNKNOWN

`breach` is `value op threshold`; `holding` is `value op recovery_threshold`
(a firing alert stays firing while it holds: hysteresis). Both are UNKNOWN when
the value is missing or rests on fewer than `min_samples` observations.
"""

from __future__ import annotations

import enum
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from alerts.config import Op, Rule
from alerts.matchers import LabelMatchers
from alerts.snapshot import KpiSample, KpiSnapshot

#: Sample labels that select a series but are not part of the alert identity.
SELECTOR_LABELS = frozenset({"window", "stat"})
DEFAULT_STAT = "mean"

_OPS: dict[Op, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class Condition(enum.Enum):
    """A tri-state truth value: too few samples is neither true nor false."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, value: bool) -> Condition:
        """Return TRUE or FALSE."""
        return cls.TRUE if value else cls.FALSE


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one rule for one label set."""

    rule: str
    labels: Mapping[str, str]
    value: float | None
    samples: int | None
    breach: Condition
    holding: Condition


def alert_labels(rule: Rule, sample_labels: Mapping[str, str]) -> dict[str, str]:
    """Return the identity labels of the alert a rule raises for a sample."""
    labels = {k: v for k, v in sample_labels.items() if k not in SELECTOR_LABELS}
    labels.update(rule.labels)
    labels["alertname"] = rule.name
    labels["severity"] = rule.severity
    return labels


class RuleEvaluator:
    """A rule with its matchers compiled once."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self._matchers = LabelMatchers.of(rule.match)
        self._op = _OPS[rule.op]

    def watches(self, alert_labels: Mapping[str, str]) -> bool:
        """Return whether an alert's labels still pass this rule's `match`."""
        return self._matchers.matches(alert_labels)

    def selects(self, sample: KpiSample) -> bool:
        """Return whether the sample is a series this rule watches."""
        rule, labels = self.rule, sample.labels
        if sample.kpi != rule.kpi or labels.get("window") != rule.window:
            return False
        if "stat" in labels and labels["stat"] != (rule.stat or DEFAULT_STAT):
            return False
        return self._matchers.matches(labels)

    def evaluate(self, snapshot: KpiSnapshot) -> Iterator[Evaluation]:
        """Yield one evaluation per selected sample."""
        for sample in snapshot.samples:
            if self.selects(sample):
                yield self.evaluate_sample(sample)

    def evaluate_sample(self, sample: KpiSample) -> Evaluation:
        """Evaluate one selected sample."""
        rule, value = self.rule, sample.value
        known = (
            value is not None
            and not math.isnan(value)
            and (sample.samples is None or sample.samples >= rule.min_samples)
        )
        if not known or value is None:
            breach = holding = Condition.UNKNOWN
        else:
            breach = Condition.of(self._op(value, rule.threshold))
            holding = Condition.of(self._op(value, rule.recovery))
        return Evaluation(
            rule=rule.name,
            labels=alert_labels(rule, sample.labels),
            value=value,
            samples=sample.samples,
            breach=breach,
            holding=holding,
        )
