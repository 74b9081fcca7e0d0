"""What a config reload changes live, and what only a restart changes.

    plan = plan_reload(running, new, file="config/kpiwatch.yaml")   # may raise ConfigInvalidError
    engine.replace_config(plan.config.rules, ...)
    if plan.restart_required:
        log.warning("restart to apply: %s", ", ".join(plan.restart_required))

Rules, receivers, inhibition, config silences and the API token are swapped live.
KPI definitions (windows, timezone, replay threshold, KPI options, calendars, SLA policies),
Kafka and worker settings shape state that is already built: they keep their running
values until a restart. A rule that needs one of them changed (a window the running
worker does not compute) is rejected, rather than accepted and silently never firing.
"""

from __future__ import annotations

from dataclasses import dataclass

from stream.config.errors import ConfigInvalidError, ConfigIssue, format_loc
from stream.config.root import Config

RESTART_ONLY = (
    "kafka",
    "timezone",
    "windows",
    "replay_threshold",
    "kpis",
    "calendars",
    "sla_policies",
    "worker",
    "limits",
)


@dataclass(frozen=True)
class ReloadPlan:
    """The config to run after a reload, and what of the file waits for a restart."""

    config: Config
    restart_required: tuple[str, ...]


def plan_reload(running: Config, new: Config, file: str = "") -> ReloadPlan:
    """Return the running config with `new`'s live parts; raise if a rule cannot run."""
    issues = [
        ConfigIssue(
            file,
            format_loc(("rules", i, "window")),
            f"window {rule.window!r} is not computed by the running worker "
            f"(running: {', '.join(running.windows)}); windows change on restart",
        )
        for i, rule in enumerate(new.rules)
        if rule.window is not None and rule.window not in running.windows
    ]
    if issues:
        raise ConfigInvalidError(issues)
    http = running.http.model_copy(update={"auth_token": new.http.auth_token})
    live = running.model_copy(
        update={
            "http": http,
            "receivers": new.receivers,
            "rules": new.rules,
            "inhibit_rules": new.inhibit_rules,
            "silences": new.silences,
        }
    )
    return ReloadPlan(live, restart_required(running, new))


def restart_required(running: Config, new: Config) -> tuple[str, ...]:
    """Return the sections of `new` that differ from the running config but need a restart."""
    changed = [name for name in RESTART_ONLY if getattr(running, name) != getattr(new, name)]
    changed += [
        f"http.{name}"
        for name in ("host", "port")
        if getattr(running.http, name) != getattr(new.http, name)
    ]
    return tuple(changed)
