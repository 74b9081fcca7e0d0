"""Call state: queued → answered | abandoned → ended → wrap-up, as a view."""

from __future__ import annotations

from stream.entities.log import EntityLog
from stream.entities.views import Fact, View

DEFAULT_WRAPUP_TIMEOUT = 600.0


def _aht(answered: float, ended: float, wrapup: float | None, timeout: float) -> Fact:
    """Return the handle-time fact: at wrap-up, or at ended + timeout with ACW 0.

    A wrap-up later than the timeout does not move it: the call concluded then.
    The fact may lie after every known event; stage 2 holds it until its time.
    """
    talk = max(0.0, ended - answered)
    if wrapup is not None and wrapup - ended <= timeout:
        return ("aht", wrapup, talk + max(0.0, wrapup - ended))
    return ("aht", ended + timeout, talk)


def derive_call(
    log: EntityLog, call_id: str, wrapup_timeout: float = DEFAULT_WRAPUP_TIMEOUT
) -> list[View]:
    """Return the call's view of its queue (the survey's `queue` until `call.queued`)."""
    queue = survey_queue = ""
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
            survey_queue = survey_queue or f.get("queue", "")
    queue = queue or survey_queue
    if not queue:
        return []
    if queued is not None and left is not None:
        facts.append(("abandoned" if abandoned else "answered", left, max(0.0, left - queued)))
    if answered is not None and ended is not None:
        facts.append(_aht(answered, ended, wrapup, wrapup_timeout))
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
