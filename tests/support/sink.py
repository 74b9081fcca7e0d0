"""A webhook receiver for tests: a real HTTP server on loopback that records every POST."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Sink:
    """A real HTTP server on loopback that records every POSTed JSON body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sink.bodies.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def alerts(self, status: str, queue: str) -> list[dict[str, Any]]:
        """Return the alerts received with this status for this queue."""
        return [
            a
            for b in self.bodies
            for a in b["alerts"]
            if a["status"] == status and a["labels"].get("queue") == queue
        ]

    def wait(self, status: str, queue: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for an alert with this status for this queue."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.alerts(status, queue):
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no {status} alert for {queue}; got {self.bodies}")

    def close(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A Sink, closed after the test."""
    s = Sink()
    try:
        yield s
    finally:
        s.close()
