"""The engine end to end: fake clock, real HTTP sink on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import TypeAdapter

from alerts.config import InhibitRule, Receiver, Rule, Silence
from alerts.engine import AlertEngine
from alerts.pipeline import DeadLetter
from alerts.snapshot import KpiSample, KpiSnapshot

from .conftest import FakeClock, Sink


def rule(**kw: Any) -> Rule:
    base: dict[str, Any] = {
        "name": "AbandonRateHigh",
        "kpi": "abandon_rate",
        "window": "15m",
        "op": ">",
        "threshold": 0.05,
        "recovery_threshold": 0.04,
        "severity": "critical",
        "annotations": {"summary": "Abandon rate {{ value | percent }} on {{ queue }}"},
        "receivers": ["hook"],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "10m",
    }
    return Rule.model_validate({**base, **kw})


def hook(sink: Sink, **kw: Any) -> Receiver:
    data = {"type": "webhook", "name": "hook", "url": sink.url + "/hook", "timeout": "1s"}
    return TypeAdapter(Receiver).validate_python({**data, "initial_backoff": "10ms", **kw})


def snap(clock: FakeClock, *values: tuple[str, float], kpi: str = "abandon_rate") -> KpiSnapshot:
    samples = tuple(KpiSample(kpi, {"queue": q, "window": "15m"}, v, 100) for q, v in values)
    return KpiSnapshot(at=clock.now, samples=samples)


class Env:
    def __init__(self, sink: Sink, clock: FakeClock, client: httpx.AsyncClient) -> None:
        self.sink, self.clock, self.client = sink, clock, client
        self.dead: list[DeadLetter] = []
        self.engines: list[AlertEngine] = []

    async def engine(self, rules: list[Rule], receivers: list[Receiver], **kw: Any) -> AlertEngine:
        self.registry = CollectorRegistry()
        engine = AlertEngine(
            rules,
            receivers,
            clock=self.clock,
            client=self.client,
            registry=self.registry,
            dead_letter=self._dead,
            external_url="http://kpiwatch:8000",
            **kw,
        )
        await engine.start()
        self.engines.append(engine)
        return engine

    async def _dead(self, record: DeadLetter) -> None:
        self.dead.append(record)

    async def step(
        self, engine: AlertEngine, *values: tuple[str, float], seconds: float = 60
    ) -> None:
        self.clock.advance(seconds)
        engine.evaluate(snap(self.clock, *values))
        await engine.drain()

    def statuses(self) -> list[str]:
        return [r.json()["status"] for r in self.sink.received]


@pytest.fixture
async def env(sink: Sink, clock: FakeClock) -> AsyncIterator[Env]:
    async with httpx.AsyncClient() as client:
        e = Env(sink, clock, client)
        yield e
        for engine in e.engines:
            await engine.stop()


FLAPPING = [0.03, 0.06, 0.045, 0.055, 0.041, 0.051, 0.046, 0.039, 0.045, 0.049, 0.03]


async def test_flapping_sends_one_firing_and_one_resolved(env: Env) -> None:
    engine = await env.engine([rule()], [hook(env.sink)])
    for value in FLAPPING:
        await env.step(engine, ("billing", value))
    assert env.statuses() == ["firing", "resolved"]
    firing, resolved = (r.json() for r in env.sink.received)
    assert firing["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert firing["commonAnnotations"]["summary"] == "Abandon rate 6% on billing"
    assert firing["groupLabels"] == {"alertname": "AbandonRateHigh", "queue": "billing"}
    assert resolved["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"
    assert resolved["alerts"][0]["fingerprint"] == firing["alerts"][0]["fingerprint"]
    assert (
        env.registry.get_sample_value(
            "kpiwatch_alerts", {"rule": "AbandonRateHigh", "state": "firing"}
        )
        == 0.0
    )


async def test_group_wait_batches_queues_of_one_group(env: Env) -> None:
    r = rule(group_by=["alertname"], group_wait="2m")
    engine = await env.engine([r], [hook(env.sink)])
    await env.step(engine, ("billing", 0.1))
    await env.step(engine, ("billing", 0.1), ("refunds", 0.2))
    assert env.sink.received == []
    await env.step(engine, ("billing", 0.1), ("refunds", 0.2))
    [req] = env.sink.received
    assert {a["labels"]["queue"] for a in req.json()["alerts"]} == {"billing", "refunds"}


async def test_restart_neither_resends_nor_drops(env: Env) -> None:
    engine = await env.engine([rule()], [hook(env.sink)])
    await env.step(engine, ("billing", 0.1))
    assert env.statuses() == ["firing"]
    saved = list(engine.take_changes().values())
    await engine.stop()

    restarted = await env.engine([rule()], [hook(env.sink)])
    restarted.restore(s for s in saved if s is not None)
    await env.step(restarted, ("billing", 0.1))
    assert env.statuses() == ["firing"]  # not re-sent
    await env.step(restarted, ("billing", 0.1), seconds=600)
    assert env.statuses() == ["firing", "firing"]  # repeat_interval elapsed


async def test_a_rebalance_pauses_notifications_until_state_is_restored(env: Env) -> None:
    engine = await env.engine([rule()], [hook(env.sink)])
    await env.step(engine, ("billing", 0.1))
    assert env.statuses() == ["firing"]
    saved = engine.state_dicts()
    engine.pause()  # partitions revoked: billing may now belong to another worker
    await env.step(engine, ("billing", 0.1), seconds=900)  # a repeat would be due
    engine.tick()
    await engine.drain()
    assert env.statuses() == ["firing"]
    engine.restore(saved.values())  # billing assigned back, its state recovered
    await env.step(engine, ("billing", 0.1))
    assert env.statuses() == ["firing", "firing"]  # the due repeat, once


async def test_a_due_notification_survives_a_restart(env: Env) -> None:
    env.sink.script = [500]
    engine = await env.engine([rule()], [hook(env.sink, max_attempts=1)])
    await env.step(engine, ("billing", 0.1))
    assert [d.reason for d in env.dead] == ["http_5xx"]
    saved = engine.state_dicts()
    await engine.stop()

    restarted = await env.engine([rule()], [hook(env.sink)])
    restarted.restore(saved.values())
    await env.step(restarted, ("billing", 0.1))
    assert env.statuses() == ["firing", "firing"]  # the failed one, then delivered


async def test_inhibition_and_silences(env: Env) -> None:
    critical = rule()
    warning = rule(
        name="AbandonRateRising", severity="warning", threshold=0.03, recovery_threshold=None
    )
    inhibit = InhibitRule.model_validate(
        {"source": {"severity": "critical"}, "target": {"severity": "warning"}, "equal": ["queue"]}
    )
    engine = await env.engine([critical, warning], [hook(env.sink)], inhibit_rules=[inhibit])
    await env.step(engine, ("billing", 0.1), ("refunds", 0.04))
    sent = sorted(
        (r.json()["commonLabels"]["alertname"], r.json()["groupLabels"]["queue"])
        for r in env.sink.received
    )
    assert sent == [("AbandonRateHigh", "billing"), ("AbandonRateRising", "refunds")]
    [muted] = [
        a
        for a in engine.alerts_json()
        if a["rule"] == "AbandonRateRising" and a["labels"]["queue"] == "billing"
    ]
    assert muted["state"] == "firing" and muted["inhibitedBy"]

    sid = engine.add_silence(
        Silence(
            matchers={"queue": "pay.*"},
            ends_at=env.clock.now.replace(year=2027),
            created_by="test",
            comment="maintenance",
        )
    )
    await env.step(engine, ("billing", 0.1), ("refunds", 0.04), ("payments", 0.2))
    assert len(env.sink.received) == 2
    engine.expire_silence(sid)
    await env.step(engine, ("billing", 0.1), ("refunds", 0.04), ("payments", 0.2))
    assert env.sink.received[-1].json()["groupLabels"]["queue"] == "payments"
    assert [s["status"] for s in engine.silences_json()] == ["expired"]


async def test_hot_reload_keeps_state_of_unchanged_rules(env: Env) -> None:
    other = rule(name="AsaHigh", kpi="abandon_rate", threshold=0.5, recovery_threshold=None)
    engine = await env.engine([rule(), other], [hook(env.sink)])
    await env.step(engine, ("billing", 0.9))
    assert env.statuses() == ["firing", "firing"]
    # a threshold change keeps the alert; removing a rule resolves its alerts
    await engine.replace_config([rule(threshold=0.06, recovery_threshold=0.05)], [hook(env.sink)])
    await env.step(engine, ("billing", 0.9))
    assert env.statuses() == ["firing", "firing", "resolved"]
    assert env.sink.received[-1].json()["commonLabels"]["alertname"] == "AsaHigh"
    assert [a["rule"] for a in engine.alerts_json() if a["state"] == "firing"] == [
        "AbandonRateHigh"
    ]


async def test_narrowing_match_on_reload_resolves_the_alerts_it_leaves_out(env: Env) -> None:
    engine = await env.engine([rule()], [hook(env.sink)])
    await env.step(engine, ("billing", 0.1), ("refunds", 0.1))
    assert sorted(env.statuses()) == ["firing", "firing"]
    await engine.replace_config([rule(match={"queue": "billing"})], [hook(env.sink)])
    await env.step(engine, ("billing", 0.1), ("refunds", 0.1))
    last = env.sink.received[-1].json()
    assert (last["status"], last["groupLabels"]["queue"]) == ("resolved", "refunds")
    firing = [a["labels"]["queue"] for a in engine.alerts_json() if a["state"] == "firing"]
    assert firing == ["billing"]


async def test_alerts_json_and_change_feed(env: Env) -> None:
    engine = await env.engine([rule(**{"for": "2m"})], [hook(env.sink)])
    await env.step(engine, ("billing", 0.1))
    [alert] = engine.alerts_json()
    assert alert["state"] == "pending" and alert["value"] == 0.1
    assert alert["annotations"]["summary"] == "Abandon rate 10% on billing"
    changes = engine.take_changes()
    assert list(changes) == [alert["fingerprint"]]
    await env.step(engine, ("billing", 0.1))
    assert engine.take_changes() == {}  # only the value moved: nothing to persist
    await env.step(engine, ("billing", 0.01))
    assert engine.take_changes() == {alert["fingerprint"]: None}


async def test_held_notifications_send_nothing_for_history_and_the_truth_once_released(
    env: Env,
) -> None:
    engine = await env.engine([rule()], [hook(env.sink)])
    engine.hold_notifications(True)  # the worker is catching up on a backlog
    await env.step(engine, ("billing", 0.1), ("refunds", 0.1))
    started = env.clock.now
    await env.step(engine, ("billing", 0.01), ("refunds", 0.1))  # billing over inside the backlog
    assert env.sink.received == []
    engine.hold_notifications(False)
    await env.step(engine, ("billing", 0.01), ("refunds", 0.1))
    [req] = env.sink.received
    [alert] = req.json()["alerts"]
    assert (alert["status"], alert["labels"]["queue"]) == ("firing", "refunds")
    assert alert["startsAt"] == started.isoformat().replace("+00:00", "Z")
