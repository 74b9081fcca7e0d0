"""The HTTP guard: writes on loopback only without a token; replies redacted."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from alerts.redaction import REDACTOR
from stream.web.guard import guard_middleware, is_loopback, write_policy


@pytest.mark.parametrize(
    ("remote", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", False),
        ("0.0.0.0", False),
        ("::ffff:10.0.0.5", False),
        ("fe80::1%eth0", False),
        ("", False),
        (None, False),
        ("not-an-ip", False),
    ],
)
def test_is_loopback(remote: str | None, loopback: bool) -> None:
    assert is_loopback(remote) is loopback


class Peer:
    def __init__(self, address: str) -> None:
        self.address = address

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.address, 5555) if name == "peername" else default


async def _ok(request: web.Request) -> web.StreamResponse:
    return web.json_response({"echo": "url https://u:Gu4rd-secret@h/x", "k": "Gu4rd-secret"})


@pytest.mark.parametrize(
    ("method", "remote", "token", "status"),
    [
        ("POST", "10.0.0.5", False, 403),
        ("DELETE", "10.0.0.5", False, 403),
        ("POST", "127.0.0.1", False, 200),
        ("GET", "10.0.0.5", False, 200),
        ("POST", "10.0.0.5", True, 200),  # the endpoint checks the bearer token itself
    ],
)
async def test_write_policy(method: str, remote: str, token: bool, status: int) -> None:
    guard = guard_middleware(lambda: token)
    request = make_mocked_request(method, "/-/reload", transport=Peer(remote))
    response = await guard(request, _ok)
    assert response.status == status


async def test_replies_are_redacted() -> None:
    REDACTOR.add({"Gu4rd-secret": "${GUARD}"})
    guard = guard_middleware(lambda: True)
    request = make_mocked_request("GET", "/api/v1/alerts", transport=Peer("127.0.0.1"))
    response = await guard(request, _ok)
    assert isinstance(response, web.Response) and isinstance(response.body, bytes)
    assert b"Gu4rd-secret" not in response.body
    assert b"https://***@h/x" in response.body


def test_the_policy_line() -> None:
    assert "loopback" in write_policy(False)
    assert "bearer token" in write_policy(True)
