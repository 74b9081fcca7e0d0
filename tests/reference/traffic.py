"""Seeded random traffic for the reference check: every event type and the awkward cases.

    events = generate(seed=3, end=time.time(), hours=2.5, tickets=600, calls=900)
    events[0]   # ("tickets", "rt-3-0", {...JSON body...}) in production order

Duplicates, events of one entity produced out of order, transfers between queues,
priority changes, pending pauses, reopens, private replies, surveys, agents,
short abandons, calls still waiting and tickets still open at the end.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

QUEUES = ("billing", "tech", "sales", "refunds", "vip")
CHANNELS = ("email", "chat", "phone", "web", "social", "api")
PRIORITIES = ("low", "normal", "high", "urgent")
Record = tuple[str, str, dict[str, Any]]  # (stream, key, body)


class _Gen:
    def __init__(self, seed: int, start: float, end: float) -> None:
        self.rng, self.start, self.end = random.Random(seed), start, end
        self.seed = seed
        self.out: list[tuple[float, Record]] = []  # (production time, record)
        self.n = 0

    def emit(self, stream: str, id_field: str, key: str, t: float, type_: str, **f: Any) -> None:
        if t > self.end:
            return  # not happened yet
        self.n += 1
        body = {
            "event_id": f"e{self.seed}-{self.n}",
            "type": type_,
            "occurred_at": datetime.fromtimestamp(round(t, 3), UTC).isoformat(),
            id_field: key,
            **f,
        }
        rng = self.rng
        # mostly in time order; some produced up to 5 min late (reordered within the entity)
        delay = 0.0 if rng.random() < 0.9 else rng.uniform(0, 300)
        produced = min(self.end, t + delay)
        self.out.append((produced, (stream, key, body)))
        if rng.random() < 0.03:  # a duplicate, produced later
            self.out.append((min(self.end, produced + rng.uniform(0, 120)), (stream, key, body)))

    def ticket(self, i: int) -> None:
        rng, key = self.rng, f"rt-{self.seed}-{i}"

        def ev(t: float, type_: str, **f: Any) -> None:
            self.emit("tickets", "ticket_id", key, t, type_, **f)

        t = rng.uniform(self.start, self.end)
        queue, priority = rng.choice(QUEUES), rng.choice(PRIORITIES)
        ev(t, "ticket.created", queue=queue, channel=rng.choice(CHANNELS), priority=priority)
        ev(t + rng.uniform(1, 60), "ticket.assigned", agent_id=f"ra-{rng.randrange(12)}")
        if rng.random() < 0.15:  # transfer to another queue
            other = rng.choice([q for q in QUEUES if q != queue])
            ev(t + rng.uniform(60, 1800), "ticket.updated", queue=other)
        if rng.random() < 0.1:
            ev(t + rng.uniform(60, 1800), "ticket.updated", priority=rng.choice(PRIORITIES))
        if rng.random() < 0.1:
            ev(t + rng.uniform(10, 600), "ticket.replied", author="agent", public=False)
        reply = t + rng.lognormvariate(6.5, 1.0)
        if rng.random() < 0.85:
            ev(reply, "ticket.replied", author="agent")
        if rng.random() < 0.2:  # waiting on the customer
            p = reply + rng.uniform(10, 900)
            ev(p, "ticket.status_changed", status="pending")
            ev(p + rng.uniform(60, 3600), "ticket.status_changed", status="open")
        if rng.random() < 0.3:
            ev(reply + rng.uniform(30, 1200), "ticket.replied", author="customer")
            if rng.random() < 0.5:
                ev(reply + rng.uniform(1300, 2400), "ticket.replied", author="agent")
        if rng.random() < 0.07:
            ev(t + rng.uniform(60, 3000), "ticket.escalated", level=rng.randint(1, 3))
        solved = reply + rng.lognormvariate(7.0, 1.0)
        if rng.random() < 0.75:
            ev(solved, "ticket.status_changed", status="solved")
            if rng.random() < 0.1:  # reopened, solved again
                ev(solved + rng.uniform(60, 1800), "ticket.status_changed", status="open")
                ev(solved + rng.uniform(1900, 4000), "ticket.status_changed", status="solved")
            if rng.random() < 0.3:
                ev(solved + rng.uniform(60, 1200), "ticket.status_changed", status="closed")
            self.survey("tickets", "ticket_id", key, solved + rng.uniform(30, 900), queue)

    def survey(self, stream: str, id_field: str, key: str, t: float, queue: str) -> None:
        rng = self.rng
        if rng.random() < 0.4:
            kind = rng.choice(("csat", "csat", "nps", "ces"))
            score = {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10), "ces": rng.randint(1, 7)}
            extra = {"queue": queue} if rng.random() < 0.5 else {}
            self.emit(
                stream,
                id_field,
                key,
                t,
                "survey.responded",
                survey=kind,
                score=score[kind],
                **extra,
            )

    def call(self, i: int) -> None:
        rng, key = self.rng, f"rc-{self.seed}-{i}"

        def ev(t: float, type_: str, **f: Any) -> None:
            self.emit("calls", "call_id", key, t, type_, **f)

        t = rng.uniform(self.start, self.end)
        queue = rng.choice(QUEUES)
        ev(t, "call.queued", queue=queue)
        wait = rng.lognormvariate(2.7, 1.0)
        if rng.random() < 0.15:
            ev(t + rng.choice((rng.uniform(0.5, 4.9), wait)), "call.abandoned")
            return
        answered = t + wait
        ev(answered, "call.answered", agent_id=f"ra-{rng.randrange(12)}")
        ended = answered + rng.lognormvariate(5.0, 0.7)
        ev(ended, "call.ended", hold_seconds=rng.choice((0, 0, 15.5)))
        if rng.random() < 0.85:
            ev(
                ended + rng.choice((rng.uniform(5, 120), rng.uniform(601, 900))),
                "call.wrapup_completed",
            )
        self.survey("calls", "call_id", key, ended + rng.uniform(5, 300), queue)

    def agent(self, i: int) -> None:
        rng, key = self.rng, f"ra-{i}"
        t = self.start - rng.uniform(0, 600)
        queues = rng.sample(QUEUES, rng.randint(1, 3))
        first = True
        while t < self.end:
            status = rng.choice(("available", "busy", "after_call_work", "away", "offline"))
            extra = {"queues": queues} if first or rng.random() < 0.5 else {}
            first = False
            self.emit("agents", "agent_id", key, t, "agent.status_changed", status=status, **extra)
            if rng.random() < 0.05:
                queues = rng.sample(QUEUES, rng.randint(1, 3))
            t += rng.expovariate(1 / 600)


def generate(
    seed: int,
    end: float,
    hours: float = 2.5,
    tickets: int = 600,
    calls: int = 900,
    agents: int = 12,
) -> list[Record]:
    """Return the records of `hours` of traffic ending at `end`, in production order."""
    g = _Gen(seed, end - hours * 3600, end)
    for i in range(agents):
        g.agent(i)
    for i in range(tickets):
        g.ticket(i)
    for i in range(calls):
        g.call(i)
    g.out.sort(key=lambda x: x[0])
    return [rec for _, rec in g.out]
