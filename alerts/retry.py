"""Retry with exponential backoff and jitter, honouring Retry-After.

    policy = RetryPolicy(max_attempts=5, initial_backoff=1.0, max_backoff=60.0)
    attempts = await retry(send, policy, sleep=asyncio.sleep, on_retry=count)

What is retryable is decided by the error (`DeliveryError.retryable`, set by
`alerts.receivers.base.check_response`); this module only decides how long
to wait and when to give up.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from alerts.errors import DeliveryError, PermanentDeliveryError

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, and the backoff bounds in seconds."""

    max_attempts: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, failures: int) -> float:
        """Return the wait after `failures` failed attempts: exponential, equal jitter."""
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** (failures - 1))
        return base / 2 + self.rng() * base / 2


class RetriesExhausted(DeliveryError):
    """The last error of a delivery that gave up, with the attempt count."""

    def __init__(self, last: DeliveryError, attempts: int) -> None:
        super().__init__(last.reason, last.detail, last.retry_after)
        self.attempts = attempts
        self.retryable = last.retryable


async def retry(
    send: Callable[[], Awaitable[None]],
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
    on_error: Callable[[DeliveryError], None] = lambda _: None,
) -> int:
    """Call `send` until it succeeds; return the attempt count or raise RetriesExhausted."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            await send()
        except DeliveryError as exc:
            on_error(exc)
            if not exc.retryable or attempt == policy.max_attempts:
                raise RetriesExhausted(exc, attempt) from exc
            wait = policy.backoff(attempt)
            if exc.retry_after is not None:
                if exc.retry_after > policy.max_backoff:
                    too_long = PermanentDeliveryError(
                        exc.reason,
                        f"{exc.detail} (Retry-After {exc.retry_after:g}s exceeds "
                        f"max_backoff {policy.max_backoff:g}s)",
                    )
                    raise RetriesExhausted(too_long, attempt) from exc
                wait = exc.retry_after
            await sleep(wait)
        else:
            return attempt
    raise AssertionError("unreachable: max_attempts >= 1")
