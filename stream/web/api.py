"""Alerting endpoints and timers on the worker's faust web server.

`GET /api/v1/alerts`, `GET|POST /api/v1/silences`, `DELETE /api/v1/silences/{id}`,
`POST /-/reload`; writes need the bearer token when `http.auth_token` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from pydantic import ValidationError

from alerts.errors import SilenceError, SilenceNotFound
from stream.alerting import Alerting
from stream.kafka.web import Reply, Request, Routes
from stream.web.errors import error_body, problems_of

log = logging.getLogger("kpiwatch.api")
COALESCE_S = 0.05  # evaluate at most this often on KPI changes


def add_alerting(
    routes: Routes, alerting: Alerting, ready: Callable[[], bool], interval: float
) -> None:
    """Register the alerting startup task, the evaluation loop and the HTTP endpoints."""

    async def start_alerting() -> None:
        await alerting.start()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(alerting.reload()))
        routes.spawn(alerting.watch_file())

    async def evaluate() -> None:
        # on a fixed `interval` cadence for what moves with time alone (longest_wait,
        # sla_at_risk, `for` durations), and in between on every KPI change (coalesced)
        loop, changed_event = asyncio.get_running_loop(), alerting.changed
        tick = loop.time() + interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed_event.wait(), max(0.0, tick - loop.time()))
            changed = changed_event.is_set()
            changed_event.clear()
            while tick <= loop.time():
                tick += interval
            if ready():
                try:
                    await alerting.evaluate_and_persist()
                except Exception:  # keep evaluating: one bad round must not stop alerting
                    log.exception("alert evaluation failed")
            if changed:
                await asyncio.sleep(COALESCE_S)

    routes.task(start_alerting)
    routes.on_stop(alerting.stop)  # SIGTERM/SIGINT: stop notifying, persist, close the client
    routes.task(evaluate)
    add_endpoints(routes, alerting)


def add_endpoints(routes: Routes, alerting: Alerting) -> None:
    """Register the alert, silence and reload endpoints."""

    def denied(request: Request) -> Reply | None:
        if alerting.authorized(request.headers.get("Authorization")):
            return None
        return Reply(error_body(["bearer token required"]), status=401)

    async def alerts(request: Request) -> Reply:
        engine = alerting.engine
        body = {"alerts": engine.alerts_json() if engine else [], **alerting.catch_up_status()}
        return Reply(body)

    async def silences(request: Request) -> Reply:
        engine = alerting.engine
        return Reply({"silences": engine.silences_json() if engine else []})

    async def add_silence(request: Request) -> Reply:
        if (resp := denied(request)) is not None:
            return resp
        try:
            sid = await alerting.add_silence(await request.read())
        except ValidationError as exc:
            return Reply(error_body(problems_of(exc)), status=400)
        except SilenceError as exc:
            return Reply(error_body([str(exc)]), status=400)
        return Reply({"silenceID": sid})

    async def expire_silence(request: Request) -> Reply:
        if (resp := denied(request)) is not None:
            return resp
        sid = request.match_info["sid"]
        try:
            await alerting.expire_silence(sid)
        except SilenceNotFound:
            return Reply(error_body([f"no silence {sid}"]), status=404)
        except SilenceError as exc:
            return Reply(error_body([str(exc)]), status=400)
        return Reply({"expired": sid})

    async def reload(request: Request) -> Reply:
        if (resp := denied(request)) is not None:
            return resp
        ok = await alerting.reload()
        body = {
            "reloaded": ok,
            "error": alerting.reload_error,
            "restart_required": list(alerting.restart_required),
        }
        return Reply(body, status=200 if ok else 400)

    routes.add("/api/v1/alerts", get=alerts)
    routes.add("/api/v1/silences", get=silences, post=add_silence)
    routes.add("/api/v1/silences/{sid}", delete=expire_silence)
    routes.add("/-/reload", post=reload)
