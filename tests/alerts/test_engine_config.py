"""The receiver workers: rebuilt on reload only for receivers whose config changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import TypeAdapter

from alerts.config import Receiver, Rule
from alerts.engine_config import ReceiverSet
from alerts.metrics import NotifyMetrics
from alerts.notification import Notification
from alerts.pipeline import DeadLetter

from .conftest import FakeClock
from .helpers import notification

ADAPTER: TypeAdapter[Receiver] = TypeAdapter(Receiver)


def receiver(name: str, **kw: Any) -> Receiver:
    return ADAPTER.validate_python(
        {"type": "webhook", "name": name, "url": "http://127.0.0.1:9/x", **kw}
    )


class _Ledger:
    def due(self, notification: Notification, notifier: Any) -> bool:
        return True

    def record(self, notification: Notification, receiver: str, at: Any) -> None:
        pass


async def _dead(letter: DeadLetter) -> None:
    pass


@pytest.fixture
async def receivers() -> AsyncIterator[ReceiverSet]:
    async with httpx.AsyncClient() as client:
        rs = ReceiverSet(client, NotifyMetrics(CollectorRegistry()), _dead, FakeClock(), _Ledger())
        yield rs
        await rs.stop()


RELOADS = [
    ("unchanged", [receiver("a")], {"a": "same"}),
    ("changed", [receiver("a", max_attempts=2)], {"a": "new"}),
    ("removed", [], {}),
    ("added", [receiver("a"), receiver("b")], {"a": "same", "b": "new"}),
]


@pytest.mark.parametrize(("case", "new", "want"), RELOADS, ids=[r[0] for r in RELOADS])
async def test_configure_keeps_unchanged_workers(
    receivers: ReceiverSet, case: str, new: list[Receiver], want: dict[str, str]
) -> None:
    receivers.configure([receiver("a")])
    before = receivers.worker("a")
    retired = receivers.configure(new)
    got = {n: "same" if receivers.worker(n) is before else "new" for n in receivers.queues()}
    assert got == want
    assert retired == ([] if want.get("a") == "same" else [before])


async def test_rules_route_to_known_receivers_only(receivers: ReceiverSet) -> None:
    receivers.configure([receiver("a"), receiver("b")])
    rule = Rule.model_validate(
        {"name": "R", "kpi": "abandon_rate", "window": "15m", "op": ">", "threshold": 0.05,
         "receivers": ["b", "gone", "a"]}
    )  # fmt: skip
    assert [n.name for n in receivers.for_rule(rule)] == ["b", "a"]


async def test_submit_queues_for_its_receiver(receivers: ReceiverSet) -> None:
    receivers.configure([receiver("hook")])
    assert receivers.submit(notification(receiver="hook")) is True
    assert receivers.submit(notification(receiver="nobody")) is False
    assert receivers.queues() == {"hook": 1}
