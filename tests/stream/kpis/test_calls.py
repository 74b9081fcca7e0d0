"""Call KPIs from events, hand-computed: abandon rate, service level, ASA, AHT, counts."""

from __future__ import annotations

import pytest

from tests.stream.kpis.harness import Ev, Harness, call


def _answered(
    id_: str,
    queued: float,
    answered: float,
    ended: float | None = None,
    wrapup: float | None = None,
) -> list[Ev]:
    evs = [
        call(id_, "call.queued", queued, queue="q"),
        call(id_, "call.answered", answered, agent_id="a1"),
    ]
    if ended is not None:
        evs.append(call(id_, "call.ended", ended))
    if wrapup is not None:
        evs.append(call(id_, "call.wrapup_completed", wrapup))
    return evs


def _abandoned(id_: str, queued: float, left: float) -> list[Ev]:
    return [call(id_, "call.queued", queued, queue="q"), call(id_, "call.abandoned", left)]


@pytest.fixture
def day() -> Harness:
    h = Harness(wrapup_timeout=600.0)
    h.send(
        *_answered("c1", 0, 10, ended=130, wrapup=160),  # wait 10, AHT 120 + 30
        *_answered("c2", 0, 30, ended=90),  # wait 30 (> 20 s), no wrap-up: AHT 60 at 690
        *_abandoned("c3", 0, 3),  # short abandon: out of rate and service level
        *_abandoned("c4", 0, 40),
        *_answered("c5", 100, 105, ended=200, wrapup=900),  # wrap-up too late: AHT 95 at 800
        call("c6", "call.queued", 500, queue="q"),  # still waiting
    )
    return h


# (kpi, window, now, value, samples) — offered = 3 answered + 1 long abandon = 4
CASES = [
    ("abandon_rate", "15m", 600, 1 / 4, 4),
    ("service_level", "15m", 600, 2 / 4, 4),  # c1 (10 s) and c5 (5 s) within 20 s
    ("asa", "15m", 600, (10 + 30 + 5) / 3, 3),
    ("aht", "1h", 600, 150.0, 1),  # c2 and c5 have not concluded yet
    ("aht", "1h", 700, (150 + 60) / 2, 2),  # c2 concluded at ended + timeout
    ("aht", "1h", 950, (150 + 60 + 95) / 3, 3),  # c5 with ACW 0, the late wrap-up ignored
    ("calls_offered", "15m", 600, 5.0, None),  # counts include the short abandon
    ("calls_answered", "15m", 600, 3.0, None),
    ("calls_abandoned", "15m", 600, 2.0, None),
    ("abandon_rate", "15m", 1000, 0.0, 1),  # only c5 (answered at 105) is still inside
    ("abandon_rate", "15m", 1100, None, 0),  # the 15 s bucket of 105 s expired at 1095 + 15
]


@pytest.mark.parametrize(("kpi", "window", "now", "value", "samples"), CASES)
def test_call_kpis(
    day: Harness, kpi: str, window: str, now: float, value: float | None, samples: int | None
) -> None:
    got = day.value(kpi, now, queue="q", window=window)
    assert got == (pytest.approx(value) if value is not None else None, samples)


def test_waiting_gauges(day: Harness) -> None:
    assert day.value("calls_waiting", 600, queue="q") == (1.0, None)
    assert day.value("longest_wait", 600, queue="q") == (100.0, None)


def test_wrapup_within_timeout_counts_acw() -> None:
    h = Harness(wrapup_timeout=600.0)
    h.send(*_answered("c1", 0, 10, ended=100, wrapup=700))  # exactly at the timeout
    assert h.value("aht", 800, queue="q", window="1h") == (pytest.approx(690.0), 1)


def test_wrapup_arriving_after_the_timeout_fact_was_counted_replaces_it() -> None:
    h = Harness(wrapup_timeout=60.0)
    h.send(*_answered("c1", 0, 10, ended=100))
    assert h.value("aht", 200, queue="q", window="1h") == (90.0, 1)  # ACW 0 at 160
    h.send(call("c1", "call.wrapup_completed", 150))  # processed late, happened in time
    assert h.value("aht", 200, queue="q", window="1h") == (140.0, 1)
