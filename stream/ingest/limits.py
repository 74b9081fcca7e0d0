"""A token bucket: `per_second` requests sustained, `burst` at once; time injected.

bucket = TokenBucket(per_second=200, burst=400, now=time.monotonic)
if not bucket.take():
    answer 429 with Retry-After: bucket.retry_after()
"""

from __future__ import annotations

import math
from collections.abc import Callable


class TokenBucket:
    """Admit a request when a token is left; tokens refill continuously."""

    def __init__(self, per_second: float, burst: int, now: Callable[[], float]) -> None:
        self.rate, self.burst, self.now = per_second, float(burst), now
        self.tokens, self.stamp = float(burst), now()

    def take(self) -> bool:
        """Take one token if there is one; return whether the request is admitted."""
        t = self.now()
        self.tokens = min(self.burst, self.tokens + (t - self.stamp) * self.rate)
        self.stamp = t
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def retry_after(self) -> int:
        """Return whole seconds until the next token."""
        return max(1, math.ceil((1.0 - self.tokens) / self.rate))
