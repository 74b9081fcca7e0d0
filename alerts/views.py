"""Render alert states for receivers and for `GET /api/v1/alerts`.

view = alert_view(state, rule, external_url)      # AlertView, annotations rendered
alert_json(state, rule, mute_status)              # the API representation
alerts_json(states, rule_of, mute_of)             # `GET /api/v1/alerts`, sorted
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from alerts.config import Rule
from alerts.lifecycle import AlertState
from alerts.mute import MuteStatus
from alerts.notification import AlertView
from alerts.templating import Value, render


def render_annotations(state: AlertState, rule: Rule) -> dict[str, str]:
    """Render the rule's annotation templates for one alert."""
    context: dict[str, Value] = {
        **state.labels,
        "value": state.value,
        "samples": state.samples,
        "threshold": rule.threshold,
        "recovery_threshold": rule.recovery,
        "kpi": rule.kpi,
        "window": rule.window or "",
        "stat": rule.stat or "",
        "rule": rule.name,
    }
    return {name: render(text, context) for name, text in rule.annotations.items()}


def generator_url(state: AlertState, external_url: str) -> str:
    """Return a link to this alert in kpiwatch's API ('' without an external URL)."""
    if not external_url:
        return ""
    return f"{external_url.rstrip('/')}/api/v1/alerts?fingerprint={quote(state.fingerprint)}"


def alert_view(state: AlertState, rule: Rule, external_url: str) -> AlertView:
    """Return the receiver view of a firing or resolved alert."""
    starts = state.fired_at or state.active_at or state.last_seen
    return AlertView(
        fingerprint=state.fingerprint,
        status="resolved" if state.state == "resolved" else "firing",
        labels=dict(state.labels),
        annotations=render_annotations(state, rule),
        starts_at=starts,
        ends_at=state.resolved_at if state.state == "resolved" else None,
        generator_url=generator_url(state, external_url),
        rule=rule.name,
        kpi=rule.kpi,
        window=rule.window,
        op=rule.op,
        threshold=rule.threshold,
        value=state.value,
        samples=state.samples,
    )


def alert_json(state: AlertState, rule: Rule | None, mute: MuteStatus) -> dict[str, Any]:
    """Return the API representation of an alert instance."""
    return {
        "fingerprint": state.fingerprint,
        "rule": state.rule,
        "state": state.state,
        "labels": dict(state.labels),
        "annotations": render_annotations(state, rule) if rule is not None else {},
        "value": state.value,
        "samples": state.samples,
        "threshold": rule.threshold if rule is not None else None,
        "activeAt": _iso(state.active_at),
        "startsAt": _iso(state.fired_at),
        "endsAt": _iso(state.resolved_at),
        "silencedBy": list(mute.silenced_by),
        "inhibitedBy": list(mute.inhibited_by),
        "notified": {
            r: {"status": e.status, "at": e.at.isoformat()} for r, e in state.notified.items()
        },
    }


def alerts_json(
    states: Iterable[AlertState],
    rule_of: Callable[[str], Rule | None],
    mute_of: Callable[[AlertState], MuteStatus],
) -> list[dict[str, Any]]:
    """Return the API representation of alert instances, by rule then fingerprint."""
    ordered = sorted(states, key=lambda s: (s.rule, s.fingerprint))
    return [alert_json(s, rule_of(s.rule), mute_of(s)) for s in ordered]


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())
