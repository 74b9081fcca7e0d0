"""No secret leaves the worker: receivers that echo their secrets, every output grepped.

Secrets reach the config through `${VAR}` (URL path and query, HMAC key, header, API
token); the receiver answers 400 with all of them in its body. The worker log, every
dead-letter record and every API reply must hold none of them; faust's own pages are
off; a notification is dead-lettered once however many group flushes retry it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from stream.dev.broker import EmbeddedBroker
from tests.integration.scenario import CONFIG, EVENTS
from tests.integration.test_pipeline import _read_all
from tests.support.worker import Topics, WorkerProcess, produce

pytestmark = pytest.mark.integration

SECRETS = {
    "PATH_TOKEN": "pathT0ken-9f1c2e",
    "QUERY_TOKEN": "queryT0ken-77ab01",
    "HMAC_KEY": "hmacK3y-5d44e0",
    "HEADER_KEY": "headerK3y-c0ffee",
    "API_TOKEN": "apiT0ken-beef42",
}


class EchoReceiver:
    """A loopback HTTP server that answers 400 with its request line, headers and key."""

    def __init__(self) -> None:
        self.requests = 0
        echo = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                echo.requests += 1
                body = (
                    f"rejected {self.command} {self.path} key={self.headers.get('X-Api-Key')} "
                    f"hmac={SECRETS['HMAC_KEY']} full=http://127.0.0.1{self.path}"
                ).encode()
                self.send_response(400)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echo() -> Iterator[EchoReceiver]:
    r = EchoReceiver()
    try:
        yield r
    finally:
        r.close()


def _config(port: int) -> dict[str, Any]:
    return {
        **CONFIG,
        "http": {"auth_token": "${API_TOKEN}"},
        "receivers": [
            {
                "name": "echo",
                "type": "webhook",
                "url": f"http://127.0.0.1:{port}/hook/${{PATH_TOKEN}}?token=${{QUERY_TOKEN}}",
                "hmac_secret": "${HMAC_KEY}",
                "headers": {"X-Api-Key": "${HEADER_KEY}"},
                "max_attempts": 2,
                "initial_backoff": "10ms",
            }
        ],
        "rules": [
            {
                "name": "CallsWaiting",
                "kpi": "calls_waiting",
                "op": ">=",
                "threshold": 2,
                "for": "0s",
                "severity": "critical",
                "receivers": ["echo"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            }
        ],
    }


def test_secrets_echoed_by_receivers_appear_nowhere(
    broker: EmbeddedBroker,
    topics: Topics,
    echo: EchoReceiver,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    w = start_worker(extra=_config(echo.port), env=SECRETS)
    records = [(topics.names[s], k, v) for s, k, v in EVENTS]
    asyncio.run(produce(broker.bootstrap, records))
    deadline = time.monotonic() + 30
    while echo.requests < 6 and time.monotonic() < deadline:  # ≥ 3 group flushes
        time.sleep(0.2)
    assert echo.requests >= 6, w.tail()

    auth = {"Authorization": f"Bearer {SECRETS['API_TOKEN']}"}
    replies = [
        httpx.get(f"{w.url}{path}", timeout=5)
        for path in ("/api/v1/alerts", "/api/v1/silences", "/readyz", "/metrics", "/")
    ]
    w.config.write_text("receivers: [{name: x, type: webhook, url: '${QUERY_TOKEN}'}]\n")
    replies.append(httpx.post(f"{w.url}/-/reload", headers=auth, timeout=10))
    assert replies[-1].status_code == 400, replies[-1].text
    for path in ("/router/", "/router/topics", "/table/queues", "/graph/", "/stats/"):
        assert httpx.get(f"{w.url}{path}", timeout=5).status_code == 404, path

    dead = asyncio.run(_read_all(broker.bootstrap, topics.names["dead_letter"], 2))
    notifications = [v for v, _ in dead if b'"kind":"notification"' in v]
    assert len(notifications) == 1, dead  # once, not at every group flush
    outputs = {
        "worker log": w.log.read_text(errors="replace"),
        "dead letters": "\n".join(repr(d) for d in dead),
        **{f"reply {r.request.url.path}": r.text for r in replies},
    }
    assert "rejected POST /hook/${PATH_TOKEN}?***" in outputs["dead letters"]
    assert "need the bearer token" in outputs["worker log"]  # the write policy, at start-up
    leaks = [
        f"{name} in {where}"
        for where, text in outputs.items()
        for name, value in SECRETS.items()
        if value in text
    ]
    assert leaks == []
