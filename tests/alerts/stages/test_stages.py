"""The engine's stages one at a time: evaluate, group, mute, retention; the rule book."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import TypeAdapter

from alerts.config import InhibitRule, Receiver, Rule
from alerts.engine_config import ReceiverSet
from alerts.grouping import Groups
from alerts.lifecycle import AlertState, NotifyEntry
from alerts.metrics import NotifyMetrics
from alerts.mute import Muter
from alerts.pipeline import DeadLetter
from alerts.rulebook import RuleBook
from alerts.silences import SilenceStore
from alerts.snapshot import KpiSample, KpiSnapshot
from alerts.stages.evaluate import Evaluate
from alerts.stages.group import Group, notifiable
from alerts.stages.mute import Mute
from alerts.stages.retention import Retention
from alerts.store import AlertStore

from ..conftest import T0, FakeClock


def rule(**kw: Any) -> Rule:
    base = {"name": "R", "kpi": "calls_waiting", "op": ">", "threshold": 1.0,
            "receivers": ["hook"], "group_by": ["queue"], "group_wait": "30s"}  # fmt: skip
    return Rule.model_validate({**base, **kw})


def alert(fp: str, st: str = "firing", queue: str = "b", **kw: Any) -> AlertState:
    labels = {"alertname": "R", "queue": queue, "severity": kw.pop("severity", "warning")}
    return replace(AlertState(fp, "R", labels, st, T0), **kw)  # type: ignore[arg-type]


TOLD = {"hook": NotifyEntry("firing", T0)}


@pytest.mark.parametrize(
    ("st", "want"),
    [(alert("a"), True), (alert("a", "pending"), False), (alert("a", "resolved"), False),
     (alert("a", "resolved", notified=TOLD), True),
     (alert("a", "resolved", notified={"hook": NotifyEntry("resolved", T0)}), False)],
)  # fmt: skip
def test_notifiable(st: AlertState, want: bool) -> None:
    assert notifiable(st) is want


def _store(book: RuleBook, *states: AlertState) -> AlertStore:
    store = AlertStore(FakeClock(), book.rule_of)
    for s in states:
        store.put(s.fingerprint, s)
    return store


def test_group_yields_due_groups_with_their_members() -> None:
    book = RuleBook([rule()])
    store = _store(book, alert("a"), alert("b", "pending"), alert("c", "resolved"),
                   alert("d", queue="other", notified=TOLD))  # fmt: skip
    group = Group(book, store, Groups())
    assert list(group.run(T0)) == []  # timers start; group_wait runs
    flushes = {f.timer.labels["queue"]: f for f in group.run(T0 + timedelta(seconds=30))}
    assert sorted(flushes) == ["b", "other"]
    assert [s.fingerprint for s in flushes["b"].members] == ["a", "c"]  # not the pending one
    assert flushes["b"].rule.name == "R"


def test_group_drops_a_group_with_nothing_to_notify() -> None:
    book = RuleBook([rule(group_wait="0s")])
    store = _store(book, alert("a"))
    group = Group(book, store, Groups())
    assert len(list(group.run(T0))) == 1
    store.put("a", alert("a", "resolved"))  # never told: nothing to say
    assert list(group.run(T0 + timedelta(minutes=5))) == []
    assert len(group.groups) == 0


def test_mute_leaves_out_inhibited_members() -> None:
    book = RuleBook([rule(group_wait="0s")])
    source = alert("src", queue="b", severity="critical")
    store = _store(book, alert("a"), alert("x"), source)
    inhibit = InhibitRule(source={"severity": "critical"}, target={"severity": "warning"},
                          equal=["queue"])  # fmt: skip
    [flush] = Group(book, store, Groups()).run(T0)
    muted = Mute(Muter(SilenceStore([]), [inhibit]), store).run(flush, T0)
    assert [s.fingerprint for s in muted.members] == ["a", "x", "src"]
    assert [s.fingerprint for s in muted.unmuted] == ["src"]


def test_evaluate_steps_alerts_and_expires_stale_ones() -> None:
    book = RuleBook([rule(**{"for": "0s"})])
    store = _store(book)
    evaluate = Evaluate(book, store, timedelta(minutes=5))
    evaluate.run(KpiSnapshot(T0, (KpiSample("calls_waiting", {"queue": "b"}, 3.0),)))
    [st] = list(store)
    assert (st.state, st.labels["queue"], st.value) == ("firing", "b", 3.0)
    evaluate.run(KpiSnapshot(T0 + timedelta(minutes=4)))
    assert [s.state for s in store] == ["firing"]  # gone, but not for stale_after yet
    evaluate.run(KpiSnapshot(T0 + timedelta(minutes=5)))
    assert [s.state for s in store] == ["resolved"]


@pytest.fixture
async def receivers() -> AsyncIterator[ReceiverSet]:
    adapter: TypeAdapter[Receiver] = TypeAdapter(Receiver)
    hook = adapter.validate_python({"type": "webhook", "name": "hook", "url": "http://127.0.0.1:9"})

    class Ledger:
        def due(self, *_: Any) -> bool:
            return True

        def record(self, *_: Any) -> None:
            pass

    async def dead(_: DeadLetter) -> None:
        pass

    async with httpx.AsyncClient() as client:
        rs = ReceiverSet(client, NotifyMetrics(CollectorRegistry()), dead, FakeClock(), Ledger())
        rs.configure([hook])
        yield rs


RETENTION = [
    # (resolved how long ago, told the receiver it fires) → kept
    ("fresh", timedelta(minutes=14), {}, True),
    ("past retention", timedelta(minutes=15), {}, False),
    ("told firing, not yet resolved", timedelta(hours=23), TOLD, True),
    ("told firing, a day on", timedelta(days=1), TOLD, False),
]


@pytest.mark.parametrize(("case", "age", "notified", "kept"), RETENTION,
                         ids=[r[0] for r in RETENTION])  # fmt: skip
async def test_retention(
    receivers: ReceiverSet, case: str, age: timedelta, notified: Any, kept: bool
) -> None:
    book = RuleBook([rule()])
    store = _store(book, alert("a", "resolved", resolved_at=T0, notified=notified), alert("b"))
    retention = Retention(book, store, receivers, timedelta(minutes=15))
    retention.run(None)  # before the first snapshot: nothing goes
    assert len(store) == 2
    retention.run(T0 + age)
    assert sorted(s.fingerprint for s in store) == (["a", "b"] if kept else ["b"])


def test_rule_book_retires_and_forgets() -> None:
    book = RuleBook([rule(), rule(name="S", threshold=2.0)])
    changed = book.replace([rule(threshold=5.0), rule(name="T")])  # R's identity unchanged
    assert changed == ["S"]
    assert book.rule_of("S") is not None and "S" not in book.rules  # retired, still known
    assert book.group_interval("gone") == timedelta(minutes=5)
    book.keep_retired(["R"])
    assert book.rule_of("S") is None
    assert book.replace([rule(severity="critical")]) == ["R", "T"]
    assert list(book.evaluators_by_rule()) == ["R"]
