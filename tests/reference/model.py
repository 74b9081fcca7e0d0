"""A reference model of SPEC §2: every KPI as a plain batch computation over all events.

    values = evaluate(events, now, Settings(windows={"15m": 900.0, "today": None}))
    values[("calls_answered", (("queue", "billing"), ("window", "15m")))]   # (3.0, None)

No import from the streaming code: one pass per entity over its events sorted by
time, then each KPI is a sum or a ratio over the facts whose time a window covers.
The readings of SPEC §2 it encodes (also in docs/kpis.md):

- an event id seen twice for one entity counts once; an entity's events are
  taken in (occurred_at, event_id) order whatever order they came in;
- window W at `now` = the buckets of W/60 seconds (at least 1 s) whose end is
  after now − W, so a fact at `at` ≤ now counts when
  (floor(at / res) + 1) · res > now − W; `today` = same local date as now;
- a ticket's facts (created, replies, SLA, surveys…) all count in the queue,
  channel and priority it has *now* (after every `ticket.updated`): a transfer
  moves its whole history, so each fact counts exactly once, in one queue;
- SLA: 24×7 calendars only; the clock pauses in the policy's `pause_on`
  statuses (resolution also while solved/closed); a target concludes at its
  met instant if met in time (met), else at its due instant (breached), and
  counts once that instant is ≤ now; first_response is met by the first
  public agent reply (or by solving); state is judged as of the ticket's
  newest event, as a view would;
- a call counts when it left the queue; AHT at wrap-up (if within the wrap-up
  timeout of the end) else at end + timeout, with no after-call work.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

Key = tuple[str, tuple[tuple[str, str], ...]]  # (kpi, sorted labels)
Value = tuple[float | None, int | None]  # (value, samples)
CLOSED = {"solved", "closed"}


@dataclass(frozen=True)
class Policy:
    """An SLA policy on the 24×7 calendar (None priorities: any)."""

    priorities: frozenset[str] | None
    first_response: float
    resolution: float
    at_risk: float
    pause_on: frozenset[str] = frozenset({"pending", "on_hold"})


@dataclass(frozen=True)
class Settings:
    """The KPI definitions the model is evaluated with."""

    windows: dict[str, float | None]
    timezone: str = "UTC"
    short_abandon: float = 5.0
    service_level: float = 20.0
    wrapup_timeout: float = 600.0
    policies: tuple[Policy, ...] = ()


@dataclass
class Fact:
    """An observation: name, time, value, and the labels it counts under."""

    name: str
    at: float
    value: float
    queue: str
    channel: str = ""
    priority: str = ""


@dataclass
class State:
    """What the events add up to: facts, and the current state of the entities."""

    facts: list[Fact] = field(default_factory=list)
    open_tickets: list[tuple[str, str, str]] = field(default_factory=list)  # queue, ch, pr
    # queue, priority, target, due (None: paused), business seconds left if paused, at_risk
    sla: list[tuple[str, str, str, float | None, float | None, float]] = field(default_factory=list)
    waiting: list[tuple[str, float]] = field(default_factory=list)  # queue, queued at
    agents: list[tuple[str, str]] = field(default_factory=list)  # queue, status


def ts(event: dict[str, Any]) -> float:
    """Return the event time in epoch seconds."""
    return datetime.fromisoformat(event["occurred_at"]).timestamp()


def entities(events: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Group events by entity, drop repeated event ids, sort by (time, id)."""
    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for e in events:
        kind = "ticket" if "ticket_id" in e else "call" if "call_id" in e else "agent"
        out[(kind, e[kind + "_id"])].setdefault(e["event_id"], e)
    return {k: sorted(v.values(), key=lambda e: (ts(e), e["event_id"])) for k, v in out.items()}


def ticket(evs: list[dict[str, Any]], s: Settings, st: State) -> None:
    """Add one ticket's facts and current state."""
    created = None
    queue = channel = priority = survey_queue = ""
    status, history = "new", list[tuple[float, str]]()
    first_reply: float | None = None
    solved: float | None = None
    escalated: float | None = None
    agent_replies, reopens, surveys = 0, list[float](), list[tuple[str, float, float]]()
    for e in evs:
        t, typ = ts(e), e["type"]
        if typ == "ticket.created" and created is None:
            created, queue, channel, priority = t, e["queue"], e["channel"], e["priority"]
            history.insert(0, (t, "new"))
        elif typ == "ticket.updated":
            queue, channel = e.get("queue") or queue, e.get("channel") or channel
            priority = e.get("priority") or priority
        elif typ == "ticket.replied" and e.get("public", True) and e["author"] == "agent":
            agent_replies += 1
            first_reply = t if first_reply is None else first_reply
        elif typ == "ticket.status_changed":
            new = e["status"]
            if status in CLOSED and new not in CLOSED:
                reopens.append(t)
            if new == "solved" or (new == "closed" and status != "solved"):
                solved = t
            status = new
            history.append((t, new))
        elif typ == "ticket.escalated" and escalated is None:
            escalated = t
        elif typ == "survey.responded":
            surveys.append((e["survey"], t, float(e["score"])))
            survey_queue = survey_queue or e.get("queue") or ""
    if created is None:  # only its surveys count, in the survey's queue
        st.facts.extend(Fact(n, t, v, survey_queue) for n, t, v in surveys if survey_queue)
        return
    out = [(n, t, v) for n, t, v in surveys]
    out.append(("created", created, 0.0))
    if first_reply is not None:
        out.append(("frt", first_reply, max(0.0, first_reply - created)))
    done = solved if status in CLOSED else None
    if done is not None:
        out.append(("solved", done, max(0.0, done - created)))
        out.append(("fcr", done, float(agent_replies == 1 and not reopens)))
    out.extend(("reopened", t, 0.0) for t in reopens)
    if escalated is not None:
        out.append(("escalated", escalated, 0.0))
    policy = next((p for p in s.policies if p.priorities is None or priority in p.priorities), None)
    if policy is not None:
        last = ts(evs[-1])
        targets = (
            ("first_response", policy.first_response, first_reply if first_reply else done),
            ("resolution", policy.resolution, done),
        )
        for target, duration, met in targets:
            pause_on = policy.pause_on | (CLOSED if target == "resolution" else set())
            due, left, in_time = sla_clock(created, duration, paused(history, pause_on), met, last)
            if in_time:
                out.append(("sla:" + target, met, 1.0))  # type: ignore[arg-type]
            elif due is not None:
                out.append(("sla:" + target, due, 0.0))
            if status not in CLOSED and in_time is None:  # open and not met yet
                st.sla.append((queue, priority, target, due, left, policy.at_risk))
    st.facts.extend(Fact(n, t, v, queue, channel, priority) for n, t, v in out)
    if status not in CLOSED:
        st.open_tickets.append((queue, channel, priority))


def paused(history: list[tuple[float, str]], pause_on: Iterable[str]) -> list[list[Any]]:
    """Return [start, end or None] of the stretches spent in `pause_on`."""
    out: list[list[Any]] = []
    for t, status in history:
        if status in pause_on and (not out or out[-1][1] is not None):
            out.append([t, None])
        elif status not in pause_on and out and out[-1][1] is None:
            out[-1][1] = t
    return out


def sla_clock(
    start: float, duration: float, pauses: list[list[Any]], met: float | None, last: float
) -> tuple[float | None, float | None, bool | None]:
    """Return (due instant or None while paused, seconds left if paused, met in time?).

    The clock runs from `start`, stops during pauses and for good when met; only
    what happened by `last` (the ticket's newest event) is known. `met in time` is
    None while not met.
    """
    until = last if met is None else met
    cursor, left = start, duration
    for p_start, p_end in pauses:
        if p_start > until or (p_end is not None and p_end <= start):
            continue
        p_start = max(p_start, start)
        if cursor + left <= p_start:
            break  # due before this pause began
        left -= p_start - cursor
        if p_end is None or p_end > until:
            return None, left, None if met is None else True  # paused (met while paused)
        cursor = p_end
    due = cursor + left
    return due, None, None if met is None else not due < met


def call(evs: list[dict[str, Any]], s: Settings, st: State) -> None:
    """Add one call's facts and current state."""
    queue = survey_queue = ""
    queued = left = answered = ended = wrapup = None
    abandoned = False
    out: list[tuple[str, float, float]] = []
    for e in evs:
        t, typ = ts(e), e["type"]
        if typ == "call.queued" and queued is None:
            queue, queued = e["queue"], t
        elif typ in ("call.answered", "call.abandoned") and left is None:
            left, abandoned = t, typ == "call.abandoned"
            answered = None if abandoned else t
        elif typ == "call.ended" and ended is None:
            ended = t
        elif typ == "call.wrapup_completed" and wrapup is None:
            wrapup = t
        elif typ == "survey.responded":
            out.append((e["survey"], t, float(e["score"])))
            survey_queue = survey_queue or e.get("queue") or ""
    queue = queue or survey_queue
    if not queue:
        return
    if queued is not None and left is not None:
        out.append(("abandoned" if abandoned else "answered", left, max(0.0, left - queued)))
    if answered is not None and ended is not None:
        talk = max(0.0, ended - answered)
        if wrapup is not None and wrapup - ended <= s.wrapup_timeout:
            out.append(("aht", wrapup, talk + max(0.0, wrapup - ended)))
        else:
            out.append(("aht", ended + s.wrapup_timeout, talk))
    st.facts.extend(Fact(n, t, v, queue) for n, t, v in out)
    if queued is not None and left is None:
        st.waiting.append((queue, queued))


def agent(evs: list[dict[str, Any]], st: State) -> None:
    """Add one agent's current status to the queues it serves now."""
    status, queues = "", tuple[str, ...]()
    for e in evs:
        status, queues = e["status"], tuple(e.get("queues") or queues)
    st.agents.extend((q, status) for q in sorted(set(queues)))


def in_window(at: float, now: float, span: float | None, tz: str) -> bool:
    """Return whether a fact at `at` counts in the window of `span` (None: today) at `now`."""
    if at > now:
        return False
    if span is None:
        zone = ZoneInfo(tz)
        return datetime.fromtimestamp(at, zone).date() == datetime.fromtimestamp(now, zone).date()
    res = max(1.0, span / 60)
    return (math.floor(at / res) + 1) * res > now - span


def ratio(num: float, den: float) -> float | None:
    """Return num / den, None when den is 0."""
    return num / den if den else None


def quantile(values: list[float], q: float) -> float | None:
    """Return the value at rank q·(n−1) (lower neighbour), None when empty."""
    return sorted(values)[math.floor(q * (len(values) - 1))] if values else None


def windowed(facts: list[Fact], s: Settings, now: float) -> dict[Key, Value]:
    """Return every windowed KPI of every queue and window."""
    out: dict[Key, Value] = {}
    for queue in sorted({f.queue for f in facts}):
        for window, span in s.windows.items():
            fs = [f for f in facts if f.queue == queue and in_window(f.at, now, span, s.timezone)]
            out.update(queue_window(fs, queue, window, s))
    return out


def queue_window(fs: list[Fact], queue: str, window: str, s: Settings) -> dict[Key, Value]:
    """Return the windowed KPIs of the facts of one queue in one window (SPEC §2 table)."""

    def of(name: str) -> list[float]:
        return [f.value for f in fs if f.name == name]

    base = {"queue": queue, "window": window}
    ans, abd_all = of("answered"), of("abandoned")
    abd = [v for v in abd_all if v >= s.short_abandon]
    offered = len(ans) + len(abd)
    created, solved, fcr = of("created"), of("solved"), of("fcr")
    csat, nps, ces, aht = of("csat"), of("nps"), of("ces"), of("aht")
    rows: list[tuple[str, dict[str, str], float | None, int | None]] = [
        ("abandon_rate", base, ratio(len(abd), offered), offered),
        ("service_level", base, ratio(sum(v <= s.service_level for v in ans), offered), offered),
        ("asa", base, ratio(sum(ans), len(ans)), len(ans)),
        ("aht", base, ratio(sum(aht), len(aht)), len(aht)),
        ("calls_offered", base, float(len(ans) + len(abd_all)), None),
        ("calls_answered", base, float(len(ans)), None),
        ("calls_abandoned", base, float(len(abd_all)), None),
        ("tickets_created", base, float(len(created)), None),
        ("tickets_solved", base, float(len(solved)), None),
        ("fcr", base, ratio(sum(fcr), len(fcr)), len(fcr)),
        ("reopen_rate", base, ratio(len(of("reopened")), len(solved)), len(solved)),
        ("escalation_rate", base, ratio(len(of("escalated")), len(created)), len(created)),
        ("csat", base, ratio(sum(v >= 4 for v in csat), len(csat)), len(csat)),
        ("nps", base, ratio(100.0 * sum((v >= 9) - (v <= 6) for v in nps), len(nps)), len(nps)),
        ("ces", base, ratio(sum(ces), len(ces)), len(ces)),
    ]
    for pr, target in sorted({(f.priority, f.name[4:]) for f in fs if f.name.startswith("sla:")}):
        met = [f.value for f in fs if f.name == "sla:" + target and f.priority == pr]
        labels = {**base, "priority": pr, "target": target}
        rows.append(("sla_compliance", labels, ratio(sum(met), len(met)), len(met)))
    for kpi, name in (("frt", "frt"), ("resolution_time", "solved")):
        for ch, pr in sorted({(f.channel, f.priority) for f in fs if f.name == name}):
            vs = [f.value for f in fs if f.name == name and (f.channel, f.priority) == (ch, pr)]
            labels = {**base, "channel": ch, "priority": pr}
            rows.append((kpi, {**labels, "stat": "mean"}, sum(vs) / len(vs), len(vs)))
            rows.append((kpi, {**labels, "stat": "p50"}, quantile(vs, 0.5), len(vs)))
            rows.append((kpi, {**labels, "stat": "p90"}, quantile(vs, 0.9), len(vs)))
    return {(kpi, tuple(sorted(labels.items()))): (v, n) for kpi, labels, v, n in rows}


def current(st: State, now: float) -> dict[Key, Value]:
    """Return the current-state KPIs as of `now` (absent label sets are 0)."""
    counts: dict[Key, float] = defaultdict(float)

    def add(kpi: str, value: float = 1.0, **labels: str) -> None:
        key = (kpi, tuple(sorted(labels.items())))
        counts[key] = max(counts[key], value) if kpi == "longest_wait" else counts[key] + value

    for q, ch, pr in st.open_tickets:
        add("open_tickets", queue=q, channel=ch, priority=pr)
    for q, pr, target, due, left, at_risk in st.sla:
        if (due is None and left is not None and left <= 0) or (due is not None and due < now):
            add("sla_breached", queue=q, priority=pr, target=target)
        elif due is not None and due - now <= at_risk:
            add("sla_at_risk", queue=q, priority=pr, target=target)
    for q, since in st.waiting:
        add("calls_waiting", queue=q)
        add("longest_wait", max(0.0, now - since), queue=q)
    for q, status in st.agents:
        add("agents_" + status, queue=q, status=status)
    return {k: (v, None) for k, v in counts.items()}


def evaluate(events: Iterable[dict[str, Any]], now: float, s: Settings) -> dict[Key, Value]:
    """Return every KPI of SPEC §2 over all `events`, as of `now`."""
    st = State()
    for (kind, _), evs in entities(events).items():
        if kind == "ticket":
            ticket(evs, s, st)
        elif kind == "call":
            call(evs, s, st)
        else:
            agent(evs, st)
    return {**windowed(st.facts, s, now), **current(st, now)}
