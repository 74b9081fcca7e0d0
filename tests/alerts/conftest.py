"""Fixtures of the alerting tests: a fake clock and a real HTTP sink on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """A settable clock: `clock()` returns now, `clock.advance(seconds)` moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Sink:
    """A loopback HTTP server that answers from a script: an int status, a
    (status, headers) pair, ("hang", seconds) or ("echo", status, *extra) (the body
    echoes extra, the request URL and X- headers). Then 200 forever."""

    url: str = ""
    script: list[Any] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        loop = asyncio.get_running_loop()
        self.received.append(Received(request.path, dict(request.headers), body, loop.time()))
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, tuple) and step[0] == "echo":  # a receiver that echoes secrets
            headers = {k: v for k, v in request.headers.items() if k.startswith("X-")}
            echoed = f"{step[2:]} bad request {request.url} headers {headers}"
            return web.Response(status=step[1], text=echoed)
        if isinstance(step, tuple) and step[0] == "hang":
            await asyncio.sleep(step[1])
            return web.Response(status=200)
        if isinstance(step, tuple):
            return web.Response(status=step[0], headers=step[1], text="scripted")
        return web.Response(status=step, text="scripted")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    s = Sink()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", s.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    s.url = f"http://{host}:{port}"
    try:
        yield s
    finally:
        await runner.cleanup()
