"""Writes the alerting side asks for, served by the processor's writer (no construction cycle).

The alerting side is built first and holds the outbox; the processor, built
next, serves it. Each request waits until the broker has confirmed it, as a
direct write would.

    outbox = Outbox()
    await outbox.persist("queues", state)           # alerting side
    await outbox.serve(writer)                       # processor side, a task
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from stream.pipeline.stages import Dirty


class Sink(Protocol):
    """Where the outbox's requests end up (`stream.kafka.writer.Writer`)."""

    async def persist(self, table_name: str, state: list[Dirty]) -> None: ...

    async def dead_letter(self, value: bytes, reason: str) -> None: ...


def _future() -> asyncio.Future[None]:
    return asyncio.get_running_loop().create_future()


@dataclass
class _Request:
    table: str | None  # None: a dead letter
    state: list[Dirty] = field(default_factory=list)
    value: bytes = b""
    reason: str = ""
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Outbox:
    """A queue of confirmed writes between the alert engine and Kafka."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[_Request] | None = None

    def _q(self) -> asyncio.Queue[_Request]:
        if self._queue is None:  # bound to the running loop on first use
            self._queue = asyncio.Queue()
        return self._queue

    async def persist(self, table_name: str, state: list[Dirty]) -> None:
        """Write state records to `table_name` and wait for the broker."""
        if state:
            await self._submit(_Request(table_name, state=state))

    async def dead_letter(self, value: bytes, reason: str) -> None:
        """Send a dead letter and wait for the broker."""
        await self._submit(_Request(None, value=value, reason=reason))

    async def _submit(self, req: _Request) -> None:
        await self._q().put(req)
        await req.done

    async def serve(self, sink: Sink) -> None:
        """Carry out requests until cancelled; a failed write fails its requester."""
        queue = self._q()
        while True:
            req = await queue.get()
            try:
                if req.table is None:
                    await sink.dead_letter(req.value, req.reason)
                else:
                    await sink.persist(req.table, req.state)
            except Exception as exc:
                if not req.done.done():
                    req.done.set_exception(exc)
            else:
                if not req.done.done():
                    req.done.set_result(None)
