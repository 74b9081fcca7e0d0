"""Shared fixtures: one embedded broker per session, workers per test (stopped by PID)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stream.dev.broker import EmbeddedBroker
from tests.support.sink import sink  # noqa: F401 (a fixture, for every test)
from tests.support.worker import Topics, WorkerProcess, new_port, write_config

# the longest tests (minutes of wall clock, mostly waiting) start first, so the two pytest
# processes (scripts/test.sh) end together instead of one waiting on the demo at the end
LONGEST_FIRST = (
    "tests/integration/test_demo.py",
    "tests/backtest/test_against_worker.py",
    "tests/integration/test_kill.py",
    "tests/integration/test_restart.py",
    "tests/reference/test_core.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest test files first (stable: the rest keep their order)."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """Start Tansu on a free loopback port for the whole session."""
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    b = EmbeddedBroker(port=0, log_path=log)
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def topics() -> Topics:
    """Return fresh topic names and consumer group for one test."""
    return Topics()


@pytest.fixture
def start_worker(
    broker: EmbeddedBroker, topics: Topics, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Return a function that starts a worker on this test's topics; all stopped after."""
    started: list[WorkerProcess] = []

    def start(
        partitions: int = 2,
        extra: dict[str, Any] | None = None,
        name: str = "w",
        env: dict[str, str] | None = None,
    ) -> WorkerProcess:
        port = new_port()
        cfg = write_config(
            tmp_path / f"{name}-{len(started)}.yaml",
            broker.bootstrap,
            topics,
            port,
            partitions,
            extra,
        )
        w = WorkerProcess(cfg, tmp_path / f"{name}-data", tmp_path / f"{name}.log", port, env)
        started.append(w)
        return w.start()

    try:
        yield start
    finally:
        for w in started:
            w.kill()
