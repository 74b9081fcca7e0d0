"""The HTTP boundary of the worker: who may write, and no secret in a reply.

    install_guard(app, token_configured=lambda: alerting.config.http.auth_token is not None)

State-changing requests (any method but GET, HEAD, OPTIONS: reload, silence
writes) need the bearer token when `http.auth_token` is set (checked by each
endpoint). Without a token they are served to loopback clients only: anyone
else gets 403, whatever `http.host` the server binds. Every reply but
/metrics passes through the process-wide redactor (secret values, URL userinfo).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable

import faust
from aiohttp import web
from aiohttp.typedefs import Middleware

from alerts.redaction import REDACTOR

log = logging.getLogger("kpiwatch.web")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REDACTED_TYPES = ("application/json", "text/html", "text/plain")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(remote: str | None) -> bool:
    """Return whether a peer address is a loopback address (IPv4, IPv6, mapped)."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def write_policy(token_configured: bool) -> str:
    """Return the start-up line that says who may change state over HTTP."""
    if token_configured:
        return "HTTP writes (reload, silences) need the bearer token (http.auth_token)"
    return (
        "no http.auth_token: HTTP writes (reload, silences) are served to loopback "
        "clients only; set http.auth_token to accept them from elsewhere"
    )


def guard_middleware(token_configured: Callable[[], bool]) -> Middleware:
    """Return the aiohttp middleware that enforces the write policy and redacts replies."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        write = request.method not in SAFE_METHODS
        if write and not token_configured() and not is_loopback(request.remote):
            return web.json_response(
                {"error": "writes are served on loopback only (no http.auth_token set)"},
                status=403,
            )
        response = await handler(request)
        if request.path != "/metrics" and isinstance(response, web.Response):
            _redact_body(response)
        return response

    return guard


def _redact_body(response: web.Response) -> None:
    body = response.body
    if not isinstance(body, bytes) or not response.content_type.startswith(REDACTED_TYPES):
        return
    text = body.decode("utf-8", "replace")
    clean = REDACTOR.redact_secrets(text)
    if clean != text:
        response.body = clean.encode()


def install_guard(app: faust.App, token_configured: Callable[[], bool]) -> None:
    """Add the guard to the faust app's web server and log the write policy."""
    server: web.Application = app.web.web_app  # type: ignore[attr-defined]  # aiohttp driver
    server.middlewares.append(guard_middleware(token_configured))
    log.info(write_policy(token_configured()))
