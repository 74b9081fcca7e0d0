"""`--sweep RULE.param=a:b:step`: parse it and make the rule variants it asks for.

    sweep = parse_sweep("AbandonRateHigh.threshold=0.04:0.12:0.01")
    for value, rules in sweep.variants(config.rules):
        ...                         # the config's rules with that one value changed

Sweepable: `threshold` (the recovery threshold moves with it, keeping the
hysteresis gap), `recovery_threshold`, `min_samples` (numbers) and `for`,
`keep_firing_for` (durations, e.g. `0s:10m:1m`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from alerts.config import Rule
from alerts.durations import format_duration, parse_duration

NUMBERS = ("threshold", "recovery_threshold", "min_samples")
DURATIONS = ("for", "keep_firing_for")
MAX_VALUES = 200


class SweepError(ValueError):
    """A `--sweep` argument that cannot be used."""


@dataclass(frozen=True)
class Sweep:
    """One parameter of one rule over a range of values."""

    rule: str
    param: str
    values: tuple[float, ...]  # seconds for durations

    def label(self, value: float) -> str:
        """Return a value as the user wrote such values."""
        if self.param in DURATIONS:
            return format_duration(timedelta(seconds=value))
        if self.param == "min_samples":
            return str(int(value))
        return f"{value:g}"

    def apply(self, rule: Rule, value: float) -> Rule:
        """Return `rule` with the swept parameter set to `value`."""
        if self.param in DURATIONS:
            field = "for_" if self.param == "for" else self.param
            return rule.model_copy(update={field: timedelta(seconds=value)})
        if self.param == "min_samples":
            return rule.model_copy(update={"min_samples": int(value)})
        if self.param == "threshold":
            gap = rule.recovery - rule.threshold
            rec = None if rule.recovery_threshold is None else value + gap
            return rule.model_copy(update={"threshold": value, "recovery_threshold": rec})
        return rule.model_copy(update={"recovery_threshold": value})

    def variants(self, rules: Sequence[Rule]) -> Iterator[tuple[float, list[Rule]]]:
        """Yield each value with the rule list that uses it."""
        if not any(r.name == self.rule for r in rules):
            names = ", ".join(r.name for r in rules) or "none"
            raise SweepError(f"--sweep: no rule named {self.rule!r} (rules: {names})")
        for value in self.values:
            yield value, [self.apply(r, value) if r.name == self.rule else r for r in rules]


def parse_sweep(text: str) -> Sweep:
    """Parse `RULE.param=a:b:step`; raise SweepError saying what is wrong."""
    target, eq, spec = text.partition("=")
    rule, dot, param = target.rpartition(".")
    if not eq or not dot or not rule:
        raise SweepError(f"--sweep {text!r}: expected RULE.param=a:b:step")
    if param not in NUMBERS + DURATIONS:
        raise SweepError(
            f"--sweep {text!r}: cannot sweep {param!r}; one of {', '.join(NUMBERS + DURATIONS)}"
        )
    parts = spec.split(":")
    if len(parts) != 3:
        raise SweepError(f"--sweep {text!r}: expected a:b:step after '='")
    try:
        a, b, step = (_number(p, param in DURATIONS) for p in parts)
    except ValueError as exc:
        raise SweepError(f"--sweep {text!r}: {exc}") from exc
    if step <= 0 or b < a:
        raise SweepError(f"--sweep {text!r}: need a <= b and step > 0")
    n = round((b - a) / step) + 1
    if n > MAX_VALUES:
        raise SweepError(f"--sweep {text!r}: {n} values; at most {MAX_VALUES}")
    values = tuple(round(a + i * step, 10) for i in range(n) if a + i * step <= b + step * 1e-9)
    return Sweep(rule, param, values)


def _number(text: str, duration: bool) -> float:
    if duration:
        return parse_duration(text.strip()).total_seconds()
    return float(text)
