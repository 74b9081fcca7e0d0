"""Call state: queued → answered | abandoned → ended → wrap-up, as a view."""

from __future__ import annotations

from stream.entities.log import EntityLog
from stream.views import Fact, View


def derive_call(log: EntityLog, call_id: str) -> list[View]:
    """Return the call's view of its queue (none until `call.queued` is known)."""
    queue = ""
    queued = answered = left = ended = wrapup = None
    abandoned = False
    facts: list[Fact] = []
    for ts, type_, _, f in log.events:
        if type_ == "call.queued" and queued is None:
            queue, queued = f["queue"], ts
        elif type_ == "call.answered" and left is None:
            answered = left = ts
        elif type_ == "call.abandoned" and left is None:
            abandoned, left = True, ts
        elif type_ == "call.ended" and ended is None:
            ended = ts
        elif type_ == "call.wrapup_completed" and wrapup is None:
            wrapup = ts
        elif type_ == "survey.responded":
            facts.append((f["survey"], ts, float(f["score"])))
            queue = queue or f.get("queue", "")
    if not queue:
        return []
    if queued is not None and left is not None:
        facts.append(("abandoned" if abandoned else "answered", left, max(0.0, left - queued)))
    if answered is not None and ended is not None and wrapup is not None:
        facts.append(("aht", wrapup, max(0.0, ended - answered) + max(0.0, wrapup - ended)))
    waiting = queued is not None and left is None
    return [
        View(
            "call",
            call_id,
            queue,
            log.version,
            log.last_ts,
            active=waiting,
            since=queued if waiting else None,
            facts=tuple(sorted(facts)),
        )
    ]
