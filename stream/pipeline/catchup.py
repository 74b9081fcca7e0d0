"""Whether the worker is catching up on a backlog or live (SPEC §4: rules are about now).

    catch_up = CatchUp(offsets=lambda: {("support.calls", 0): (120, 5000)})
    catch_up()          # True while reading a backlog, False once live

A worker is *catching up* while, on some partition it consumes (input topics and
the views topic; offsets as (committed, highwater)):

- nothing has been fetched yet (no highwater known), or
- the records that were there when it got the partition (the highwater of its
  first fetch) are not all processed and committed: the backlog, whatever its
  size, after downtime, on first deployment, after a rebalance; or
- it fell behind: records that were there `max_delay` seconds ago are not all
  processed, or more than `max_lag` records are not (a burst of history written
  into a live worker is a backlog from its first fetch on, even if it is read in
  less than `max_delay`). Mostly a delay, not a number of records: at 5,000
  events/s a live worker always has thousands of records in flight (fetched
  batches, the views between the stages, the second between commits), and
  holding notifications then would page late exactly when traffic is high;

and for `settle` seconds after (views still in flight between the two stages).
Event time alone cannot tell a backlog from a quiet queue or from a replay of old
history that has been read to its end, so it is not part of the definition.
While catching up, the alert engine holds notifications.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping

MAX_DELAY = 10.0  # seconds: a worker further behind than this is catching up
MAX_LAG = 20_000  # records unprocessed on one partition: 10 batches (KafkaSpec.batch_max)
SETTLE = 2.0  # seconds
Offsets = Mapping[tuple[str, int], tuple[int, int | None]]  # (topic, part) → (committed, hw)


class CatchUp:
    """Decide, each time it is called, whether the worker is catching up."""

    def __init__(
        self,
        offsets: Callable[[], Offsets],
        max_delay: float = MAX_DELAY,
        max_lag: int = MAX_LAG,
        settle: float = SETTLE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.offsets, self.monotonic = offsets, monotonic
        self.max_delay, self.max_lag, self.settle = max_delay, max_lag, settle
        self.reason = "starting"  # why it is (or last was) catching up
        self.backlog: dict[tuple[str, int], int] = {}  # partition → highwater at first fetch
        # partition → (when, highwater) seen, the newest one over `max_delay` old first
        self.seen: dict[tuple[str, int], deque[tuple[float, int]]] = {}
        self._behind_at: float | None = None  # monotonic time it was last seen behind

    def behind(self) -> str | None:
        """Return why the worker is behind right now, None if it is not."""
        offsets, now = self.offsets(), self.monotonic()
        self.backlog = {tp: end for tp, end in self.backlog.items() if tp in offsets}
        self.seen = {tp: seen for tp, seen in self.seen.items() if tp in offsets}
        reason = None
        for (topic, part), (done, hw) in sorted(offsets.items()):
            if hw is None:
                reason = reason or f"{topic}[{part}]: nothing fetched yet"
                continue
            end = self.backlog.setdefault((topic, part), hw)
            then = self._highwater_ago((topic, part), now, hw)
            if done < end:
                reason = reason or f"{topic}[{part}]: backlog, {end - done} records to go"
            elif hw - done > self.max_lag:
                reason = reason or f"{topic}[{part}]: behind, {hw - done} records not processed"
            elif done < then:
                late = f"{then - done} records over {self.max_delay:g} s old not processed"
                reason = reason or f"{topic}[{part}]: behind, {late}"
        return reason

    def _highwater_ago(self, tp: tuple[str, int], now: float, hw: int) -> int:
        """Return the partition's highwater as seen `max_delay` ago (0 if not seen then)."""
        seen = self.seen.setdefault(tp, deque())
        seen.append((now, hw))
        cutoff = now - self.max_delay
        while len(seen) > 1 and seen[1][0] <= cutoff:
            seen.popleft()
        return seen[0][1] if seen[0][0] <= cutoff else 0

    def __call__(self) -> bool:
        """Return whether the worker is catching up (behind now, or within `settle` of it)."""
        reason = self.behind()
        now = self.monotonic()
        if reason is not None:
            self.reason, self._behind_at = reason, now
            return True
        return self._behind_at is not None and now - self._behind_at < self.settle
