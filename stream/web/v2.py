"""Alertmanager API v2 routes on the worker, for amtool and Grafana.

`GET /api/v2/alerts`, `GET /api/v2/alerts/groups`, `GET|POST /api/v2/silences`,
`GET|DELETE /api/v2/silence/{id}`, `GET /api/v2/status`, `GET /api/v2/receivers`; writes
need the bearer token when `http.auth_token` is set.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import faust
import yaml
from faust.web import View

from alerts.errors import SilenceError, SilenceNotFound
from stream.alerting import Alerting
from stream.version import kpiwatch_version
from stream.web.amv2 import Filter, alert_v2, query_bool, silence_from_v2, silence_v2
from stream.web.errors import RequestError, error_body

STARTED = datetime.now(UTC)


def refused(view: View, problems: list[str], status: int = 400) -> Any:
    """Return the JSON error response for `problems`."""
    return view.json(error_body(problems), status=status)


def add_v2(app: faust.App, alerting: Alerting, ready: Callable[[], bool]) -> None:
    """Register the Alertmanager v2 routes."""

    def denied(view: View, request: Any) -> Any:
        if alerting.authorized(request.headers.get("Authorization")):
            return None
        return refused(view, ["bearer token required"], 401)

    @app.page("/api/v2/alerts")
    async def alerts(self: View, request: Any) -> Any:
        try:
            return self.json(list_alerts(alerting, request.query))
        except RequestError as exc:
            return refused(self, exc.problems)

    @app.page("/api/v2/alerts/groups")
    async def groups(self: View, request: Any) -> Any:
        try:
            return self.json(alert_groups(alerting, list_alerts(alerting, request.query)))
        except RequestError as exc:
            return refused(self, exc.problems)

    @app.page("/api/v2/receivers")
    async def receivers(self: View, request: Any) -> Any:
        return self.json([{"name": r.name} for r in alerting.config.receivers])

    @app.page("/api/v2/silences")
    class Silences(View):
        async def get(self, request: Any) -> Any:
            try:
                wanted = Filter.parse(request.query.getall("filter", []))
            except RequestError as exc:
                return refused(self, exc.problems)
            engine, now = alerting.engine, datetime.now(UTC)
            items = engine.silences.all(now) if engine else []
            return self.json(
                [silence_v2(s, now) for s in items if wanted.matches(s.silence.matchers)]
            )

        async def post(self, request: Any) -> Any:
            if (resp := denied(self, request)) is not None:
                return resp
            try:
                silence = silence_from_v2(await request.read())
                sid = await alerting.add_silence(silence.model_dump_json().encode())
            except RequestError as exc:
                return refused(self, exc.problems)
            except SilenceError as exc:
                return refused(self, [str(exc)])
            return self.json({"silenceID": sid})

    @app.page("/api/v2/silence/{sid}")
    class Silence(View):
        async def get(self, request: Any, sid: str) -> Any:
            engine, now = alerting.engine, datetime.now(UTC)
            try:
                if engine is None:
                    raise SilenceNotFound(sid)
                return self.json(silence_v2(engine.silences.get(sid), now))
            except SilenceNotFound:
                return refused(self, [f"no silence {sid}"], 404)

        async def delete(self, request: Any, sid: str) -> Any:
            if (resp := denied(self, request)) is not None:
                return resp
            try:
                await alerting.expire_silence(sid)
            except SilenceNotFound:
                return refused(self, [f"no silence {sid}"], 404)
            except SilenceError as exc:
                return refused(self, [str(exc)])
            return self.json({})

    @app.page("/api/v2/status")
    async def status(self: View, request: Any) -> Any:
        return self.json(status_v2(alerting, ready()))


def list_alerts(alerting: Alerting, query: Any) -> list[dict[str, Any]]:
    """Return the firing alerts as gettableAlerts, filtered as Alertmanager does."""
    wanted = Filter.parse(query.getall("filter", []))
    active = query_bool(query, "active", True)
    silenced = query_bool(query, "silenced", True)
    inhibited = query_bool(query, "inhibited", True)
    receiver = query.get("receiver") or ""
    engine, now = alerting.engine, datetime.now(UTC)
    routes = {r.name: r.receivers for r in alerting.config.rules}
    out = []
    for a in engine.alerts_json() if engine else []:
        if a["state"] != "firing" or not wanted.matches(a["labels"]):
            continue
        is_silenced, is_inhibited = bool(a["silencedBy"]), bool(a["inhibitedBy"])
        if (is_silenced and not silenced) or (is_inhibited and not inhibited):
            continue
        if not (is_silenced or is_inhibited) and not active:
            continue
        receivers = routes.get(a["rule"], [])
        if receiver and not any(_fullmatch(receiver, r) for r in receivers):
            continue
        out.append(alert_v2(a, receivers, now))
    return out


def alert_groups(alerting: Alerting, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return alertGroups: per receiver, the alerts sharing their rule's group_by labels."""
    group_by = {r.name: r.group_by for r in alerting.config.rules}
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = {}
    for a in alerts:
        keys = group_by.get(a["labels"].get("alertname", ""), ["alertname"])
        labels = tuple(sorted((k, a["labels"][k]) for k in keys if k in a["labels"]))
        for r in a["receivers"]:
            groups.setdefault((r["name"], labels), []).append(a)
    return [
        {"labels": dict(labels), "receiver": {"name": name}, "alerts": members}
        for (name, labels), members in sorted(groups.items())
    ]


def _fullmatch(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error as exc:
        raise RequestError(f"receiver: invalid regex {pattern!r}: {exc}") from None


def status_v2(alerting: Alerting, ready: bool) -> dict[str, Any]:
    """Return an alertmanagerStatus; the config is summarised, never echoed (secrets)."""
    c = alerting.config
    summary = {
        "config_file": str(alerting.config_path or ""),
        "rules": [r.name for r in c.rules],
        "receivers": [r.name for r in c.receivers],
        "last_reload_successful": not alerting.reload_error,
    }
    return {
        "cluster": {"name": c.kafka.client_id, "status": "ready" if ready else "settling"},
        "versionInfo": {
            "version": kpiwatch_version(),
            "revision": "",
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": f"python{platform.python_version()}",
        },
        "config": {"original": yaml.safe_dump(summary, sort_keys=False)},
        "uptime": STARTED.isoformat().replace("+00:00", "Z"),
    }
