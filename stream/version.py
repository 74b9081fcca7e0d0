"""kpiwatch's version, as installed (the source tree's pyproject version otherwise)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def kpiwatch_version() -> str:
    """Return the installed kpiwatch version ('unknown' when not installed)."""
    try:
        return version("kpiwatch")
    except PackageNotFoundError:
        return "unknown"
