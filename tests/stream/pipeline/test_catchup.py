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
    c = CatchUp(lambda: state["now"], max_delay=10.0, settle=2.0, monotonic=clock)
    assert c() and "nothing fetched" in c.reason
    state["now"] = {TP: (0, 500)}  # a small backlog: less than one batch, still a backlog
    assert c() and "500 records to go" in c.reason
    state["now"] = {TP: (400, 600)}  # new records arrived meanwhile: the backlog ends at 500
    assert c()
    state["now"] = {TP: (500, 600)}
    assert c()  # settling
    clock.t = 2.5
    assert not c()


def test_a_live_worker_is_catching_up_once_records_older_than_max_delay_wait() -> None:
    """However many records are in flight: 5,000 events/s keep thousands in flight."""
    clock = Clock()
    state: dict[str, Offsets] = {"now": {TP: (0, 0)}}
    c = CatchUp(lambda: state["now"], 10.0, max_lag=10**6, settle=2.0, monotonic=clock)
    assert not c()
    for t in range(1, 60):  # 5,000 records a second, processed 2 s after they arrive
        clock.t = float(t)
        state["now"] = {TP: (max(0, (t - 2) * 5000), t * 5000)}
        assert not c(), t
    # then processing stalls at offset 285,000: live while what waits is under 10 s old
    for t in range(60, 80):
        clock.t = float(t)
        state["now"] = {TP: (285_000, t * 5000)}
        assert c() == (t > 67), t  # the records of t = 57 wait over 10 s from t = 68 on
    assert "records over 10 s old not processed" in c.reason
    for t in range(80, 84):  # caught up: catching up for `settle` more seconds
        clock.t = float(t)
        state["now"] = {TP: (t * 5000, t * 5000)}
        assert c() == (t < 81), t  # last seen behind at t = 79


def test_a_partition_assigned_later_brings_its_own_backlog() -> None:
    clock = Clock()
    other = ("support.tickets", 3)
    state: dict[str, Offsets] = {"now": {TP: (10, 10)}}
    c = CatchUp(lambda: state["now"], max_delay=10.0, settle=0.0, monotonic=clock)
    assert not c()
    state["now"] = {TP: (10, 10), other: (0, 40)}
    assert c() and c.reason.startswith("support.tickets[3]")


def test_a_burst_of_more_than_max_lag_records_is_a_backlog_at_once() -> None:
    """History written into a live worker: held from the first fetch that shows it."""
    clock = Clock()
    state: dict[str, Offsets] = {"now": {TP: (100, 100)}}
    c = CatchUp(lambda: state["now"], max_delay=10.0, max_lag=20_000, monotonic=clock)
    assert not c()
    state["now"] = {TP: (100, 60_100)}
    assert c() and "60000 records not processed" in c.reason
