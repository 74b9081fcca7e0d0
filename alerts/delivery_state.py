"""What a receiver worker remembers between deliveries: group locks, dead letters sent.

locks = GroupLocks()
async with locks.hold(group_key): ...      # one group's notifications in order
dead = DeadLettered()
if dead.first_time(notification): ...      # dead-letter a notification once
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator

from alerts.notification import Notification

Identity = tuple[str, tuple[tuple[str, str, str], ...]]


class GroupLocks:
    """One FIFO lock per group key in use; unused keys are forgotten."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the group's lock (asyncio locks are FIFO: submission order is kept)."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def identity(n: Notification) -> Identity:
    """Return what makes a notification the same one at the next flush of its group."""
    alerts = sorted((a.fingerprint, a.status, a.starts_at.isoformat()) for a in n.alerts)
    return n.group_key, tuple(alerts)


class DeadLettered:
    """The notifications already dead-lettered (bounded, oldest forgotten first)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._seen: OrderedDict[Identity, None] = OrderedDict()
        self._limit = limit

    def first_time(self, n: Notification) -> bool:
        """Return True once per notification (and remember it)."""
        key = identity(n)
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return True

    def forget(self, n: Notification) -> None:
        """Forget a notification that was delivered after all."""
        self._seen.pop(identity(n), None)
