"""The receiver workers of the engine, rebuilt from config on reload.

receivers = ReceiverSet(client, metrics, dead_letter, clock, ledger)
receivers.configure(receiver_configs)
await receivers.replace(new_configs)   # hot reload: unchanged receivers keep their task
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import httpx

from alerts.config import Receiver, Rule
from alerts.metrics import NotifyMetrics
from alerts.notification import Notification
from alerts.pipeline import Clock, DeadLetterSink, Ledger, ReceiverWorker
from alerts.receivers import build_notifier
from alerts.receivers.base import Notifier
from alerts.retry import RetryPolicy


class ReceiverSet:
    """The receiver workers, rebuilt only for receivers whose config changed."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        metrics: NotifyMetrics,
        dead_letter: DeadLetterSink,
        clock: Clock,
        ledger: Ledger,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._metrics = metrics
        self._dead_letter = dead_letter
        self._clock = clock
        self._ledger = ledger
        self._rng = rng
        self._workers: dict[str, ReceiverWorker] = {}
        self._configs: dict[str, Receiver] = {}
        self._running = False

    def _build(self, cfg: Receiver) -> ReceiverWorker:
        policy = RetryPolicy(
            max_attempts=cfg.max_attempts,
            initial_backoff=cfg.initial_backoff.total_seconds(),
            max_backoff=cfg.max_backoff.total_seconds(),
            rng=self._rng,
        )
        return ReceiverWorker(
            build_notifier(cfg, self._client),
            policy,
            self._ledger,
            self._metrics,
            self._dead_letter,
            self._clock,
            queue_size=cfg.queue_size,
            concurrency=cfg.concurrency,
        )

    def configure(self, receivers: Sequence[Receiver]) -> list[ReceiverWorker]:
        """Apply a receiver list; return the workers that must be stopped."""
        workers: dict[str, ReceiverWorker] = {}
        for cfg in receivers:
            old = self._workers.get(cfg.name)
            keep = old is not None and self._configs.get(cfg.name) == cfg
            workers[cfg.name] = old if keep and old is not None else self._build(cfg)
        retired = [w for name, w in self._workers.items() if workers.get(name) is not w]
        self._workers = workers
        self._configs = {cfg.name: cfg for cfg in receivers}
        if self._running:
            self.start()
        return retired

    async def replace(self, receivers: Sequence[Receiver]) -> None:
        """Apply a receiver list and stop the workers it replaced."""
        for worker in self.configure(receivers):
            await worker.stop()

    def start(self) -> None:
        """Start every worker."""
        self._running = True
        for worker in self._workers.values():
            worker.start()

    async def stop(self) -> None:
        """Stop every worker."""
        self._running = False
        for worker in self._workers.values():
            await worker.stop()

    async def join(self) -> None:
        """Wait until every queue is empty and its last notification processed."""
        for worker in list(self._workers.values()):
            await worker.join()

    def for_rule(self, rule: Rule) -> list[Notifier]:
        """Return the notifiers a rule routes to (unknown names are skipped)."""
        return [self._workers[n].notifier for n in rule.receivers if n in self._workers]

    def submit(self, notification: Notification) -> bool:
        """Hand a notification to its receiver's queue."""
        worker = self._workers.get(notification.receiver)
        return worker is not None and worker.submit(notification)

    def worker(self, name: str) -> ReceiverWorker:
        """Return one worker (for tests and the API)."""
        return self._workers[name]

    def queues(self) -> dict[str, int]:
        """Return the queue length of every receiver."""
        return {name: w.queue_length() for name, w in self._workers.items()}
