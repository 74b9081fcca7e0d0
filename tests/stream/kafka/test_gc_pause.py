"""The collector waits while tables are rebuilt, and comes back as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from stream.kafka.processor import GcPause


@pytest.fixture(autouse=True)
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_nested_rebuilds_resume_the_collector_once_the_last_ends(enabled: bool) -> None:
    gc.enable() if enabled else gc.disable()
    pause = GcPause()
    with pause.held():
        assert not gc.isenabled()
        with pause.held():
            assert not gc.isenabled()
        assert not gc.isenabled()  # one rebuild still runs
    assert gc.isenabled() is enabled
    assert (gc.get_freeze_count() > 0) is enabled  # the survivors are frozen, not traversed


def test_a_failed_rebuild_resumes_the_collector() -> None:
    gc.enable()
    pause = GcPause()
    with pytest.raises(RuntimeError), pause.held():
        raise RuntimeError("rebalanced")
    assert gc.isenabled()
    with pause.held():  # and a later one pauses it again
        assert not gc.isenabled()
    assert gc.isenabled()
