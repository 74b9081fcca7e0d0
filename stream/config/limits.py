"""The `limits` section: bounds on what input can make the worker hold and expose.

    limits:
      max_queues: 500     # distinct queues; views of further queues are dead-lettered

Each queue costs about 90 series on /metrics and its KPI state in memory, and any
string in an event's `queue` field makes one, so their number is bounded. The bound
is split evenly over the views partitions (`kafka.partitions`): each holds at most
ceil(max_queues / partitions) queues, which keeps the result independent of how
many workers share the partitions. Queues hash unevenly, so leave about 25 %
headroom over the queues you expect.
"""

from __future__ import annotations

import math

from pydantic import Field

from alerts.strict import Strict

DEFAULT_MAX_QUEUES = 500


class Limits(Strict):
    """Bounds on queues (label cardinality)."""

    max_queues: int = Field(default=DEFAULT_MAX_QUEUES, ge=1, le=100_000)

    def per_partition(self, partitions: int) -> int:
        """Return how many queues one views partition may hold."""
        return math.ceil(self.max_queues / max(1, partitions))
