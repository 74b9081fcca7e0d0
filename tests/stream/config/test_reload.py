"""Which parts of a reloaded config apply live, which wait for a restart, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from stream.config.errors import ConfigInvalidError
from stream.config.reload import plan_reload
from stream.config.root import Config

RULE = {
    "name": "AbandonRateHigh",
    "kpi": "abandon_rate",
    "window": "15m",
    "op": ">",
    "threshold": 0.1,
    "severity": "critical",
    "receivers": ["hook"],
}
BASE: dict[str, Any] = {
    "windows": ["15m", "1h"],
    "receivers": [{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/h"}],
    "rules": [RULE],
}


def config(**changes: Any) -> Config:
    return Config.model_validate({**BASE, **changes})


@pytest.mark.parametrize(
    ("changes", "restart"),
    [
        ({}, ()),
        ({"rules": [{**RULE, "threshold": 0.2}]}, ()),
        (
            {
                "inhibit_rules": [
                    {"source": {"severity": "critical"}, "target": {"severity": "warning"}}
                ]
            },
            (),
        ),
        ({"http": {"auth_token": "t0ken"}}, ()),
        ({"windows": ["15m", "1h", "24h"]}, ("windows",)),
        ({"kpis": {"short_abandon": "10s"}}, ("kpis",)),
        ({"timezone": "Europe/Paris", "replay_threshold": "1h"}, ("timezone", "replay_threshold")),
        ({"kafka": {"bootstrap_servers": "k:9092"}}, ("kafka",)),
        ({"http": {"port": 9100}}, ("http.port",)),
        (
            {
                "sla_policies": [
                    {"name": "all", "first_response": "1h", "resolution": "1d", "at_risk": "10m"}
                ]
            },
            ("sla_policies",),
        ),
    ],
)
def test_what_applies_live_and_what_needs_a_restart(
    changes: dict[str, Any], restart: tuple[str, ...]
) -> None:
    running, new = config(), config(**changes)
    plan = plan_reload(running, new)
    assert plan.restart_required == restart
    assert plan.config.rules == new.rules
    assert plan.config.inhibit_rules == new.inhibit_rules
    assert plan.config.http.auth_token == new.http.auth_token
    for section in ("windows", "kpis", "kafka", "timezone", "sla_policies"):
        assert getattr(plan.config, section) == getattr(running, section)
    assert plan.config.http.port == running.http.port


def test_a_rule_on_a_window_the_worker_does_not_compute_is_refused() -> None:
    new = config(
        windows=["15m", "1h", "5m"], rules=[RULE, {**RULE, "name": "Fast", "window": "5m"}]
    )
    with pytest.raises(ConfigInvalidError) as exc:
        plan_reload(config(), new, "kpiwatch.yaml")
    assert str(exc.value) == (
        "kpiwatch.yaml: rules[1].window: window '5m' is not computed by the running worker "
        "(running: 15m, 1h); windows change on restart"
    )
