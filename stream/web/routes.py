"""Register everything `stream.web` serves besides /api/v1: the console and API v2."""

from __future__ import annotations

from collections.abc import Callable

import faust

from stream.alerting import Alerting
from stream.kafka.processor import Processor
from stream.web.console.routes import add_console
from stream.web.v2 import add_v2

Lag = Callable[[], dict[tuple[str, int], int]]


def add_web(app: faust.App, worker: Processor, alerting: Alerting, lag: Lag) -> None:
    """Register the console pages and the Alertmanager v2 API on the worker."""
    add_v2(app, alerting, lambda: worker.ready)
    add_console(app, worker, alerting, lag)
