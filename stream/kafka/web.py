"""HTTP routes and background tasks on the faust app, without faust types in the handlers.

routes = Routes(app)
routes.add("/api/v1/alerts", get=alerts)  # async def alerts(request) -> Reply
routes.task(evaluate_forever)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import faust
from faust.web import View


class Request(Protocol):
    """What a handler may read from a request (aiohttp's, under faust)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def match_info(self) -> Mapping[str, str]: ...

    async def read(self) -> bytes: ...


@dataclass(frozen=True)
class Reply:
    """A response: JSON for dicts and lists, raw bytes with their Content-Type otherwise."""

    body: Any
    status: int = 200
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Awaitable[Reply]]
METHODS = ("get", "post", "put", "delete")


class Routes:
    """Register handlers and startup tasks on a faust app."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    def add(self, path: str, **handlers: Handler) -> None:
        """Serve `path` with one handler per HTTP method (get=, post=, put=, delete=)."""
        unknown = set(handlers) - set(METHODS)
        if unknown:
            raise ValueError(f"unknown HTTP methods {sorted(unknown)} for {path}")
        body = {m: _method(h) for m, h in handlers.items()}
        view = type(f"route {path}", (View,), body)
        self.app.page(path)(view)

    def task(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `fn()` once the worker has started (stopped with it)."""
        self.app.task(fn)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` alongside the worker (cancelled when it stops)."""
        self.app.add_future(coro)


def _method(handler: Handler) -> Callable[..., Awaitable[Any]]:
    async def method(view: View, request: Any, **_: Any) -> Any:
        reply = await handler(request)
        if isinstance(reply.body, dict | list):
            return view.json(reply.body, status=reply.status, headers=dict(reply.headers))
        headers = {"Content-Type": reply.content_type, **reply.headers}
        return view.bytes(reply.body, status=reply.status, headers=headers)

    return method
