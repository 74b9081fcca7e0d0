"""What a command checks and says before it starts a server: a free port, one banner line."""

from __future__ import annotations

import errno
import logging
import socket
from pathlib import Path

from stream import native
from stream.config.root import Config
from stream.version import kpiwatch_version

QUIET_LOGGERS = ("faust", "mode", "aiokafka", "kafka")  # their start-up chatter: debug only


def port_problem(host: str, port: int) -> str | None:
    """Return a one-line problem if `host:port` cannot be bound, else None."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use: stop what holds it"
                    f" (ss -ltnp 'sport = :{port}') or choose another port"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def quiet_framework_logs(level: str) -> None:
    """Keep faust's, mode's and aiokafka's INFO chatter out unless `level` is DEBUG."""
    if level != "DEBUG":
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)


def banner(cfg: Config, file: Path) -> str:
    """Return the one start-up line of `kpiwatch run`."""
    host, port = cfg.http.host, cfg.http.port
    url = (
        f"http://127.0.0.1:{port}/ (all interfaces)"
        if host in ("0.0.0.0", "::", "")
        else f"http://{host}:{port}/"
    )
    return (
        f"kpiwatch {kpiwatch_version()}: config {file}, brokers"
        f" {','.join(cfg.kafka.bootstrap_servers)}, console {url},"
        f" {len(cfg.rules)} rule(s), {len(cfg.receivers)} receiver(s), core {native.status()}"
    )
