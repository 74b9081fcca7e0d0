"""Drive the two pure stages with plain event dicts and read KPI samples back.

h = Harness()
h.send(call("c1", "call.queued", 0, queue="billing"))
h.value("abandon_rate", queue="billing", window="15m", now=T0 + 60)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from alerts.snapshot import KpiSample
from stream.entities.agents import AgentKind
from stream.entities.calls import CallKind
from stream.entities.tickets import TicketKind
from stream.events.decoding import Rejection, decode
from stream.kpis.params import KpiParams
from stream.kpis.windows import RollingWindow, SlidingWindow, TodayWindow
from stream.pipeline.stages import EntityStage, QueueStage
from stream.sla.policy import SlaPolicy

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp()  # Monday 09:00 UTC
Ev = dict[str, Any]


def _event(kind: str, id_: str, type_: str, t: float, eid: str | None, **f: Any) -> Ev:
    at = datetime.fromtimestamp(T0 + t, UTC).isoformat()
    return {
        kind: id_,
        "type": type_,
        "occurred_at": at,
        "event_id": eid or f"{id_}:{type_}:{t}",
        **f,
    }


def ticket(id_: str, type_: str, t: float, eid: str | None = None, **f: Any) -> Ev:
    """Return a ticket event `t` seconds after T0."""
    return _event("ticket_id", id_, type_, t, eid, **f)


def call(id_: str, type_: str, t: float, eid: str | None = None, **f: Any) -> Ev:
    """Return a call event `t` seconds after T0."""
    return _event("call_id", id_, type_, t, eid, **f)


def agent(id_: str, status: str, t: float, queues: Sequence[str] = ("q",)) -> Ev:
    """Return an agent status event `t` seconds after T0."""
    return _event(
        "agent_id", id_, "agent.status_changed", t, None, status=status, queues=list(queues)
    )


def windows() -> dict[str, RollingWindow]:
    """Return the default windows, `today` in Europe/Paris."""
    return {
        "15m": SlidingWindow(900.0),
        "1h": SlidingWindow(3600.0),
        "24h": SlidingWindow(86400.0),
        "today": TodayWindow("Europe/Paris"),
    }


def _stream(ev: Ev) -> str:
    if "ticket_id" in ev:
        return "tickets"
    return "calls" if "call_id" in ev else "agents"


class Harness:
    """Entity stages and one queue stage, all on partition 0."""

    def __init__(
        self,
        policies: Sequence[SlaPolicy] = (),
        opts: KpiParams | None = None,
        wrapup_timeout: float = 600.0,
    ) -> None:
        self.entity = {
            "tickets": EntityStage(TicketKind(policies)),
            "calls": EntityStage(CallKind(wrapup_timeout)),
            "agents": EntityStage(AgentKind()),
        }
        self.queues = QueueStage(windows, opts or KpiParams())

    def send(self, *events: Ev) -> None:
        """Apply events in the given order through both stages."""
        for ev in events:
            decoded = decode(orjson.dumps(ev), _stream(ev))
            assert not isinstance(decoded, Rejection), decoded
            views = self.entity[_stream(ev)].apply(0, decoded)
            for view in views or ():
                self.queues.apply(0, view.encode())

    def replay(self, *events: Ev) -> None:
        """Apply events in event-time order (stable for ties)."""
        self.send(*sorted(events, key=lambda ev: str(ev["occurred_at"])))

    def samples(self, now: float) -> list[KpiSample]:
        """Return every sample as of `now` (seconds after T0)."""
        return self.queues.samples(lambda _q, _top: T0 + now)

    def sample(self, kpi: str, now: float, **labels: str) -> KpiSample:
        """Return the one sample of `kpi` whose labels include `labels`."""
        found = [
            s
            for s in self.samples(now)
            if s.kpi == kpi and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        assert len(found) == 1, (kpi, labels, found)
        return found[0]

    def value(self, kpi: str, now: float, **labels: str) -> tuple[float | None, int | None]:
        """Return (value, samples) of one KPI sample."""
        s = self.sample(kpi, now, **labels)
        return s.value, s.samples


def table(samples: Iterable[KpiSample]) -> dict[tuple[str, tuple[tuple[str, str], ...]], Any]:
    """Return samples keyed by KPI and sorted labels, values rounded for comparison."""
    return {
        (s.kpi, tuple(sorted(s.labels.items()))): (
            None if s.value is None else round(s.value, 6),
            s.samples,
        )
        for s in samples
    }
