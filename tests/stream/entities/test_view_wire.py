"""Views on the wire: msgpack round trip, and JSON views of earlier versions still read."""

from __future__ import annotations

import orjson

from stream.entities.views import SlaView, View

SLA = SlaView("first_response", 1_700_000_600.0, None, None, 300.0)
TICKET = View(
    "ticket",
    "T-1",
    "billing",
    7,
    1_700_000_000.0,
    "email",
    "high",
    active=True,
    sla=(SLA,),
    facts=(("created", 1_700_000_000.0, 0.0), ("sla:first_response", 1_700_000_600.0, 0.0)),
)


def test_a_view_survives_its_encoding() -> None:
    for view in (TICKET, TICKET.tombstone(8, 1_700_000_100.0)):
        assert View.decode(view.encode()) == view


def test_msgpack_is_smaller_than_the_json_it_replaced() -> None:
    assert len(TICKET.encode()) < len(_json(TICKET)) * 0.8


def test_a_json_view_of_an_earlier_version_decodes_to_the_same_view() -> None:
    assert View.decode(_json(TICKET)) == TICKET


def _json(v: View) -> bytes:
    """Encode as versions before msgpack did (a JSON array)."""
    sla = [[s.target, s.due_at, s.remaining, s.met_at, s.horizon] for s in v.sla]
    return orjson.dumps(
        [
            v.kind,
            v.id,
            v.queue,
            v.version,
            v.t,
            v.channel,
            v.priority,
            v.active,
            v.since,
            v.status,
            sla,
            v.facts,
            v.gone,
        ]
    )
