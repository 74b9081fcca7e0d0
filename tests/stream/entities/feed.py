"""Feed event dicts to an entity's incremental state, or to the oracle's event log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from stream.entities import FIELDS, item_of
from stream.entities.state import EntityState, Kind
from stream.entities.views import View
from stream.events.decoding import Rejection, decode
from tests.stream.entities.oracle import EntityLog

Ev = dict[str, Any]
META = ("ticket_id", "call_id", "agent_id", "type", "occurred_at", "event_id")


def event_of(ev: Ev) -> Any:
    """Return `ev` decoded as the worker decodes it."""
    stream = "tickets" if "ticket_id" in ev else "calls" if "call_id" in ev else "agents"
    decoded = decode(orjson.dumps(ev), stream)
    assert not isinstance(decoded, Rejection), decoded
    return decoded


def state_of(kind: Kind, events: Iterable[Ev]) -> EntityState:
    """Return the state of one entity after `events`, applied in the given order."""
    st = EntityState(kind.fold())
    for ev in events:
        e = event_of(ev)
        st.add(e.ts, e.event_id, item_of(e), kind)
    return st


def views_of(kind: Kind, events: Iterable[Ev], entity_id: str) -> list[View]:
    """Return the views of one entity after `events`, applied in the given order."""
    return kind.views(state_of(kind, events), entity_id)


def log_of(events: Iterable[Ev]) -> EntityLog:
    """Return the oracle's event log of `events` (the fields as the worker decoded them)."""
    log = EntityLog()
    for ev in events:
        e = event_of(ev)
        fields = {}
        for name in FIELDS[e.type]:
            value = getattr(e, name)
            if value is not None:
                fields[name] = list(value) if isinstance(value, tuple) else value
        log.add(e.ts, e.type, e.event_id, fields)
    return log
