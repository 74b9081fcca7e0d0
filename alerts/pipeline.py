"""Per-receiver delivery: a bounded queue and a task running dedup → retry → record.

    worker = ReceiverWorker(notifier, policy, ledger, metrics, dead_letter, clock)
    worker.start()
    worker.submit(notification)    # never blocks; a full queue drops (and counts) it
    await worker.stop()

Muting and grouping happen before (`alerts.mute`, `alerts.grouping`, run by
the engine for all receivers at once). A dropped or dead-lettered
notification is not recorded in the notification log, so the next flush of
its group finds it still due and tries again, as Alertmanager does; it is
dead-lettered once, not at every flush. Up to `concurrency` notifications of
one receiver are in flight at once; those of one group are delivered in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from alerts.delivery_state import DeadLettered, GroupLocks
from alerts.errors import DeliveryError
from alerts.metrics import NotifyMetrics
from alerts.notification import Notification
from alerts.receivers.base import Notifier
from alerts.retry import RetriesExhausted, RetryPolicy, Sleep, retry

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A notification given up after its retry budget, with the reason."""

    receiver: str
    group_key: str
    reason: str
    detail: str
    attempts: int
    at: datetime
    alerts: tuple[dict[str, Any], ...]
    payload: Any

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (no secrets: URLs and headers are never included)."""
        return {
            "kind": "notification",
            "receiver": self.receiver,
            "group_key": self.group_key,
            "reason": self.reason,
            "detail": self.detail,
            "attempts": self.attempts,
            "at": self.at.isoformat(),
            "alerts": list(self.alerts),
            "payload": self.payload,
        }


DeadLetterSink = Callable[[DeadLetter], Awaitable[None]]


class Ledger(Protocol):
    """The notification log, as the dedup and record stages see it."""

    def due(self, notification: Notification, notifier: Notifier) -> bool:
        """Return whether any alert of the notification is due for this receiver."""
        ...

    def record(self, notification: Notification, receiver: str, at: datetime) -> None:
        """Log that the notification was delivered."""
        ...


class ReceiverWorker:
    """One receiver's queue and delivery task."""

    def __init__(
        self,
        notifier: Notifier,
        policy: RetryPolicy,
        ledger: Ledger,
        metrics: NotifyMetrics,
        dead_letter: DeadLetterSink,
        clock: Clock,
        queue_size: int = 1000,
        sleep: Sleep = asyncio.sleep,
        concurrency: int = 4,
    ) -> None:
        self.notifier = notifier
        self.policy = policy
        self._ledger = ledger
        self._metrics = metrics
        self._dead_letter = dead_letter
        self._clock = clock
        self._sleep = sleep
        self._queue: asyncio.Queue[Notification] = asyncio.Queue(maxsize=queue_size)
        self._task: asyncio.Task[None] | None = None
        self.concurrency = concurrency
        self._inflight: set[asyncio.Task[None]] = set()
        self._groups = GroupLocks()
        self._dead = DeadLettered()

    @property
    def name(self) -> str:
        """Return the receiver name."""
        return self.notifier.name

    def queue_length(self) -> int:
        """Return how many notifications wait."""
        return self._queue.qsize()

    def submit(self, notification: Notification) -> bool:
        """Enqueue without blocking; return False (and count it) if the queue is full."""
        try:
            self._queue.put_nowait(notification)
        except asyncio.QueueFull:
            self._metrics.failed.labels(self.name, "queue_full").inc()
            log.warning(
                "receiver %s: queue full, notification %s deferred",
                self.name,
                notification.group_key,
            )
            return False
        return True

    def start(self) -> None:
        """Start the delivery task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"kpiwatch-receiver-{self.name}")

    async def stop(self) -> None:
        """Cancel the delivery task; undelivered notifications stay due."""
        task, self._task = self._task, None
        tasks = [task] if task is not None else []
        tasks += list(self._inflight)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async def join(self) -> None:
        """Wait until the queue is empty and the last notification processed."""
        await self._queue.join()

    async def _run(self) -> None:
        # up to `concurrency` deliveries at once (a hanging receiver costs its timeout per
        # slot, not per notification in turn); one group's notifications stay in order
        slots = asyncio.Semaphore(self.concurrency)
        while True:
            notification = await self._queue.get()
            try:
                await slots.acquire()
            except asyncio.CancelledError:
                self._queue.task_done()  # stopped while waiting for a slot: stays due
                raise
            task = asyncio.create_task(self._deliver(notification, slots))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _deliver(self, notification: Notification, slots: asyncio.Semaphore) -> None:
        try:
            async with self._groups.hold(notification.group_key):
                await self.process(notification)
        except Exception:
            log.exception("receiver %s: unexpected error", self.name)
        finally:
            slots.release()
            self._queue.task_done()

    async def process(self, notification: Notification) -> None:
        """Run dedup → retry → record for one notification."""
        if not self._ledger.due(notification, self.notifier):
            return
        try:
            attempts = await retry(
                lambda: self._attempt(notification), self.policy, self._sleep, self._failed
            )
        except RetriesExhausted as exc:
            self._metrics.retries.labels(self.name).inc(exc.attempts - 1)
            await self._give_up(notification, exc)
            return
        self._metrics.retries.labels(self.name).inc(attempts - 1)
        self._metrics.sent.labels(self.name).inc()
        self._dead.forget(notification)
        self._ledger.record(notification, self.name, self._clock())

    async def _attempt(self, notification: Notification) -> None:
        started = time.perf_counter()
        try:
            await self.notifier.notify(notification)
        finally:
            self._metrics.duration.labels(self.name).observe(time.perf_counter() - started)

    def _failed(self, exc: DeliveryError) -> None:
        self._metrics.failed.labels(self.name, exc.reason).inc()
        log.info("receiver %s: attempt failed: %s", self.name, exc)

    async def _give_up(self, notification: Notification, exc: RetriesExhausted) -> None:
        if not self._dead.first_time(notification):
            # still due, so the next group flush tries again, but it has its dead letter
            log.warning(
                "receiver %s: notification %s still failing after %d attempt(s): %s "
                "(already dead-lettered)",
                self.name,
                notification.group_key,
                exc.attempts,
                exc,
            )
            return
        log.error("receiver %s: giving up after %d attempt(s): %s", self.name, exc.attempts, exc)
        self._metrics.dead_lettered.labels(self.name, exc.reason).inc()
        record = DeadLetter(
            receiver=self.name,
            group_key=notification.group_key,
            reason=exc.reason,
            detail=exc.detail,
            attempts=exc.attempts,
            at=self._clock(),
            alerts=tuple(
                {"fingerprint": a.fingerprint, "status": a.status, "labels": dict(a.labels)}
                for a in notification.alerts
            ),
            payload=self.notifier.payload(notification),
        )
        try:
            await self._dead_letter(record)
        except Exception:
            log.exception("receiver %s: dead-letter sink failed", self.name)
