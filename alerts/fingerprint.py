"""Alert fingerprints, computed exactly as Prometheus/Alertmanager do.

FNV-1a 64 over the sorted label names and values, each followed by a 0xff
separator, formatted as 16 hex digits: the same labels give the same
fingerprint here, in Alertmanager's API and in its webhook payloads.

    fingerprint({"alertname": "AbandonRateHigh", "queue": "billing"})  # '5d3b...'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

_OFFSET = 14695981039346656037
_PRIME = 1099511628211
_MASK = (1 << 64) - 1
_SEPARATOR = 0xFF


def _add(h: int, data: bytes) -> int:
    for byte in data:
        h ^= byte
        h = (h * _PRIME) & _MASK
    return h


def fingerprint(labels: Mapping[str, str]) -> str:
    """Return the 16-hex-digit fingerprint of a label set."""
    return _cached(tuple(sorted(labels.items())))


@functools.lru_cache(maxsize=65536)
def _cached(items: tuple[tuple[str, str], ...]) -> str:
    h = _OFFSET
    for name, value in items:
        h = _add(h, name.encode())
        h = _add(h, bytes([_SEPARATOR]))
        h = _add(h, value.encode())
        h = _add(h, bytes([_SEPARATOR]))
    return f"{h:016x}"
