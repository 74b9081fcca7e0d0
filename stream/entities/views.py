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

On the wire a view is a msgpack array (msgspec, trailing defaults left out);
`View.decode` still reads the JSON arrays earlier versions wrote to the views
topic and the queues changelog.
"""

from __future__ import annotations

from sys import intern

import msgspec
import orjson

Fact = tuple[str, float, float]

SOURCE: dict[str, str] = {"ticket": "tickets", "call": "calls", "agent": "agents"}
"""The input stream each view kind is derived from (surveys ride with their entity)."""


class SlaView(msgspec.Struct, frozen=True, array_like=True, gc=False):
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


class View(msgspec.Struct, frozen=True, array_like=True, omit_defaults=True, gc=False):
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
    facts: tuple[Fact, ...] = ()
    gone: bool = False  # tombstone: the entity left this queue

    @property
    def key(self) -> str:
        """Return the table key of this view within its queue."""
        return f"{self.queue}\x1f{self.kind}\x1f{self.id}"

    def encode(self) -> bytes:
        """Serialise compactly (a msgpack array)."""
        return _ENCODE(self)

    @classmethod
    def decode(cls, raw: bytes) -> View:
        """Parse what `encode` produced, or the JSON array of earlier versions."""
        if raw[:1] == b"[":
            return _decode_json(raw)
        return _DECODE(raw)

    def tombstone(self, version: int, t: float) -> View:
        """Return the record that removes this entity from this queue."""
        return View(self.kind, self.id, self.queue, version, t, gone=True)


_ENCODE = msgspec.msgpack.Encoder().encode
_DECODE = msgspec.msgpack.Decoder(View).decode


def _decode_json(raw: bytes) -> View:
    """Parse a view as versions before msgpack wrote it (a JSON array)."""
    kind, id_, queue, version, t, channel, priority, active, since, status, sla, facts, gone = (
        orjson.loads(raw)
    )
    return View(
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
