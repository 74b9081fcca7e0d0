"""Agent state: status runs per queue, as views (gauges and occupancy time).

A run is a stretch of one status; closed runs of a counted status become span
facts `("occ_busy" | "occ_available", start, seconds)` in the queues the agent
served when the run began. The open run is carried as `status` and `since`, so
stage 2 counts it up to its own "now". `after_call_work` counts as busy: it is
handling time, as in Amazon Connect's and Flex's occupancy.
"""

from __future__ import annotations

from stream.entities.log import EntityLog
from stream.entities.views import Fact, View

OCCUPANCY_STATUS = {"busy": "occ_busy", "after_call_work": "occ_busy", "available": "occ_available"}
DEFAULT_RETENTION = 2 * 86400.0
"""Closed runs that ended longer ago than this (before the newest event) are left out.

It must exceed the longest window plus replay_threshold, or leaving them out
would retract time that is still inside a window."""

Run = tuple[float, float | None, str, tuple[str, ...]]  # (start, end, status, queues)


def _runs(log: EntityLog) -> list[Run]:
    runs: list[Run] = []
    status, queues, start = "", (), 0.0
    for ts, _, _, f in log.events:
        new_queues = tuple(sorted(set(f.get("queues") or queues)))
        if f["status"] == status and new_queues == queues:
            continue
        if status:
            runs.append((start, ts, status, queues))
        status, queues, start = f["status"], new_queues, ts
    if status:
        runs.append((start, None, status, queues))
    return runs


def derive_agent(log: EntityLog, agent_id: str, retention: float = DEFAULT_RETENTION) -> list[View]:
    """Return one view per queue the agent serves or recently served."""
    runs = _runs(log)
    if not runs:
        return []
    since, _, status, current = runs[-1]
    cutoff = log.last_ts - retention
    facts: dict[str, list[Fact]] = {q: [] for q in current}
    for start, end, st, queues in runs[:-1]:
        name = OCCUPANCY_STATUS.get(st)
        if name is None or end is None or end < cutoff or end <= start:
            continue
        for q in queues:
            facts.setdefault(q, []).append((name, start, end - start))
    return [
        View(
            "agent",
            agent_id,
            q,
            log.version,
            log.last_ts,
            active=q in current and status != "offline",
            since=since if q in current else None,
            status=status if q in current else "",
            facts=tuple(sorted(fs)),
        )
        for q, fs in sorted(facts.items())
    ]
