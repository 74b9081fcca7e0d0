"""The outbox between the alerting side and the processor's writer (pure asyncio)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from stream.kafka.outbox import Outbox
from stream.pipeline.stages import Dirty


class ListSink:
    """Record requests; fail dead letters whose reason is "fail"."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def persist(self, table_name: str, state: list[Dirty]) -> None:
        await asyncio.sleep(0.01)  # a broker round trip
        self.calls.append((table_name, state))

    async def dead_letter(self, value: bytes, reason: str) -> None:
        if reason == "fail":
            raise RuntimeError("broker refused")
        self.calls.append(("dead_letter", (value, reason)))


async def test_requests_reach_the_sink_and_return_once_written() -> None:
    outbox, sink = Outbox(), ListSink()
    server = asyncio.create_task(outbox.serve(sink))
    try:
        state: list[Dirty] = [(0, "k", b"v")]
        await outbox.persist("queues", state)
        assert sink.calls == [("queues", state)]  # written before persist returned
        await outbox.persist("queues", [])  # nothing to write: no request
        await outbox.dead_letter(b"{}", "receiver refused")
        assert sink.calls[-1] == ("dead_letter", (b"{}", "receiver refused"))
        assert len(sink.calls) == 2
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


async def test_a_failed_write_fails_its_requester_and_the_outbox_goes_on() -> None:
    outbox, sink = Outbox(), ListSink()
    server = asyncio.create_task(outbox.serve(sink))
    try:
        with pytest.raises(RuntimeError, match="broker refused"):
            await outbox.dead_letter(b"{}", "fail")
        await outbox.dead_letter(b"{}", "ok")
        assert sink.calls == [("dead_letter", (b"{}", "ok"))]
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
