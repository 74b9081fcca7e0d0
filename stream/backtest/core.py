"""What a replay needs to know of a config's KPI core (the stages come from `stream.core`)."""

from __future__ import annotations

from stream.config.root import Config


def warmup_seconds(config: Config) -> float:
    """Return how much history before `--from` fills the longest window (`today`: a day)."""
    return max((td.total_seconds() if td else 86400.0) for td in config.window_lengths().values())


def core_key(config: Config) -> str:
    """Return what decides the KPI values: two configs with equal keys share one replay."""
    parts = config.model_dump(
        mode="json",
        include={
            "timezone",
            "windows",
            "kpis",
            "calendars",
            "sla_policies",
            "replay_threshold",
            "worker",
        },
    )
    return repr(sorted(parts.items()))
