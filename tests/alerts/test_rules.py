from datetime import UTC, datetime

from alerts.config import Rule
from alerts.fingerprint import fingerprint
from alerts.rules import Condition, RuleEvaluator
from alerts.snapshot import KpiSample, KpiSnapshot

AT = datetime(2026, 3, 2, tzinfo=UTC)


def evaluator(**kw: object) -> RuleEvaluator:
    base = {"name": "R", "kpi": "frt", "op": ">", "threshold": 60.0, "receivers": ["h"]}
    return RuleEvaluator(Rule.model_validate({**base, **kw}))


def frt(queue: str, window: str, stat: str, value: float | None, n: int = 50) -> KpiSample:
    labels = {
        "queue": queue,
        "channel": "email",
        "priority": "high",
        "window": window,
        "stat": stat,
    }
    return KpiSample("frt", labels, value, n)


SNAPSHOT = KpiSnapshot(
    at=AT,
    samples=(
        frt("billing", "1h", "mean", 50.0),
        frt("billing", "1h", "p90", 120.0),
        frt("billing", "15m", "p90", 30.0),
        frt("refunds", "1h", "p90", 61.0, n=3),
        frt("sales", "1h", "p90", None),
        KpiSample("calls_waiting", {"queue": "billing"}, 9.0),
    ),
)


def test_window_and_stat_select_samples_and_leave_the_identity() -> None:
    results = list(evaluator(window="1h", stat="p90", min_samples=5).evaluate(SNAPSHOT))
    by_queue = {r.labels["queue"]: r for r in results}
    assert set(by_queue) == {"billing", "refunds", "sales"}
    billing = by_queue["billing"]
    assert billing.labels == {
        "queue": "billing",
        "channel": "email",
        "priority": "high",
        "alertname": "R",
        "severity": "warning",
    }
    assert (billing.value, billing.breach) == (120.0, Condition.TRUE)
    assert by_queue["refunds"].breach is Condition.UNKNOWN  # 3 < min_samples
    assert by_queue["sales"].breach is Condition.UNKNOWN  # no value yet


def test_stat_defaults_to_mean_and_match_is_anchored_regex() -> None:
    results = list(evaluator(window="1h", match={"queue": "bill|refunds"}).evaluate(SNAPSHOT))
    assert results == []  # "bill" does not match "billing": anchored
    [result] = evaluator(window="1h", match={"queue": "bill.*"}).evaluate(SNAPSHOT)
    assert result.value == 50.0 and result.breach is Condition.FALSE


def test_current_state_kpis_have_no_window_and_rule_labels_win() -> None:
    ev = RuleEvaluator(
        Rule.model_validate(
            {
                "name": "Waiting",
                "kpi": "calls_waiting",
                "op": ">=",
                "threshold": 9,
                "recovery_threshold": 5,
                "labels": {"team": "voice"},
                "receivers": ["h"],
            }
        )
    )
    [result] = ev.evaluate(SNAPSHOT)
    assert result.labels["team"] == "voice"
    assert result.breach is Condition.TRUE and result.holding is Condition.TRUE


def test_fingerprint_is_alertmanagers() -> None:
    # the same value Alertmanager 0.25 reports for these labels (see test_alertmanager)
    labels = {"alertname": "AbandonRateHigh", "queue": "billing", "severity": "critical"}
    assert fingerprint(labels) == "4e5519c6e0862ef9"
    assert fingerprint(dict(reversed(labels.items()))) == "4e5519c6e0862ef9"
