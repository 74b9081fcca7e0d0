"""The alert store: the change feed, the notification log (dedup) and restore."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from alerts.config import Rule
from alerts.lifecycle import AlertState, NotifyEntry
from alerts.notification import Notification
from alerts.store import AlertStore, told_firing

from .conftest import T0, FakeClock
from .helpers import notification, view

RULE = Rule.model_validate(
    {"name": "R", "kpi": "abandon_rate", "window": "15m", "op": ">", "threshold": 0.05,
     "receivers": ["hook"], "repeat_interval": "10m"}
)  # fmt: skip
FP = "0123456789abcdef"  # the fingerprint of helpers.view()


class _Notifier:
    """A receiver as the store sees it: a name, send_resolved and its repeat cadence."""

    def __init__(self, name: str = "hook", send_resolved: bool = True) -> None:
        self.name, self.send_resolved = name, send_resolved

    def repeat_interval(self, rule_repeat: timedelta) -> timedelta:
        return rule_repeat

    async def send(self, n: Notification) -> Any:  # never called by the store
        raise NotImplementedError


def state(st: str = "firing", **kw: Any) -> AlertState:
    base = AlertState(FP, "R", {"alertname": "R", "queue": "billing"}, st, T0, value=0.1)  # type: ignore[arg-type]
    return replace(base, **kw)


def store(clock: FakeClock | None = None, rules: dict[str, Rule] | None = None) -> AlertStore:
    known = {"R": RULE} if rules is None else rules
    return AlertStore(clock or FakeClock(), known.get)


CHANGES = [
    ("new state", None, state(), True),
    ("same state, new value", state(), state(value=0.2, last_seen=T0 + timedelta(1)), False),
    ("state change", state("pending"), state("firing"), True),
    ("notification logged", state(), state(notified={"hook": NotifyEntry("firing", T0)}), True),
    ("deleted", state(), None, True),
    ("deleting nothing", None, None, False),
]


@pytest.mark.parametrize(
    ("case", "before", "after", "changed"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_only_persisted_fields_enter_the_change_feed(
    case: str, before: AlertState | None, after: AlertState | None, changed: bool
) -> None:
    s = store()
    if before is not None:
        s.put(FP, before)
        s.take_changes()
    s.put(FP, after)
    want = {FP: None if after is None else after.to_dict()} if changed else {}
    assert s.take_changes() == want
    assert s.take_changes() == {}


def test_firing_labels_and_iteration() -> None:
    s = store()
    s.put("a", replace(state(), fingerprint="a"))
    s.put("b", replace(state("pending"), fingerprint="b"))
    assert s.firing_labels() == {"a": {"alertname": "R", "queue": "billing"}}
    assert sorted(x.fingerprint for x in s) == ["a", "b"] and len(s) == 2
    assert s.get("c") is None


TOLD = {"hook": NotifyEntry("firing", T0)}
DUE = [
    ("never told", state(), _Notifier(), 0, True),
    ("told, within repeat", state(notified=TOLD), _Notifier(), 599, False),
    ("told, repeat due", state(notified=TOLD), _Notifier(), 600, True),
    ("resolved, told firing", state("resolved", notified=TOLD), _Notifier(), 0, True),
    ("resolved, no send_resolved", state("resolved", notified=TOLD),
     _Notifier(send_resolved=False), 0, False),
    ("resolved, never told", state("resolved"), _Notifier(), 0, False),
    ("pending", state("pending"), _Notifier(), 0, False),
]  # fmt: skip


@pytest.mark.parametrize(("case", "st", "notifier", "after", "due"), DUE, ids=[c[0] for c in DUE])
def test_due_follows_the_notification_log(
    case: str, st: AlertState, notifier: _Notifier, after: int, due: bool
) -> None:
    clock = FakeClock()
    s = store(clock)
    s.put(FP, st)
    clock.advance(after)
    assert (
        s.due(
            notification(view(status="resolved" if st.state == "resolved" else "firing")), notifier
        )
        is due
    )


def test_nothing_is_due_for_an_unknown_alert_or_rule() -> None:
    s = store(rules={})
    s.put(FP, state())
    assert s.due(notification(), _Notifier()) is False
    assert store().due(notification(), _Notifier()) is False


def test_record_logs_each_alert_and_calls_back() -> None:
    calls: list[int] = []
    s = AlertStore(FakeClock(), {"R": RULE}.get, on_record=lambda: calls.append(1))
    s.put(FP, state())
    s.record(notification(), "hook", T0)
    got = s.get(FP)
    assert got is not None and got.notified == {"hook": NotifyEntry("firing", T0)}
    assert told_firing(got, "hook") and not told_firing(got, "other")
    assert calls == [1]


def test_restore_replaces_state_and_skips_malformed(caplog: pytest.LogCaptureFixture) -> None:
    s = store()
    s.put("old", replace(state(), fingerprint="old"))
    good = state().to_dict()
    s.restore([good, {"fingerprint": "x"}])
    assert [x.fingerprint for x in s] == [FP]
    assert s.take_changes() == {}  # restored state is already persisted
    assert "skipping persisted alert state" in caplog.text
    assert s.state_dicts() == {FP: good}
