"""Bind the alert engine to the worker: evaluation timer, persistence, API.

Alert state lives in the queues table, in the partition of the alert's queue,
under keys `ALERT_PREFIX + fingerprint`: whoever owns a queue owns its alerts,
and a rebalance or restart restores them with the queue's state.

    alerting = Alerting(config, path, pipeline, registry, clock=utc_now, client=client,
                        outbox=outbox, silence_log=silence_log)
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from prometheus_client import CollectorRegistry, Gauge

from alerts.config import Silence
from alerts.engine import AlertEngine
from alerts.pipeline import DeadLetter
from alerts.redaction import redact
from stream.config.offloop import READ_TIMEOUT_S, load_off_loop, run_off_loop
from stream.config.reload import plan_reload
from stream.config.root import Config, ConfigError, apply_settings, load_config
from stream.config.settings import load_settings
from stream.kafka.outbox import Outbox
from stream.kafka.silence_log import SilenceLog
from stream.kafka.writer import ALERT_PREFIX
from stream.kpis.catalogue import Selection
from stream.pipeline.batch import Pipeline
from stream.pipeline.stages import Dirty

log = logging.getLogger("kpiwatch.alerting")
STOP_FLUSH_S = 3.0  # the most shutdown waits for the last alert state write


class Alerting:
    """The worker's alerting: evaluate snapshots, persist state, reload config."""

    def __init__(
        self,
        config: Config,
        config_path: Path | None,
        pipeline: Pipeline,
        registry: CollectorRegistry,
        *,
        clock: Callable[[], datetime],
        client: httpx.AsyncClient,
        outbox: Outbox,
        silence_log: SilenceLog | None = None,
        catch_up: Callable[[], bool] = lambda: False,
    ) -> None:
        self.config, self.config_path, self.pipeline = config, config_path, pipeline
        self.registry, self.clock, self.client = registry, clock, client
        self.outbox, self.silence_log = outbox, silence_log
        self.engine: AlertEngine | None = None
        self.changed = asyncio.Event()  # set on every KPI change (see `kpis_changed`)
        self.reload_ok = Gauge(
            "kpiwatch_config_last_reload_successful",
            "1 if the last config reload succeeded.",
            registry=registry,
        )
        self.reload_ok.set(1)
        self.restart_gauge = Gauge(
            "kpiwatch_config_restart_required",
            "1 if the last reloaded config changed settings that apply only after a restart.",
            registry=registry,
        )
        self.restart_required: tuple[str, ...] = ()
        self.reload_error = ""
        self.loaded_at = datetime.now(UTC)  # when the running config was loaded
        self._pending: list[dict[str, Any]] | None = None
        self._known: dict[str, int] = {}  # fingerprint → partition, to delete resolved ones
        self._recorded = asyncio.Event()
        self._persister: asyncio.Task[None] | None = None
        self._pending_silences: list[dict[str, Any]] | None = None
        self._loaded_stat = self._file_stat()  # the file as loaded at start (see watch_file)
        self.catch_up = catch_up  # whether the worker is behind on a backlog (holds notices)
        self.catching_up = True  # as of the last evaluation (none yet: not known to be live)
        self.stopped = False  # set by `stop`
        self.kpi_changes = 0  # batches of views applied and rebuilds (the /metrics cache key)

    async def start(self) -> None:
        """Create the engine; start its receiver tasks and the silence log."""
        c = self.config
        self.engine = AlertEngine(
            c.rules,
            c.receivers,
            c.silences,
            c.inhibit_rules,
            clock=self.clock,
            client=self.client,
            registry=self.registry,
            dead_letter=self._on_dead_letter,
        )
        if self._pending is not None:
            self.engine.restore(self._pending)
        self.engine.on_record(self._recorded.set)
        if self._pending_silences is not None:
            self.on_silences(self._pending_silences)
        if self.silence_log is not None:
            await self.silence_log.start(self.on_silences)
        await self.engine.start()
        self._persister = asyncio.create_task(self._persist_deliveries())

    async def _persist_deliveries(self) -> None:
        """Persist the notification log as soon as a delivery is logged.

        The window in which a SIGKILL can cause a re-send is then one changelog write
        (milliseconds), not an evaluation interval.
        """
        while True:
            await self._recorded.wait()
            self._recorded.clear()
            try:
                await self.outbox.persist("queues", self.changes())
            except Exception:
                log.exception("could not persist the notification log")

    async def stop(self) -> None:
        """Stop notifying, persist alert state and the notification log, close the client."""
        # at SIGTERM/SIGINT, before faust flushes its producer: a delivery cut short stays
        # due in the persisted state and is sent after the restart
        self.stopped = True  # no evaluation enqueues a notification from here on
        if self.engine is not None:
            await self.engine.stop()  # flusher and receivers: undelivered notifications stay due
        if self._persister is not None:
            self._persister.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._persister
            self._persister = None
        try:
            await asyncio.wait_for(self.outbox.persist("queues", self.changes()), STOP_FLUSH_S)
        except Exception as exc:  # the broker is gone: the last changes are lost, not the exit
            log.warning("could not persist the alert state at shutdown: %r", exc)
        if self.silence_log is not None:
            await self.silence_log.stop()
        await self.client.aclose()
        log.info("alerting stopped: alert state persisted, HTTP client closed")

    async def _on_dead_letter(self, dl: DeadLetter) -> None:
        text = orjson.dumps(dl.to_dict(), default=str).decode()
        await self.outbox.dead_letter(redact(text).encode(), dl.reason)

    def kpis_changed(self) -> None:
        """Note a KPI change: the evaluation loop runs early (coalesced)."""
        self.kpi_changes += 1
        self.changed.set()

    def pause(self) -> None:
        """Stop notifying until the next `restore` (a rebalance has begun)."""
        if self.engine is not None:
            self.engine.pause()

    def restore(self, states: list[dict[str, Any]]) -> None:
        """Replace alert state with what the owned partitions hold."""
        self.kpi_changes += 1  # the queues were rebuilt with them
        if self.engine is None:
            self._pending = states
        else:
            self.engine.restore(states)

    async def evaluate_and_persist(self) -> None:
        """Evaluate rules and persist the alert states that changed."""
        await self.outbox.persist("queues", self.evaluate())

    def evaluate(self) -> list[Dirty]:
        """Evaluate rules on a fresh snapshot; return state records to persist."""
        if self.engine is None or self.stopped:
            return []
        self.catching_up = self.catch_up()
        self.engine.hold_notifications(self.catching_up)
        # only the KPIs the rules name: a snapshot of every KPI of every queue each
        # 500 ms is what livelocked a worker with many queues
        rules = self.config.rules
        only = Selection.of((r.kpi for r in rules), (r.window for r in rules if r.window))
        self.engine.evaluate(self.pipeline.snapshot(only))
        return self.changes()

    def is_catching_up(self) -> bool:
        """Return whether the worker is catching up on a backlog (notifications held)."""
        return self.catching_up

    def catch_up_status(self) -> dict[str, Any]:
        """Return the catching-up state for /readyz and the alerts API."""
        reason = getattr(self.catch_up, "reason", "")
        return {
            "catching_up": self.catching_up,
            "mode": "catching_up" if self.catching_up else "live",
            **({"behind": reason} if self.catching_up and reason else {}),
        }

    def changes(self) -> list[Dirty]:
        """Return the changed alert states as records of the queues table."""
        if self.engine is None:
            return []
        parts = self.pipeline.queues.partition_of
        out: list[Dirty] = []
        for fp, d in self.engine.take_changes().items():
            queue = (d or {}).get("labels", {}).get("queue")
            part = parts(queue) if queue else None
            if part is None and d is None:
                part = self._known.pop(fp, None)
            if part is None:
                continue
            if d is not None:
                self._known[fp] = part
            # kept in the table store: copied to its size (orjson's buffer is ≥ 4 KiB)
            value = None if d is None else memoryview(orjson.dumps(d)).tobytes()
            out.append((part, ALERT_PREFIX + fp, value))
        return out

    async def reload(self) -> bool:
        """Reload the config file; swap its live parts if valid, keep the old config if not."""
        if self.config_path is None or self.engine is None:
            return False
        self._loaded_stat = await self._file_stat_off_loop()
        try:
            path = self.config_path
            new = await load_off_loop(
                lambda: apply_settings(load_config(path), load_settings()), path
            )
            plan = plan_reload(self.config, new, str(self.config_path))
        except ConfigError as exc:
            self.reload_ok.set(0)
            self.reload_error = redact(str(exc))
            log.error("config reload rejected, keeping the running config:\n%s", exc)
            return False
        c = plan.config
        await self.engine.replace_config(c.rules, c.receivers, c.silences, c.inhibit_rules)
        self.config, self.restart_required = c, plan.restart_required
        self.reload_ok.set(1)
        self.restart_gauge.set(1 if plan.restart_required else 0)
        self.reload_error = ""
        self.loaded_at = datetime.now(UTC)
        if plan.restart_required:
            log.warning(
                "config reloaded from %s; restart to apply the changes to: %s",
                self.config_path,
                ", ".join(plan.restart_required),
            )
        else:
            log.info("config reloaded from %s", self.config_path)
        return True

    def authorized(self, header: str | None) -> bool:
        """Return whether a request may change state (bearer token, when configured)."""
        token = self.config.http.auth_token
        if token is None:
            return True
        want = f"Bearer {token.get_secret_value()}"
        return header is not None and hmac.compare_digest(header.encode(), want.encode())

    async def add_silence(self, body: bytes) -> str:
        """Add a silence from a JSON body, replicated to every worker; return its id."""
        assert self.engine is not None
        sid = self.engine.add_silence(Silence.model_validate_json(body))
        await self._replicate(sid)
        return sid

    async def expire_silence(self, sid: str) -> None:
        """Expire an API silence on every worker."""
        assert self.engine is not None
        self.engine.expire_silence(sid)
        await self._replicate(sid)

    async def _replicate(self, sid: str) -> None:
        if self.silence_log is None or self.engine is None:
            return
        for d in self.engine.silences.to_dicts():
            if d.get("id") == sid:
                await self.silence_log.put(d)

    def on_silences(self, dicts: list[dict[str, Any]]) -> None:
        """Take the replicated API silences (from the silence log)."""
        if self.engine is None:
            self._pending_silences = dicts
            return
        try:
            self.engine.silences.restore(dicts)
        except ValueError:
            log.exception("bad replicated silence ignored")

    async def watch_file(self) -> None:
        """Reload when the config file changes.

        The watcher is armed only once this task runs, after start-up: an edit made before
        that (or an event the watcher misses) is caught by comparing the file's stat with the
        one last loaded, once per watcher timeout.
        """
        if self.config_path is None:
            return
        from watchfiles import awatch

        with contextlib.suppress(asyncio.CancelledError):
            async for changes in awatch(self.config_path, yield_on_timeout=True):
                if changes or await self._file_stat_off_loop() != self._loaded_stat:
                    await self.reload()

    async def _file_stat_off_loop(self) -> tuple[int, int] | None:
        """Stat the config file in a thread: a hung mount must not stall the loop."""
        try:
            return await run_off_loop(self._file_stat, READ_TIMEOUT_S)
        except TimeoutError:
            return None

    def _file_stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.config_path) if self.config_path is not None else None
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size) if st is not None else None
