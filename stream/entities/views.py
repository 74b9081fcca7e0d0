"""What an entity contributes to its queue: the record between the two stages.

Stage 1 (keyed by entity) derives a `View` of each ticket, call or agent after
every change and sends it to the views topic keyed by queue. Stage 2 keeps the
newest view per entity (by `version`, so a replayed older view changes
nothing) and turns views into KPIs. A view carries no wall-clock "now": only
event times, so replaying the same events yields byte-identical views.

Facts are windowed observations `(name, at, value)`:
`answered`/`abandoned` (value = wait s), `frt` (s), `created`, `solved` (value =
resolution s), `fcr` (1/0), `reopened`, `escalated`, `csat`/`nps`/`ces` (score),
`aht` (s), `sla:<target>` (1 met / 0 breached), and the agent time spans
`occ_busy`/`occ_available` (at = start, value = seconds). A fact may lie after
the entity's newest event (a breach at its due instant, a call's AHT at
ended + wrapup_timeout): stage 2 holds it until its clock reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from sys import intern

import orjson

Fact = tuple[str, float, float]

SOURCE: dict[str, str] = {"ticket": "tickets", "call": "calls", "agent": "agents"}
"""The input stream each view kind is derived from (surveys ride with their entity)."""


@dataclass(frozen=True, slots=True)
class SlaView:
    """An SLA target's clock, now-independent.

    `due_at` is the instant it breaches if nothing happens (None while the clock
    is paused); `remaining` is the business time left while paused; `met_at` is
    when the target was achieved, if it was.
    """

    target: str
    due_at: float | None
    remaining: float | None
    met_at: float | None
    horizon: float  # the policy's at_risk, seconds


@dataclass(frozen=True, slots=True)
class View:
    """The contribution of one entity to one queue."""

    kind: str  # "ticket" | "call" | "agent"
    id: str
    queue: str
    version: int
    t: float  # newest event time of the entity
    channel: str = ""
    priority: str = ""
    active: bool = False  # ticket open / call waiting / agent online
    since: float | None = None  # call: queued at
    status: str = ""  # agent status
    sla: tuple[SlaView, ...] = ()
    facts: tuple[Fact, ...] = field(default_factory=tuple)
    gone: bool = False  # tombstone: the entity left this queue

    @property
    def key(self) -> str:
        """Return the table key of this view within its queue."""
        return f"{self.queue}\x1f{self.kind}\x1f{self.id}"

    def encode(self) -> bytes:
        """Serialise compactly (a JSON array)."""
        return orjson.dumps(
            [
                self.kind,
                self.id,
                self.queue,
                self.version,
                self.t,
                self.channel,
                self.priority,
                self.active,
                self.since,
                self.status,
                [[s.target, s.due_at, s.remaining, s.met_at, s.horizon] for s in self.sla],
                self.facts,
                self.gone,
            ]
        )

    @classmethod
    def decode(cls, raw: bytes) -> View:
        """Parse what `encode` produced."""
        (
            kind,
            id_,
            queue,
            version,
            t,
            channel,
            priority,
            active,
            since,
            status,
            sla,
            facts,
            gone,
        ) = orjson.loads(raw)
        # stage 2 holds a view per entity: share the few names (queue, channel, fact …)
        return cls(
            intern(kind),
            id_,
            intern(queue),
            version,
            t,
            intern(channel),
            intern(priority),
            active,
            since,
            intern(status),
            tuple([SlaView(intern(s[0]), s[1], s[2], s[3], s[4]) for s in sla]),
            tuple([(intern(f[0]), f[1], f[2]) for f in facts]),
            gone,
        )

    def tombstone(self, version: int, t: float) -> View:
        """Return the record that removes this entity from this queue."""
        return View(self.kind, self.id, self.queue, version, t, gone=True)
