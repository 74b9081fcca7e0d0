"""Agent state: the latest status and queues, one view per queue."""

from __future__ import annotations

from stream.entities.log import EntityLog
from stream.views import View


def derive_agent(log: EntityLog, agent_id: str) -> list[View]:
    """Return one view per queue the agent serves (latest status event wins)."""
    status, queues = "", []
    for _, _, _, f in log.events:
        status = f["status"]
        queues = f.get("queues") or queues
    return [
        View(
            "agent",
            agent_id,
            q,
            log.version,
            log.last_ts,
            active=status != "offline",
            status=status,
        )
        for q in sorted(set(queues))
    ]
