"""A mergeable quantile sketch that also supports removal.

DDSketch's logarithmic mapping (1 % relative accuracy) decides the bins; the
store is our own dict of bin → count, because a KPI observation can be
retracted (an out-of-order event corrects a first response time) and
ddsketch's stores only grow.

    s = Sketch()
    s.add(12.0); s.add(30.0); s.remove(12.0)
    s.quantile(0.5)   # ≈ 30.0 (within 1 %)
"""

from __future__ import annotations

from ddsketch.mapping import LogarithmicMapping

RELATIVE_ACCURACY = 0.01
_MAPPING = LogarithmicMapping(RELATIVE_ACCURACY)
_MIN_POSITIVE = _MAPPING.min_possible
_ZERO = -(2**31)  # bin of values too small to map (≤ 0 s): reported as 0


def _bin(value: float) -> int:
    return int(_MAPPING.key(value)) if value > _MIN_POSITIVE else _ZERO


class Sketch:
    """Counts per logarithmic bin; add, remove, merge, quantile."""

    __slots__ = ("bins", "count")

    def __init__(self) -> None:
        self.bins: dict[int, int] = {}
        self.count = 0

    def add(self, value: float, weight: int = 1) -> None:
        """Add `value` (`weight` < 0 removes it)."""
        key = _bin(value)
        n = self.bins.get(key, 0) + weight
        if n:
            self.bins[key] = n
        else:
            self.bins.pop(key, None)
        self.count += weight

    def remove(self, value: float) -> None:
        """Remove one earlier-added `value`."""
        self.add(value, -1)

    def merge(self, other: Sketch, sign: int = 1) -> None:
        """Add (or with sign=-1 subtract) every bin of `other`."""
        for key, n in other.bins.items():
            m = self.bins.get(key, 0) + sign * n
            if m:
                self.bins[key] = m
            else:
                self.bins.pop(key, None)
        self.count += sign * other.count

    def quantile(self, q: float) -> float | None:
        """Return the q-quantile (lower rank, as DDSketch), None when empty."""
        if self.count <= 0:
            return None
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self.bins):
            seen += self.bins[key]
            if seen > rank:
                return 0.0 if key == _ZERO else float(_MAPPING.value(key))
        return None  # unreachable while counts are consistent
