"""The cProfile hook: off without KPIWATCH_PROFILE, a readable dump with it."""

from __future__ import annotations

import pstats
from pathlib import Path

import faust
import pytest

from stream.kafka import profiling


def _app() -> faust.App:
    return faust.App("profiling", broker="kafka://127.0.0.1:1", autodiscover=False)


def test_off_unless_the_variable_names_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(profiling.ENV, raising=False)
    assert profiling.install(_app()) is None


async def test_dump_writes_stats_and_keeps_profiling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "worker.prof"
    monkeypatch.setenv(profiling.ENV, str(path))
    profiler = profiling.install(_app())
    assert profiler is not None
    try:
        sorted(range(1000))
        await profiler.dump()
        sorted(range(1000))
        await profiler.dump()
    finally:
        profiler.profile.disable()
    stats = pstats.Stats(str(path))
    assert any("sorted" in name for _, _, name in stats.stats)  # type: ignore[attr-defined]
