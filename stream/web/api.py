"""Alerting endpoints and timers on the worker's faust web server.

`GET /api/v1/alerts`, `GET|POST /api/v1/silences`, `DELETE /api/v1/silences/{id}`,
`POST /-/reload`; writes need the bearer token when `http.auth_token` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import faust
from faust.web import View
from pydantic import ValidationError

from alerts.errors import SilenceError, SilenceNotFound
from stream.alerting import Alerting
from stream.kafka.processor import Worker
from stream.web.errors import error_body, problems_of

log = logging.getLogger("kpiwatch.api")
COALESCE_S = 0.05  # evaluate at most this often on KPI changes


def add_alerting(app: faust.App, worker: Worker, alerting: Alerting, interval: float) -> None:
    """Register the alerting startup task, the evaluation loop and the HTTP endpoints."""

    alerting.persist = lambda state: worker.persist("queues", state)

    @app.task
    async def start_alerting() -> None:
        await alerting.start()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(alerting.reload()))
        app.add_future(alerting.watch_file())

    kpis_changed = asyncio.Event()
    worker.on_views = kpis_changed.set

    @app.task
    async def evaluate() -> None:
        # on a fixed `interval` cadence for what moves with time alone (longest_wait,
        # sla_at_risk, `for` durations), and in between on every KPI change (coalesced)
        loop = asyncio.get_running_loop()
        tick = loop.time() + interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(kpis_changed.wait(), max(0.0, tick - loop.time()))
            changed = kpis_changed.is_set()
            kpis_changed.clear()
            while tick <= loop.time():
                tick += interval
            if worker.ready:
                try:
                    await worker.persist("queues", alerting.evaluate())
                except Exception:  # keep evaluating: one bad round must not stop alerting
                    log.exception("alert evaluation failed")
            if changed:
                await asyncio.sleep(COALESCE_S)

    def denied(view: View, request: Any) -> Any:
        if alerting.authorized(request.headers.get("Authorization")):
            return None
        return view.json(error_body(["bearer token required"]), status=401)

    @app.page("/api/v1/alerts")
    async def alerts(self: View, request: Any) -> Any:
        engine = alerting.engine
        return self.json({"alerts": engine.alerts_json() if engine else []})

    @app.page("/api/v1/silences")
    class Silences(View):  # type: ignore[misc]
        async def get(self, request: Any) -> Any:
            engine = alerting.engine
            return self.json({"silences": engine.silences_json() if engine else []})

        async def post(self, request: Any) -> Any:
            if (resp := denied(self, request)) is not None:
                return resp
            try:
                sid = await alerting.add_silence(await request.read())
            except ValidationError as exc:
                return self.json(error_body(problems_of(exc)), status=400)
            except SilenceError as exc:
                return self.json(error_body([str(exc)]), status=400)
            return self.json({"silenceID": sid})

    @app.page("/api/v1/silences/{sid}")
    class Silence(View):  # type: ignore[misc]
        async def delete(self, request: Any, sid: str) -> Any:
            if (resp := denied(self, request)) is not None:
                return resp
            try:
                await alerting.expire_silence(sid)
            except SilenceNotFound:
                return self.json(error_body([f"no silence {sid}"]), status=404)
            except SilenceError as exc:
                return self.json(error_body([str(exc)]), status=400)
            return self.json({"expired": sid})

    @app.page("/-/reload")
    class Reload(View):  # type: ignore[misc]
        async def post(self, request: Any) -> Any:
            if (resp := denied(self, request)) is not None:
                return resp
            ok = await alerting.reload()
            return self.json(
                {
                    "reloaded": ok,
                    "error": alerting.reload_error,
                    "restart_required": list(alerting.restart_required),
                },
                status=200 if ok else 400,
            )
