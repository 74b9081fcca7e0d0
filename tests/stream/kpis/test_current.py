"""One queue's current-state gauges from the entities' newest views."""

from __future__ import annotations

import math
import random

import pytest

from stream.entities.views import SlaView, View
from stream.kpis.current import CurrentState

NOW = 10_000.0


def ticket(id_: str, *sla: SlaView, active: bool = True, pr: str = "high") -> View:
    return View("ticket", id_, "q", 1, 0.0, channel="email", priority=pr, active=active, sla=sla)


def call(id_: str, since: float | None, active: bool = True) -> View:
    return View("call", id_, "q", 1, 0.0, active=active, since=since)


def agent(id_: str, status: str, since: float | None = 0.0) -> View:
    return View("agent", id_, "q", 1, 0.0, status=status, since=since)


def sla(due: float | None, *, met: float | None = None, remaining: float | None = None) -> SlaView:
    return SlaView("resolution", due, remaining, met, horizon=1800.0)


def gauges(views: list[View], remove: tuple[str, ...] = ()) -> dict[tuple[str, ...], float | None]:
    c = CurrentState()
    for v in views:
        c.update(v, remove=v.id in remove)
    return {(s.kpi, *sorted(s.labels.values())): s.value for s in c.samples("q", NOW)}


SLA_CASES = [
    # (the one target's clock, at_risk, breached, breaching within 15m, within 1h)
    ("far", sla(NOW + 7200), 0, 0, 0, 0),
    ("within the horizon and the hour", sla(NOW + 1800), 1, 0, 0, 1),
    ("within 15m", sla(NOW + 600), 1, 0, 1, 1),
    ("past due", sla(NOW - 1), 0, 1, 0, 0),
    ("met", sla(NOW - 1, met=NOW - 100), 0, 0, 0, 0),
    ("paused with time left", sla(None, remaining=60.0), 0, 0, 0, 0),
    ("paused after breaching", sla(None, remaining=0.0), 0, 1, 0, 0),
]


@pytest.mark.parametrize(("case", "clock", "risk", "breached", "m15", "h1"), SLA_CASES,
                         ids=[c[0] for c in SLA_CASES])  # fmt: skip
def test_sla_gauges(case: str, clock: SlaView, risk: int, breached: int, m15: int, h1: int) -> None:
    g = gauges([ticket("t1", clock)])
    assert g[("sla_at_risk", "high", "q", "resolution")] == risk
    assert g[("sla_breached", "high", "q", "resolution")] == breached
    assert g[("sla_breaching_soon", "15m", "q", "resolution")] == m15
    assert g[("sla_breaching_soon", "1h", "q", "resolution")] == h1


def test_open_tickets_keep_their_series_at_zero() -> None:
    g = gauges([ticket("t1"), ticket("t2", pr="low"), ticket("t2", pr="low", active=False)])
    assert g[("open_tickets", "email", "high", "q")] == 1
    assert g[("open_tickets", "email", "low", "q")] == 0  # seen once: reported as 0


CALL_CASES = [
    ("none", [], (), 0, 0.0),
    ("two waiting", [call("c1", NOW - 30), call("c2", NOW - 90)], (), 2, 90.0),
    ("one answered", [call("c1", NOW - 30), call("c1", NOW - 30, active=False)], (), 0, 0.0),
    ("removed", [call("c1", NOW - 30)], ("c1",), 0, 0.0),
    ("no queued time", [call("c1", None)], (), 0, 0.0),
    ("clock behind", [call("c1", NOW + 5)], (), 1, 0.0),
]


@pytest.mark.parametrize(("case", "views", "remove", "waiting", "longest"), CALL_CASES,
                         ids=[c[0] for c in CALL_CASES])  # fmt: skip
def test_waiting_calls(
    case: str, views: list[View], remove: tuple[str, ...], waiting: int, longest: float
) -> None:
    g = gauges(views, remove)
    assert (g[("calls_waiting", "q")], g[("longest_wait", "q")]) == (waiting, longest)


def test_agents_by_status_every_status_reported() -> None:
    g = gauges([agent("a1", "busy"), agent("a2", "busy"), agent("a3", "available"),
                agent("a4", "offline"), agent("a4", "")])  # fmt: skip
    got = {k[0]: v for k, v in g.items() if k[0].startswith("agents_")}
    assert got == {"agents_available": 1, "agents_busy": 2, "agents_after_call_work": 0,
                   "agents_away": 0, "agents_offline": 0}  # fmt: skip


OPEN_RUNS = [
    # (agents, window start) → (busy, available) seconds up to NOW
    ([agent("a", "busy", NOW - 100)], 0.0, (100.0, 0.0)),
    ([agent("a", "after_call_work", NOW - 50)], 0.0, (50.0, 0.0)),
    ([agent("a", "available", NOW - 100)], NOW - 40, (0.0, 40.0)),
    ([agent("a", "away", NOW - 100)], 0.0, (0.0, 0.0)),
    ([agent("a", "busy", None)], 0.0, (0.0, 0.0)),
    ([agent("a", "busy", NOW + 10)], 0.0, (0.0, 0.0)),
]


@pytest.mark.parametrize(("views", "start", "want"), OPEN_RUNS)
def test_open_runs(views: list[View], start: float, want: tuple[float, float]) -> None:
    c = CurrentState()
    for v in views:
        c.update(v, remove=False)
    assert c.open_runs(start, NOW) == want


def recount(views: dict[str, View], now: float) -> dict[tuple[str, ...], float]:
    """The gauges by a plain scan of every open ticket (the definition, no bookkeeping)."""
    out: dict[tuple[str, ...], float] = {}
    for v in views.values():
        if not v.active:
            continue
        k = ("open_tickets", v.channel, v.priority)
        out[k] = out.get(k, 0) + 1
        for s in v.sla:
            if s.met_at is not None:
                continue
            names = []
            if s.due_at is None:
                if s.remaining is not None and s.remaining <= 0:
                    names.append(("sla_breached", v.priority, s.target))
            elif s.due_at - now < 0:
                names.append(("sla_breached", v.priority, s.target))
            else:
                left = s.due_at - now
                if left <= s.horizon:
                    names.append(("sla_at_risk", v.priority, s.target))
                names += [("sla_breaching_soon", s.target, w) for w, h in BREACHING if left <= h]
            for n in names:
                out[n] = out.get(n, 0) + 1
    return out


BREACHING = (("15m", 900.0), ("1h", 3600.0))


@pytest.mark.parametrize("seed", range(6))
def test_kept_counts_equal_a_recount_whatever_the_order_of_updates_and_instants(
    seed: int,
) -> None:
    """Open tickets and SLA gauges are kept as updates come, not recounted per sample:
    they equal a scan of the open tickets at every instant, the clock moving forward
    across edges (and, at times, back)."""
    rng = random.Random(seed)
    c, views, now = CurrentState(), {}, 1_000_000.0
    latest = -math.inf
    for step in range(3000):
        if rng.random() < 0.6:
            id_ = f"t{rng.randrange(200)}"
            clocks = tuple(
                SlaView(
                    target,
                    None if paused else now + rng.uniform(-4000, 9000),
                    rng.choice([None, -5.0, 0.0, 300.0]) if paused else None,
                    now if rng.random() < 0.1 else None,
                    rng.choice([600.0, 1800.0]),
                )
                for target in rng.sample(["first_reply", "resolution"], rng.randint(0, 2))
                for paused in [rng.random() < 0.15]
            )
            pr, ch = rng.choice(["high", "low"]), rng.choice(["email", "chat"])
            v = View("ticket", id_, "q", step, now, ch, pr, rng.random() < 0.8, sla=clocks)
            remove = rng.random() < 0.1
            if rng.random() < 0.02:
                c.sla.recount()  # as a bulk load does: counted again at the next sample
            c.update(v, remove=remove)
            if remove:
                views.pop(id_, None)
            else:
                views[id_] = v
        else:
            r = rng.random()
            now += rng.choice([0.0, 1.0, 60.0, 700.0]) if r < 0.9 else -0.5 if r < 0.95 else -2000
            # a moment back is served as of the latest instant (windows only move forward)
            at = latest if latest - 1.0 <= now < latest else now
            latest = at
            got = {
                (s.kpi, *[s.labels[k] for k in s.labels if k != "queue"]): s.value
                for s in c.samples("q", now)
                if s.kpi in ("open_tickets", "sla_at_risk", "sla_breached", "sla_breaching_soon")
                and s.value
            }
            assert got == recount(views, at), (seed, step)


def test_only_the_gauges_wanted_are_sampled() -> None:
    c = CurrentState()
    c.update(ticket("t1", sla(NOW + 600)), remove=False)
    c.update(call("c1", NOW - 5), remove=False)
    names = {s.kpi for s in c.samples("q", NOW, frozenset({"calls_waiting", "sla_at_risk"}))}
    assert names == {"calls_waiting", "sla_at_risk"}
