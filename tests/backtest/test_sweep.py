"""`--sweep` parsing and the rule variants it makes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stream.backtest.sweep import SweepError, parse_sweep
from tests.backtest.helpers import config


@pytest.mark.parametrize(
    ("text", "param", "values"),
    [
        ("R.threshold=0.04:0.12:0.02", "threshold", (0.04, 0.06, 0.08, 0.1, 0.12)),
        ("R.for=0s:3m:1m", "for", (0.0, 60.0, 120.0, 180.0)),
        ("R.min_samples=10:30:10", "min_samples", (10.0, 20.0, 30.0)),
        ("Dotted.Name.keep_firing_for=1m:1m:1m", "keep_firing_for", (60.0,)),
    ],
)
def test_parse(text: str, param: str, values: tuple[float, ...]) -> None:
    sweep = parse_sweep(text)
    assert (sweep.param, sweep.values) == (param, values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("R.threshold", "expected RULE.param=a:b:step"),
        ("threshold=1:2:1", "expected RULE.param=a:b:step"),
        ("R.severity=1:2:1", "cannot sweep 'severity'"),
        ("R.threshold=1:2", "expected a:b:step"),
        ("R.threshold=2:1:1", "need a <= b and step > 0"),
        ("R.threshold=0:1:0", "need a <= b and step > 0"),
        ("R.for=0s:1x:1m", "'1x' is not a duration"),
        ("R.threshold=0:1000:1", "at most 200"),
    ],
)
def test_bad(text: str, message: str) -> None:
    with pytest.raises(SweepError, match=message):
        parse_sweep(text)


def test_variants_change_one_rule_and_keep_the_hysteresis_gap() -> None:
    rules = config().rules  # threshold 0.3, recovery 0.2
    (value, (rule,)), *_ = parse_sweep("AbandonRateHigh.threshold=0.5:0.6:0.1").variants(rules)
    assert (value, rule.threshold, rule.recovery) == (0.5, 0.5, pytest.approx(0.4))
    (_, (rule,)), *_ = parse_sweep("AbandonRateHigh.for=5m:5m:1m").variants(rules)
    assert rule.for_ == timedelta(minutes=5)
    with pytest.raises(SweepError, match="no rule named 'Nope'"):
        list(parse_sweep("Nope.threshold=1:2:1").variants(rules))
