"""HTTP routes and background tasks on the faust app, without faust types in the handlers.

routes = Routes(app)
routes.add("/api/v1/alerts", get=alerts)  # async def alerts(request: Request) -> Reply
routes.add("/silences/{sid}", delete=expire)  # request.match_info["sid"]
routes.task(evaluate_forever)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.web import View

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"


class Request:
    """What a handler may read from a request (aiohttp's, under faust)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @property
    def headers(self) -> Mapping[str, str]:
        """Return the request headers (case-insensitive keys)."""
        headers: Mapping[str, str] = self._raw.headers
        return headers

    @property
    def match_info(self) -> Mapping[str, str]:
        """Return the path parameters, e.g. `sid` for `/silences/{sid}`."""
        return dict(self._raw.match_info)

    @property
    def query(self) -> Mapping[str, str]:
        """Return the query parameters (the first value of a repeated one)."""
        query: Mapping[str, str] = self._raw.query
        return query

    def query_all(self, name: str) -> list[str]:
        """Return every value of a repeated query parameter, in order."""
        return [str(v) for v in self._raw.query.getall(name, [])]

    async def read(self) -> bytes:
        """Return the request body."""
        body: bytes = await self._raw.read()
        return body

    async def form(self) -> dict[str, str]:
        """Return the fields of a url-encoded or multipart form body."""
        return {k: str(v) for k, v in (await self._raw.post()).items()}


@dataclass(frozen=True)
class Reply:
    """A response: JSON for dicts and lists, raw bytes or text with their Content-Type otherwise."""

    body: Any
    status: int = 200
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def html(cls, text: str, status: int = 200) -> Reply:
        """Return an HTML page."""
        return cls(text.encode(), status, HTML)

    @classmethod
    def text(cls, text: str, status: int = 200) -> Reply:
        """Return plain text."""
        return cls(text.encode(), status, TEXT)

    @classmethod
    def see_other(cls, location: str) -> Reply:
        """Return a 303 redirect to `location` (after a form post)."""
        return cls(b"", 303, TEXT, {"Location": location})


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

    def on_stop(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `fn()` when the worker stops: after the consumer, before the producer's flush."""

        async def stopping(sender: Any, **_: Any) -> None:
            await fn()

        # mode types handlers with mypy_extensions' NamedArg, which no plain def matches
        self.app.on_before_shutdown.connect(stopping)  # type: ignore[arg-type]

    def middleware(self, middleware: Callable[..., Awaitable[Any]]) -> None:
        """Add an aiohttp middleware to the web server (it sees every request and reply)."""
        server = self.app.web.web_app  # type: ignore[attr-defined]  # the aiohttp driver's
        server.middlewares.append(middleware)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` alongside the worker (cancelled when it stops)."""
        self.app.add_future(coro)


def _method(handler: Handler) -> Callable[..., Awaitable[Any]]:
    async def method(view: View, request: Any, **_: Any) -> Any:
        reply = await handler(Request(request))
        if isinstance(reply.body, dict | list):
            return view.json(reply.body, status=reply.status, headers=dict(reply.headers))
        headers = {"Content-Type": reply.content_type, **reply.headers}
        return view.bytes(reply.body, status=reply.status, headers=headers)

    return method
