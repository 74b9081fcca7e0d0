"""Register the console's pages, forms and static files on the faust web server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

import faust
from faust.web import View

from alerts.errors import SilenceError, SilenceNotFound
from stream.alerting import Alerting
from stream.kafka.processor import Processor
from stream.kpis.catalogue import Selection
from stream.version import kpiwatch_version
from stream.web.console import pages
from stream.web.console.forms import silence_from_form
from stream.web.console.state import (
    HEADLINES,
    Context,
    History,
    Status,
    headline_windows,
    headlines,
)
from stream.web.errors import RequestError

log = logging.getLogger("kpiwatch.console")
Lag = Callable[[], dict[tuple[str, int], int]]


def _only(windows: Mapping[str, str]) -> Selection:
    """Return the headline KPIs in their windows (a full snapshot is slow with many queues)."""
    return Selection.of(HEADLINES, windows.values())


RECORD_EVERY = 20.0  # seconds between sparkline points (an hour is 180 points)
STATIC = {"console.css": "text/css", "console.js": "text/javascript"}


class Console:
    """Build a page Context from the live worker."""

    def __init__(self, worker: Processor, alerting: Alerting, lag: Lag) -> None:
        self.worker, self.alerting, self.lag = worker, alerting, lag
        self.history = History()

    def record(self) -> None:
        """Add a sparkline point for every owned queue."""
        windows = headline_windows(self.alerting.config)
        values = headlines(self.worker.pipeline.snapshot(_only(windows)), windows)
        self.history.record(values, datetime.now(UTC))

    def context(self) -> Context:
        """Return what a page shows, now."""
        a, now = self.alerting, datetime.now(UTC)
        c = a.config
        windows = headline_windows(c)
        engine = a.engine
        catch_up = a.catch_up_status()
        status = Status(
            version=kpiwatch_version(),
            config_path=a.config_path,
            loaded_at=a.loaded_at,
            reload_ok=not a.reload_error,
            reload_error=a.reload_error,
            restart_required=a.restart_required,
            ready=self.worker.ready,
            catching_up=bool(catch_up["catching_up"]),
            behind=str(catch_up.get("behind", "")),
            owned={k: set(v) for k, v in self.worker.owned.items()},
            lag=self.lag(),
            brokers=",".join(c.kafka.bootstrap_servers),
            http=f"{c.http.host}:{c.http.port}",
        )
        return Context(
            now=now,
            config=c,
            alerts=engine.alerts_json() if engine else [],
            silences=engine.silences.all(now) if engine else [],
            values=headlines(self.worker.pipeline.snapshot(_only(windows)), windows),
            history=self.history,
            status=status,
            registry=a.registry,
            auth_required=c.http.auth_token is not None,
            windows=windows,
        )

    def token_ok(self, request: Any, form: Mapping[str, str]) -> bool:
        """Return whether the form's token (or the Authorization header) allows writes."""
        header = request.headers.get("Authorization")
        token = form.get("token")
        return self.alerting.authorized(f"Bearer {token}" if token else header)


def add_console(app: faust.App, worker: Processor, alerting: Alerting, lag: Lag) -> None:
    """Register `/`, `/alerts`, `/silences`, `/notifications`, `/status` and `/static/`."""
    console = Console(worker, alerting, lag)

    @app.task  # type: ignore[untyped-decorator]
    async def record_history() -> None:
        while True:  # a point now, then every RECORD_EVERY seconds
            if worker.ready:
                try:
                    console.record()
                except Exception:  # a missed sparkline point must not stop the next ones
                    log.exception("could not record the console's KPI history")
            await asyncio.sleep(RECORD_EVERY)

    def simple(path: str, render: Callable[[Context], str]) -> None:
        async def handler(self: View, request: Any) -> Any:
            return self.html(render(console.context()))

        app.page(path, name=f"console{path.replace('/', '-')}")(handler)

    simple("/", pages.overview)
    simple("/alerts", pages.alerts)
    simple("/notifications", pages.notifications)
    simple("/status", pages.status)

    def silences_page(view: View, prefill: Mapping[str, str], msg: str, status: int) -> Any:
        return view.html(pages.silences(console.context(), prefill, msg), status=status)

    @app.page("/silences", name="console-silences")
    class Silences(View):
        async def get(self, request: Any) -> Any:
            query = dict(request.query)
            msg = query.pop("_msg", "")
            return silences_page(self, query, msg, 200)

        async def post(self, request: Any) -> Any:
            form = {k: str(v) for k, v in (await request.post()).items()}
            prefill = dict(line.partition("=")[::2] for line in form.get("matchers", "").split())
            if not console.token_ok(request, form):
                return silences_page(self, prefill, "Refused: a valid API token is needed.", 401)
            try:
                body = silence_from_form(form, datetime.now(UTC))
                sid = await alerting.add_silence(body)
            except RequestError as exc:
                return silences_page(self, prefill, "Refused: " + "; ".join(exc.problems), 400)
            except SilenceError as exc:
                return silences_page(self, prefill, f"Refused: {exc}", 400)
            return _see_other(self, "/silences?" + urlencode({"_msg": f"Silence {sid} created."}))

    @app.page("/silences/{sid}/expire", name="console-expire")
    class Expire(View):
        async def post(self, request: Any, sid: str) -> Any:
            form = {k: str(v) for k, v in (await request.post()).items()}
            if not console.token_ok(request, form):
                return silences_page(self, {}, "Refused: a valid API token is needed.", 401)
            try:
                await alerting.expire_silence(sid)
            except (SilenceNotFound, SilenceError) as exc:
                return silences_page(self, {}, f"Refused: {exc}", 400)
            return _see_other(self, "/silences?" + urlencode({"_msg": f"Silence {sid} expired."}))

    @app.page("/static/{name}", name="console-static")
    async def static(self: View, request: Any, name: str) -> Any:
        if name not in STATIC:
            return self.text("not found", status=404)
        body = files("stream.web.console").joinpath("static", name).read_bytes()
        return self.bytes(body, content_type=STATIC[name])


def _see_other(view: View, location: str) -> Any:
    return view.text("", status=303, headers={"Location": location})
