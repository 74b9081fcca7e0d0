"""Synthetic contact-centre traffic: calls, tickets, surveys and agent states (pure, seeded).

    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    model = TrafficModel(seed=7, start=start, rate=2.0, incident=Incident())
    for record in model.events_until(start + timedelta(minutes=5)):
        produce(topics[record.stream], key=record.key, value=record.value)

Contacts (60 % calls, 40 % tickets) arrive as a Poisson process; each contact's whole
life is drawn when it arrives and queued on a heap, so `events_until` only pops. The
same seed gives the same records however the time range is chunked. During an
`Incident` the queue gets a surge of contacts (many urgent tickets), callers wait far
longer than their patience, and no agent replies to its tickets until it is over.
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

DEFAULT_QUEUES: Mapping[str, float] = {
    "billing": 0.30,
    "tech-support": 0.35,
    "sales": 0.20,
    "refunds": 0.15,
}
CHANNELS = {"email": 0.35, "chat": 0.25, "web": 0.15, "phone": 0.10, "social": 0.10, "api": 0.05}
PRIORITIES = {"low": 0.20, "normal": 0.55, "high": 0.20, "urgent": 0.05}
FIRST_REPLY_MEDIAN = {"urgent": 300.0, "high": 900.0, "normal": 1800.0, "low": 3600.0}
SCORES = {  # weights of each score, lowest score first
    "csat": (1, (0.06, 0.06, 0.12, 0.30, 0.46)),
    "nps": (0, (0.03, 0.02, 0.02, 0.03, 0.04, 0.06, 0.08, 0.12, 0.20, 0.20, 0.20)),
    "ces": (1, (0.04, 0.04, 0.07, 0.10, 0.20, 0.30, 0.25)),
}
TAGS = ("vip", "invoice", "login", "refund", "bug")
SURVEY_KINDS = {"csat": 0.6, "nps": 0.3, "ces": 0.1}
AGENT_NEXT = {  # status → (next statuses and weights, median dwell seconds)
    "available": ({"busy": 0.85, "away": 0.15}, 40.0),
    "busy": ({"after_call_work": 0.9, "available": 0.1}, 240.0),
    "after_call_work": ({"available": 1.0}, 60.0),
    "away": ({"available": 0.9, "offline": 0.1}, 300.0),
    "offline": ({"available": 1.0}, 1200.0),
}
CALL_SHARE = 0.6
# healthy: ~85 % answered within 20 s, ~1 % abandons; in an incident ~40 % abandon
WAIT_MEDIAN, INCIDENT_WAIT_MEDIAN, PATIENCE_MEDIAN = 8.0, 90.0, 110.0


@dataclass(frozen=True)
class Incident:
    """An outage in one queue: a surge of contacts nobody can serve quickly.

    Incident(queue="billing", start_after=timedelta(minutes=5), duration=timedelta(minutes=20))
    """

    queue: str = "billing"
    start_after: timedelta = timedelta(minutes=5)
    duration: timedelta = timedelta(minutes=20)
    surge: float = 2.0  # arrival multiplier for the queue
    min_extra_rate: float = 3 / 60  # extra contacts/s at least, so a slow demo still pages
    urgent_share: float = 0.3  # of the queue's new tickets during the incident


@dataclass(frozen=True)
class Record:
    """One event to produce: logical stream, record key (entity id), JSON object."""

    stream: str
    key: str
    value: dict[str, Any]


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


class _Script:
    """Events of one entity, kept strictly increasing in time (≥ 1 s apart)."""

    def __init__(self, model: TrafficModel, stream: str, id_field: str, key: str) -> None:
        self.model, self.stream, self.id_field, self.key = model, stream, id_field, key
        self.last = -math.inf

    def emit(self, t: float, type_: str, **fields: Any) -> float:
        t = round(max(t, self.last + 1.0), 3)
        self.last = t
        self.model._push_event(t, self, type_, {self.id_field: self.key, **fields})
        return t


_Action = Callable[[float], None]


class TrafficModel:
    """Seeded generator of contact-centre events; `rate` is new contacts per second.

    model = TrafficModel(seed=1, start=datetime.now(UTC), rate=1.5)
    records = model.events_until(datetime.now(UTC))
    """

    def __init__(
        self,
        *,
        seed: int,
        start: datetime,
        rate: float,
        queues: Mapping[str, float] = DEFAULT_QUEUES,
        incident: Incident | None = None,
        agents_per_queue: int = 6,
        ticket_pace: float = 1.0,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if rate <= 0 or agents_per_queue < 1 or ticket_pace <= 0:
            raise ValueError("rate and ticket_pace must be > 0 and agents_per_queue >= 1")
        self.ticket_pace = ticket_pace  # scales ticket handling times (0.1: ten times faster)
        if incident is not None and incident.queue not in queues:
            raise ValueError(f"incident queue {incident.queue!r} is not one of {list(queues)}")
        self.start, self.rate, self.queues, self.incident = start, rate, dict(queues), incident
        self._tz: tzinfo = start.tzinfo
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, Record | _Action]] = []
        self._seq = 0
        self._agents_per_queue = agents_per_queue
        t0 = start.timestamp()
        self._window = (math.inf, math.inf)
        if incident is not None:
            begin = t0 + incident.start_after.total_seconds()
            self._window = (begin, begin + incident.duration.total_seconds())
            share = self.queues[incident.queue] / sum(self.queues.values())
            extra = max(rate * share * (incident.surge - 1.0), incident.min_extra_rate)
            self._push(begin, lambda t: self._incident_arrival(t, extra))
        self._push(t0 + self._rng.expovariate(rate), self._arrival)
        for queue in self.queues:
            for n in range(agents_per_queue):
                agent = _Script(self, "agents", "agent_id", f"agent-{queue}-{n + 1:02d}")
                self._push(t0 + self._rng.uniform(0, 5), self._agent_action(agent, queue))

    @property
    def incident_window(self) -> tuple[datetime, datetime] | None:
        """Return the incident's start and end, if there is one."""
        if self.incident is None:
            return None
        begin, end = (datetime.fromtimestamp(t, self._tz) for t in self._window)
        return begin, end

    def events_until(self, t: datetime) -> list[Record]:
        """Return all events with occurred_at <= t not yet returned, in time order."""
        until, heap, out = t.timestamp(), self._heap, []
        while heap and heap[0][0] <= until:
            ts, _, item = heapq.heappop(heap)
            if isinstance(item, Record):
                out.append(item)
            else:
                item(ts)
        return out

    def _push(self, ts: float, item: Record | _Action) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (ts, self._seq, item))

    def _push_event(self, ts: float, script: _Script, type_: str, fields: dict[str, Any]) -> None:
        event_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        stamp = datetime.fromtimestamp(ts, self._tz).isoformat(timespec="milliseconds")
        value = {"type": type_, "event_id": event_id, "occurred_at": stamp, **fields}
        self._push(ts, Record(script.stream, script.key, value))

    def _arrival(self, t: float) -> None:
        self._contact(t, _pick(self._rng, self.queues))
        self._push(t + self._rng.expovariate(self.rate), self._arrival)

    def _incident_arrival(self, t: float, extra_rate: float) -> None:
        assert self.incident is not None
        self._contact(t, self.incident.queue)
        nxt = t + self._rng.expovariate(extra_rate)
        if nxt < self._window[1]:
            self._push(nxt, lambda t: self._incident_arrival(t, extra_rate))

    def _ln(self, median: float, sigma: float) -> float:
        return self._rng.lognormvariate(math.log(median), sigma)

    def _tln(self, median: float, sigma: float) -> float:
        """Draw a ticket handling time (scaled by `ticket_pace`)."""
        return self._ln(median * self.ticket_pace, sigma)

    def _hit(self, queue: str, t: float) -> bool:
        return (
            self.incident is not None
            and queue == self.incident.queue
            and (self._window[0] <= t < self._window[1])
        )

    def _agent_free(self, queue: str, t: float) -> float:
        """Delay agent work that falls inside the incident until after it."""
        return self._window[1] + self._ln(600, 0.6) if self._hit(queue, t) else t

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{self._rng.getrandbits(48):012x}"

    def _customer(self) -> str:
        return f"cus-{self._rng.randrange(100_000):05d}"

    def _agent(self, queue: str) -> str:
        return f"agent-{queue}-{self._rng.randrange(self._agents_per_queue) + 1:02d}"

    def _contact(self, t: float, queue: str) -> None:
        if self._rng.random() < CALL_SHARE:
            self._call(t, queue)
        else:
            self._ticket(t, queue)

    def _call(self, t: float, queue: str) -> None:
        rng, hit = self._rng, self._hit(queue, t)
        call = _Script(self, "calls", "call_id", self._new_id("call"))
        t = call.emit(t, "call.queued", queue=queue, customer_id=self._customer())
        wait = self._ln(INCIDENT_WAIT_MEDIAN if hit else WAIT_MEDIAN, 0.8)
        patience = self._ln(PATIENCE_MEDIAN, 0.8)
        if patience < wait:
            call.emit(t + patience, "call.abandoned")
            return
        t = call.emit(t + wait, "call.answered", agent_id=self._agent(queue))
        hold = round(self._ln(30, 0.7), 1) if rng.random() < 0.25 else 0.0
        t = call.emit(t + self._ln(240, 0.5) + hold, "call.ended", hold_seconds=hold)
        call.emit(t + rng.uniform(30, 90), "call.wrapup_completed")
        if rng.random() < 0.2:
            self._survey(call, t + rng.uniform(20, 120), queue, unhappy=hit)

    def _ticket(self, t: float, queue: str) -> None:
        rng, hit = self._rng, self._hit(queue, t)
        ticket = _Script(self, "tickets", "ticket_id", self._new_id("tkt"))
        urgent = hit and self.incident is not None and rng.random() < self.incident.urgent_share
        priority = "urgent" if urgent else _pick(rng, PRIORITIES)
        tags = [rng.choice(TAGS)] if rng.random() < 0.3 else []
        channel, customer = _pick(rng, CHANNELS), self._customer()
        created = ticket.emit(
            t, "ticket.created", queue=queue, channel=channel, priority=priority,
            customer_id=customer, tags=tags,
        )  # fmt: skip
        t = ticket.emit(
            created + self._tln(120, 0.8), "ticket.assigned", agent_id=self._agent(queue)
        )
        t = ticket.emit(t, "ticket.status_changed", status="open")
        if priority in ("low", "normal") and rng.random() < 0.04:
            t = ticket.emit(t + self._tln(300, 0.8), "ticket.updated", priority="high")
        first = created + self._tln(FIRST_REPLY_MEDIAN[priority], 0.8)
        t = self._agent_reply(ticket, queue, max(t, first))
        if rng.random() < 0.04:
            t = ticket.emit(t + self._tln(300, 0.8), "ticket.escalated", level=2)
        self._resolve(ticket, queue, self._conversation(ticket, queue, t), unhappy=hit)

    def _agent_reply(self, ticket: _Script, queue: str, t: float) -> float:
        return ticket.emit(self._agent_free(queue, t), "ticket.replied", author="agent")

    def _resolve(self, ticket: _Script, queue: str, t: float, *, unhappy: bool) -> None:
        """Solve the ticket, maybe survey it, sometimes reopen it and solve it again."""
        rng = self._rng
        t = self._agent_free(queue, t + self._tln(1200, 1.0))
        t = ticket.emit(t, "ticket.status_changed", status="solved")
        if rng.random() < 0.25:
            self._survey(ticket, t + self._tln(600, 1.0), queue, unhappy=unhappy)
        if rng.random() < 0.06:
            t = ticket.emit(t + self._tln(1800, 1.0), "ticket.replied", author="customer")
            t = ticket.emit(t, "ticket.status_changed", status="open")
            t = self._agent_reply(ticket, queue, t + self._tln(900, 0.8))
            ticket.emit(t + self._tln(600, 1.0), "ticket.status_changed", status="solved")

    def _conversation(self, ticket: _Script, queue: str, t: float) -> float:
        """Emit zero to three customer/agent exchanges; return the last event time."""
        rng = self._rng
        for _ in range(3):
            if rng.random() >= 0.35:
                break
            pending = rng.random() < 0.5
            if pending:
                t = ticket.emit(t, "ticket.status_changed", status="pending")
            t = ticket.emit(t + self._tln(900, 1.0), "ticket.replied", author="customer")
            if pending:
                t = ticket.emit(t, "ticket.status_changed", status="open")
            t = self._agent_reply(ticket, queue, t + self._tln(900, 0.8))
        return t

    def _survey(self, entity: _Script, t: float, queue: str, *, unhappy: bool) -> None:
        kind = _pick(self._rng, SURVEY_KINDS)
        low, weights = SCORES[kind]
        if unhappy:  # contacts caught in the incident rate it badly
            weights = weights[::-1]
        score = self._rng.choices(range(low, low + len(weights)), weights)[0]
        entity.emit(t, "survey.responded", survey=kind, score=score, queue=queue)

    def _agent_action(self, agent: _Script, queue: str, status: str = "available") -> _Action:
        def act(t: float) -> None:
            t = agent.emit(t, "agent.status_changed", status=status, queues=[queue])
            choices, dwell = AGENT_NEXT[status]
            if status == "available" and self._hit(queue, t):  # nobody idles in an incident
                choices = {"busy": 1.0}
            nxt = _pick(self._rng, choices)
            self._push(t + self._ln(dwell, 0.6), self._agent_action(agent, queue, nxt))

        return act
