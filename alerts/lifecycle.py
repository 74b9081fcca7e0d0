"""The alert state machine: inactive → pending → firing → resolved (pure).

    state = None                                   # inactive
    for snapshot in snapshots:
        ev = ...                                   # an Evaluation of rule × labels
        state = step(state, ev, rule, snapshot.at)

`step` never looks at a clock: time comes in as `now` (the KPI clock). The
notification log (`notified`: last status and time sent per receiver) lives
in the state so that both persist together; `notification_due` decides from
it whether a receiver must hear about the alert (new firing, resolved, or
`repeat_interval` elapsed). `to_dict`/`from_dict` give JSON-able dicts for a
changelog-backed table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from alerts.config import Rule
from alerts.fingerprint import fingerprint
from alerts.rules import Condition, Evaluation

State = Literal["pending", "firing", "resolved"]
NotifyStatus = Literal["firing", "resolved"]
_SCHEMA = 1


@dataclass(frozen=True, slots=True)
class NotifyEntry:
    """What a receiver was last told about an alert, and when."""

    status: NotifyStatus
    at: datetime


@dataclass(frozen=True, slots=True)
class AlertState:
    """One alert instance (rule × label set) that is not inactive."""

    fingerprint: str
    rule: str
    labels: Mapping[str, str]
    state: State
    last_seen: datetime
    value: float | None = None
    samples: int | None = None
    active_at: datetime | None = None
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    recovering_since: datetime | None = None
    notified: Mapping[str, NotifyEntry] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "v": _SCHEMA,
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "labels": dict(self.labels),
            "state": self.state,
            "last_seen": _ts(self.last_seen),
            "value": self.value,
            "samples": self.samples,
            "active_at": _ts(self.active_at),
            "fired_at": _ts(self.fired_at),
            "resolved_at": _ts(self.resolved_at),
            "recovering_since": _ts(self.recovering_since),
            "notified": {
                r: {"status": e.status, "at": _ts(e.at)} for r, e in self.notified.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertState:
        """Rebuild a state from `to_dict` output; raise ValueError if malformed."""
        try:
            if data["v"] != _SCHEMA:
                raise ValueError(f"unsupported alert state schema {data['v']!r}")
            state = data["state"]
            if state not in ("pending", "firing", "resolved"):
                raise ValueError(f"unknown alert state {state!r}")
            notified = {
                str(r): NotifyEntry(_status(e["status"]), _parse(e["at"]))
                for r, e in data["notified"].items()
            }
            return cls(
                fingerprint=str(data["fingerprint"]),
                rule=str(data["rule"]),
                labels={str(k): str(v) for k, v in data["labels"].items()},
                state=state,
                last_seen=_parse(data["last_seen"]),
                value=None if data["value"] is None else float(data["value"]),
                samples=None if data["samples"] is None else int(data["samples"]),
                active_at=_opt(data["active_at"]),
                fired_at=_opt(data["fired_at"]),
                resolved_at=_opt(data["resolved_at"]),
                recovering_since=_opt(data["recovering_since"]),
                notified=notified,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed alert state: {exc!r}") from exc

    def persisted_fields(self) -> tuple[Any, ...]:
        """Return the fields whose change must be persisted (not value or last_seen)."""
        return (
            self.state,
            self.active_at,
            self.fired_at,
            self.resolved_at,
            self.recovering_since,
            tuple(sorted(self.notified.items())),
        )


def step(prev: AlertState | None, ev: Evaluation, rule: Rule, now: datetime) -> AlertState | None:
    """Advance one alert instance by one evaluation; return None for inactive."""
    if prev is None:
        if ev.breach is not Condition.TRUE:
            return None
        fp = fingerprint(ev.labels)
        new = AlertState(fp, rule.name, dict(ev.labels), "pending", now, active_at=now)
        return _fire_if_due(replace(new, value=ev.value, samples=ev.samples), rule, now)
    cur = replace(prev, value=ev.value, samples=ev.samples, last_seen=now)
    if cur.state == "resolved":
        if ev.breach is not Condition.TRUE:
            return cur
        return _fire_if_due(replace(cur, state="pending", active_at=now), rule, now)
    if cur.state == "pending":
        if ev.breach is Condition.TRUE:
            return _fire_if_due(cur, rule, now)
        # condition gone, or unknown (too few samples never fires): back to before
        return expire(cur, now)
    return _from_firing(cur, ev, rule, now)


def _fire_if_due(pending: AlertState, rule: Rule, now: datetime) -> AlertState:
    assert pending.active_at is not None
    if now - pending.active_at < rule.for_:
        return pending
    return replace(pending, state="firing", fired_at=now, resolved_at=None, recovering_since=None)


def _from_firing(cur: AlertState, ev: Evaluation, rule: Rule, now: datetime) -> AlertState:
    if ev.holding is Condition.UNKNOWN:
        return cur  # too few samples never resolves a firing alert by itself
    if ev.holding is Condition.TRUE:
        return replace(cur, recovering_since=None)
    since = cur.recovering_since or now
    if now - since >= rule.keep_firing_for:
        return _resolve_firing(cur, now)
    return replace(cur, recovering_since=since)


def _resolve_firing(cur: AlertState, now: datetime) -> AlertState:
    return replace(cur, state="resolved", resolved_at=now, recovering_since=None)


def expire(cur: AlertState, now: datetime) -> AlertState | None:
    """End an alert whose series or rule is gone: resolve if firing, drop if pending."""
    if cur.state == "firing":
        return _resolve_firing(cur, now)
    if cur.state == "pending" and cur.resolved_at is None:
        return None
    return replace(cur, state="resolved", active_at=None)


def notification_due(
    state: AlertState,
    receiver: str,
    now: datetime,
    repeat_interval: timedelta,
    send_resolved: bool,
) -> bool:
    """Return whether `receiver` must be told about the alert now."""
    entry = state.notified.get(receiver)
    if state.state == "firing":
        if entry is None or entry.status != "firing":
            return True
        return now - entry.at >= repeat_interval
    if state.state == "resolved":
        return send_resolved and entry is not None and entry.status == "firing"
    return False


def record(state: AlertState, receiver: str, status: NotifyStatus, at: datetime) -> AlertState:
    """Return the state with a notification to `receiver` logged."""
    return replace(state, notified={**state.notified, receiver: NotifyEntry(status, at)})


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    if parsed.utcoffset() is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return parsed


def _opt(value: Any) -> datetime | None:
    return None if value is None else _parse(value)


def _status(value: Any) -> NotifyStatus:
    if value == "firing":
        return "firing"
    if value == "resolved":
        return "resolved"
    raise ValueError(f"unknown notification status {value!r}")
