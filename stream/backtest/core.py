"""The worker's KPI core for a config, built as `stream.app.build_pipeline` builds it.

`stream.app` imports faust (it is the wiring), so the same stages are assembled
here without it: one entity stage per logical stream, one queue stage.
"""

from __future__ import annotations

from collections.abc import Callable

from stream.config.kpi_params import kpi_params
from stream.config.root import Config
from stream.entities.agents import AgentKind
from stream.entities.calls import CallKind
from stream.entities.tickets import TicketKind
from stream.kpis.windows import RollingWindow, SlidingWindow, TodayWindow
from stream.pipeline.stages import EntityStage, QueueStage


def window_factory(config: Config) -> Callable[[], dict[str, RollingWindow]]:
    """Return a function that builds a fresh set of the configured windows."""
    lengths = config.window_lengths()

    def make() -> dict[str, RollingWindow]:
        return {
            name: TodayWindow(config.timezone) if td is None else SlidingWindow(td.total_seconds())
            for name, td in lengths.items()
        }

    return make


def window_retention(config: Config) -> float:
    """Return how long a fact must be kept to be inside any window, with margin."""
    longest = max(
        (td.total_seconds() if td else 86400.0 * 1.1) for td in config.window_lengths().values()
    )
    return 2 * longest + config.replay_threshold.total_seconds()


def warmup_seconds(config: Config) -> float:
    """Return how much history before `--from` fills the longest window (`today`: a day)."""
    return max((td.total_seconds() if td else 86400.0) for td in config.window_lengths().values())


def build_stages(config: Config) -> tuple[dict[str, EntityStage], QueueStage]:
    """Return the entity stages by stream and the queue stage for `config`."""
    policies = config.build_sla_policies()
    wrapup = config.kpis.wrapup_timeout.total_seconds()
    keep = config.worker.retention.total_seconds()
    windows_keep = window_retention(config)
    entity = {
        "tickets": EntityStage(TicketKind(policies), keep),
        "calls": EntityStage(CallKind(wrapup), keep),
        "agents": EntityStage(AgentKind(windows_keep), keep),
    }
    return entity, QueueStage(window_factory(config), kpi_params(config), windows_keep)


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
