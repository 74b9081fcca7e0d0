from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from alerts.config import (
    AlertmanagerReceiver,
    InhibitRule,
    Receiver,
    Rule,
    Silence,
    SlackReceiver,
    WebhookReceiver,
)

RULE = {
    "name": "AbandonRateHigh",
    "kpi": "abandon_rate",
    "window": "15m",
    "match": {"queue": "billing|refunds"},
    "op": ">",
    "threshold": 0.05,
    "recovery_threshold": 0.04,
    "for": "2m",
    "min_samples": 20,
    "severity": "critical",
    "annotations": {"summary": "Abandon rate {{ value | percent }} on {{ queue }}"},
    "receivers": ["oncall-slack"],
}


def test_rule_defaults_and_alias() -> None:
    rule = Rule.model_validate(RULE)
    assert rule.for_ == timedelta(minutes=2)
    assert rule.keep_firing_for == timedelta(0)
    assert rule.repeat_interval == timedelta(hours=4)
    assert rule.group_by == ["alertname", "queue"]
    assert rule.group_wait == timedelta(seconds=30)
    assert rule.group_interval == timedelta(minutes=5)
    assert rule.recovery == 0.04
    assert rule.model_dump(mode="json", by_alias=True)["for"] == "2m"


def _error(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recovery_threshold": 0.06}, "recovery_threshold 0.06 must be <= threshold 0.05"),
        ({"op": "<", "recovery_threshold": 0.04}, "must be >= threshold 0.05"),
        ({"match": {"queue": "(billing"}}, "invalid regex"),
        ({"for": "2 minutes"}, "'2 minutes' is not a duration; expected e.g. '30s'"),
        ({"receivers": []}, "at least 1 item"),
        ({"op": "=="}, "Input should be '>', '>=', '<' or '<='"),
        ({"stat": "p99"}, "Input should be 'mean', 'p50' or 'p90'"),
        ({"labels": {"severity": "x"}}, "cannot be overridden"),
        ({"annotations": {"summary": "{{ value | pct }}"}}, "unknown filter 'pct'"),
        ({"unknown": 1}, "Extra inputs are not permitted"),
        ({"repeat_interval": "0s"}, "must be greater than 0s"),
    ],
)
def test_bad_rules_name_the_problem(change: dict[str, Any], message: str) -> None:
    assert message in _error(Rule, {**RULE, **change})


def test_receivers_discriminate_on_type_and_hide_secrets() -> None:
    adapter: TypeAdapter[Receiver] = TypeAdapter(Receiver)
    hook = adapter.validate_python(
        {
            "type": "webhook",
            "name": "ops",
            "url": "https://hooks.example.com/kpi?token=s3cret",
            "hmac_secret": "k",
            "headers": {"Authorization": "Bearer t0ken"},
        }
    )
    slack = adapter.validate_python({"type": "slack", "name": "s", "url": "https://x.example"})
    am = adapter.validate_python({"type": "alertmanager", "name": "am", "url": "http://am:9093"})
    assert isinstance(hook, WebhookReceiver) and hook.send_resolved
    assert isinstance(slack, SlackReceiver) and not slack.send_resolved
    assert isinstance(am, AlertmanagerReceiver) and am.send_resolved
    assert hook.timeout == timedelta(seconds=10)
    for secret in ("s3cret", "t0ken"):
        assert secret not in repr(hook) and secret not in hook.model_dump_json()


def test_bad_receiver_url_does_not_echo_it() -> None:
    message = _error(WebhookReceiver, {"type": "webhook", "name": "x", "url": "ftp://tok3n"})
    assert "http:// or https://" in message
    assert "tok3n" not in message


def test_silence_and_inhibit_rule() -> None:
    silence = Silence.model_validate(
        {
            "matchers": {"queue": "billing"},
            "starts_at": "2026-03-02T09:00:00+01:00",
            "ends_at": "2026-03-02T10:00:00+01:00",
            "created_by": "ana",
            "comment": "maintenance",
        }
    )
    assert silence.id is None
    bad = {**silence.model_dump(mode="json"), "ends_at": "2026-03-02T08:00:00+01:00"}
    assert "ends_at must be after starts_at" in _error(Silence, bad)
    empty = {**silence.model_dump(mode="json"), "matchers": {"queue": ".*"}}
    assert "must not match the empty string" in _error(Silence, empty)
    naive = {**silence.model_dump(mode="json"), "ends_at": "2026-03-02T10:00:00"}
    assert "UTC offset" in _error(Silence, naive)
    rule = InhibitRule.model_validate(
        {"source": {"severity": "critical"}, "target": {"severity": "warning"}, "equal": ["queue"]}
    )
    assert rule.equal == ["queue"]
    assert "at least 1 item" in _error(InhibitRule, {"source": {}, "target": {"a": "b"}})
