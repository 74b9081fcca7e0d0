"""Catching up: the backlog found at the first fetch, falling behind, settling."""

from __future__ import annotations

from stream.pipeline.catchup import CatchUp, Offsets

TP = ("support.calls", 0)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_backlog_found_at_the_first_fetch_is_catching_up_until_processed() -> None:
    clock = Clock()
    state: dict[str, Offsets] = {"now": {TP: (0, None)}}
    c = CatchUp(lambda: state["now"], max_lag=2000, settle=2.0, monotonic=clock)
    assert c() and "nothing fetched" in c.reason
    state["now"] = {TP: (0, 500)}  # a small backlog: less than one batch, still a backlog
    assert c() and "500 records to go" in c.reason
    state["now"] = {TP: (400, 600)}  # new records arrived meanwhile: the backlog ends at 500
    assert c()
    state["now"] = {TP: (500, 600)}
    assert c()  # settling
    clock.t = 2.5
    assert not c()


def test_a_live_worker_that_falls_behind_by_more_than_a_batch_is_catching_up() -> None:
    clock = Clock()
    state: dict[str, Offsets] = {"now": {TP: (0, 0)}}
    c = CatchUp(lambda: state["now"], max_lag=2000, settle=2.0, monotonic=clock)
    assert not c()
    state["now"] = {TP: (0, 1500)}
    assert not c()  # within one batch: live
    state["now"] = {TP: (0, 2500)}
    assert c() and "2500 records behind" in c.reason


def test_a_partition_assigned_later_brings_its_own_backlog() -> None:
    clock = Clock()
    other = ("support.tickets", 3)
    state: dict[str, Offsets] = {"now": {TP: (10, 10)}}
    c = CatchUp(lambda: state["now"], max_lag=2000, settle=0.0, monotonic=clock)
    assert not c()
    state["now"] = {TP: (10, 10), other: (0, 40)}
    assert c() and c.reason.startswith("support.tickets[3]")
