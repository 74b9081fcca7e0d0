"""The KPI core for a config: one entity stage per stream and the queue stage (no Kafka).

The worker (`stream.app`) and `kpiwatch backtest` build their stages here, so a
replay runs exactly the worker's core.

    entity, queues = build_stages(config)
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


def build_stages(
    config: Config, max_queues: int | None = None
) -> tuple[dict[str, EntityStage], QueueStage]:
    """Return the entity stages by stream and the queue stage (`max_queues` per partition)."""
    policies = config.build_sla_policies()
    wrapup = config.kpis.wrapup_timeout.total_seconds()
    keep = config.worker.retention.total_seconds()
    windows_keep = window_retention(config)
    entity = {
        "tickets": EntityStage(TicketKind(policies), keep),
        "calls": EntityStage(CallKind(wrapup), keep),
        "agents": EntityStage(AgentKind(windows_keep), keep),
    }
    params = (window_factory(config), kpi_params(config), windows_keep)
    queues = QueueStage(*params) if max_queues is None else QueueStage(*params, max_queues)
    return entity, queues
