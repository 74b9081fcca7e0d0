"""Table tests of the alert lifecycle with a fake clock (one step = one minute)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from alerts.config import Rule
from alerts.lifecycle import AlertState, NotifyStatus, notification_due, record, step
from alerts.rules import RuleEvaluator
from alerts.snapshot import KpiSample

from .conftest import T0

STEP = timedelta(minutes=1)


def make_rule(**kw: Any) -> Rule:
    base: dict[str, Any] = {
        "name": "AbandonRateHigh",
        "kpi": "abandon_rate",
        "window": "15m",
        "op": ">",
        "threshold": 0.05,
        "receivers": ["hook"],
    }
    return Rule.model_validate({**base, **kw})


def simulate(
    rule: Rule,
    values: Sequence[float | None],
    samples: Sequence[int | None] | None = None,
    send_resolved: bool = True,
    step_size: timedelta = STEP,
) -> tuple[list[str], list[tuple[int, str]]]:
    """Run values through the lifecycle and an always-successful receiver.

    Return the state after each step and the notifications as (step, status)."""
    evaluator = RuleEvaluator(rule)
    state: AlertState | None = None
    states: list[str] = []
    sent: list[tuple[int, str]] = []
    for i, value in enumerate(values):
        now = T0 + i * step_size
        n = samples[i] if samples else 100
        sample = KpiSample("abandon_rate", {"queue": "billing", "window": "15m"}, value, n)
        state = step(state, evaluator.evaluate_sample(sample), rule, now)
        states.append(state.state if state else "inactive")
        if state and notification_due(state, "hook", now, rule.repeat_interval, send_resolved):
            status: NotifyStatus = "firing" if state.state == "firing" else "resolved"
            state = record(state, "hook", status, now)
            sent.append((i, status))
    return states, sent


FLAPPING = [0.03, 0.06, 0.045, 0.055, 0.041, 0.051, 0.046, 0.039, 0.045, 0.049, 0.03]


def test_flapping_with_hysteresis_notifies_once_firing_once_resolved() -> None:
    states, sent = simulate(make_rule(recovery_threshold=0.04), FLAPPING)
    assert sent == [(1, "firing"), (7, "resolved")]
    assert states[1:7] == ["firing"] * 6
    assert states[8:] == ["resolved"] * 3


def test_flapping_without_hysteresis_flaps() -> None:
    _, sent = simulate(make_rule(), FLAPPING)
    assert [s for _, s in sent] == ["firing", "resolved"] * 3


@pytest.mark.parametrize(
    ("values", "expected_states"),
    [
        # holds for 2 minutes → fires on the third breaching step
        ([0.1, 0.1, 0.1, 0.1], ["pending", "pending", "firing", "firing"]),
        # interrupted: pending resets
        (
            [0.1, 0.1, 0.01, 0.1, 0.1, 0.1],
            ["pending", "pending", "inactive", "pending", "pending", "firing"],
        ),
        # unknown (no value) while pending resets too: too few samples never fires
        ([0.1, None, 0.1, 0.1], ["pending", "inactive", "pending", "pending"]),
    ],
)
def test_for(values: list[float | None], expected_states: list[str]) -> None:
    states, _ = simulate(make_rule(**{"for": "2m"}), values)
    assert states == expected_states


def test_min_samples_never_fires_on_too_few_samples() -> None:
    states, sent = simulate(make_rule(min_samples=20), [0.5, 0.5, 0.5], samples=[3, 19, 5])
    assert states == ["inactive"] * 3
    assert sent == []


def test_min_samples_never_resolves_a_firing_alert_by_itself() -> None:
    values = [0.5, 0.0, 0.0, 0.0]
    states, sent = simulate(make_rule(min_samples=20), values, samples=[50, 2, 2, 40])
    assert states == ["firing", "firing", "firing", "resolved"]
    assert sent == [(0, "firing"), (3, "resolved")]


@pytest.mark.parametrize(
    ("values", "expected_states"),
    [
        ([0.1, 0.01, 0.01, 0.01, 0.01], ["firing", "firing", "firing", "resolved", "resolved"]),
        # the condition comes back during keep_firing_for: the countdown restarts
        (
            [0.1, 0.01, 0.1, 0.01, 0.01, 0.01],
            ["firing", "firing", "firing", "firing", "firing", "resolved"],
        ),
    ],
)
def test_keep_firing_for(values: list[float], expected_states: list[str]) -> None:
    states, sent = simulate(make_rule(keep_firing_for="2m"), values)
    assert states == expected_states
    assert [s for _, s in sent] == ["firing", "resolved"]


@pytest.mark.parametrize(
    ("repeat", "expected_steps"),
    [("1h", [0, 6, 12]), ("30m", [0, 3, 6, 9, 12]), ("4h", [0])],
)
def test_repeat_interval(repeat: str, expected_steps: list[int]) -> None:
    rule = make_rule(repeat_interval=repeat)
    _, sent = simulate(rule, [0.1] * 15, step_size=timedelta(minutes=10))
    assert [i for i, s in sent if s == "firing"] == expected_steps


def test_send_resolved_false_sends_no_resolved() -> None:
    _, sent = simulate(make_rule(), [0.1, 0.01], send_resolved=False)
    assert sent == [(0, "firing")]


def test_state_round_trips_through_json_dicts() -> None:
    import json

    rule = make_rule(**{"for": "1m"})
    evaluator = RuleEvaluator(rule)
    sample = KpiSample("abandon_rate", {"queue": "billing", "window": "15m"}, 0.2, 40)
    state = None
    for i in range(3):
        state = step(state, evaluator.evaluate_sample(sample), rule, T0 + i * STEP)
    assert state is not None and state.state == "firing"
    state = record(state, "hook", "firing", T0)
    again = AlertState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    with pytest.raises(ValueError, match="malformed"):
        AlertState.from_dict({"v": 1})
