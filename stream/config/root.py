"""The root config model and its loader (SPEC §5).

    config = load_config(resolve_config_path(None, os.environ))
    config.windows              # ('15m', '1h', '24h', 'today')
    config.rules[0].receivers   # every one of them is in config.receivers

Errors (`ConfigError` and its tree, see `stream.config.errors`) name the file,
the path inside it and what is wrong, all of them at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from alerts.config import InhibitRule, Receiver, Rule, Silence
from alerts.durations import Duration, PositiveDuration
from alerts.redaction import REDACTOR
from alerts.strict import Strict
from stream.config.checks import cross_check
from stream.config.durations import WindowName, parse_window
from stream.config.errors import (
    CROSS_REFERENCE,
    ConfigError,
    ConfigFileError,
    ConfigInvalidError,
    ConfigIssue,
    format_loc,
    issues_from_validation,
)
from stream.config.ingest import Ingest
from stream.config.kafka import Kafka
from stream.config.limits import Limits
from stream.config.partial import partial_cross_check
from stream.config.secrets import config_secrets
from stream.config.settings import Settings, load_settings
from stream.config.sla import BUILTIN_CALENDAR, CalendarConfig, SlaPolicyConfig, Timezone
from stream.config.source import read_source, redact, referenced_values, substitute_env
from stream.sla.calendars import TWENTY_FOUR_SEVEN, Calendar
from stream.sla.policy import SlaPolicy

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "ConfigError",
    "ConfigFileError",
    "ConfigInvalidError",
    "ConfigIssue",
    "Settings",
    "apply_settings",
    "check_file",
    "effective_http_port",
    "load_config",
    "load_settings",
    "resolve_config_path",
]

DEFAULT_CONFIG_PATH = Path("config/kpiwatch.yaml")


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


class Http(Strict):
    """The worker's HTTP endpoints; an empty `auth_token` means none."""

    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=0, le=65535)
    auth_token: Annotated[SecretStr | None, BeforeValidator(_empty_is_none)] = None


class KpiOptions(Strict):
    """Parameters of the KPI definitions."""

    short_abandon: Duration = timedelta(seconds=5)
    service_level_threshold: PositiveDuration = timedelta(seconds=20)
    wrapup_timeout: PositiveDuration = timedelta(minutes=10)

    @model_validator(mode="before")
    @classmethod
    def _seconds_alias(cls, data: Any) -> Any:
        """Accept SPEC §2's `service_level_seconds: 20` as `service_level_threshold: 20s`."""
        if not isinstance(data, dict) or "service_level_seconds" not in data:
            return data
        data = dict(data)
        seconds = data.pop("service_level_seconds")
        if "service_level_threshold" in data:
            raise ValueError("give service_level_threshold or service_level_seconds, not both")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValueError(f"service_level_seconds must be a number of seconds, not {seconds!r}")
        data["service_level_threshold"] = timedelta(seconds=seconds)
        return data


class Worker(Strict):
    """Tuning of the worker loop."""

    # alerts are evaluated on every KPI change, and at least this often (time alone moves
    # longest_wait, sla_at_risk and `for` durations)
    evaluation_interval: PositiveDuration = timedelta(milliseconds=500)
    # how long `kpiwatch run` waits for Kafka to become reachable before it gives up
    startup_wait: PositiveDuration = timedelta(seconds=60)
    # concluded tickets and calls are forgotten this long (event time) after their last
    # event; a ticket reopened later than this starts afresh. Open tickets are kept.
    retention: PositiveDuration = timedelta(days=7)
    # table checkpoints, so a restarted worker replays only the changelog written since;
    # a relative dir is under the data dir ($KPIWATCH_DATA_DIR); off: replay it all
    checkpoints: bool = True
    checkpoint_dir: Path = Path("checkpoints")
    checkpoint_interval: PositiveDuration = timedelta(seconds=10)


def _check_windows(windows: tuple[str, ...]) -> tuple[str, ...]:
    if not windows:
        raise ValueError("give at least one window")
    seen: dict[timedelta | None, str] = {}
    for name in windows:
        length = parse_window(name)
        if length in seen:
            raise ValueError(f"window '{name}' is the same length as '{seen[length]}'")
        seen[length] = name
    return windows


class Config(Strict):
    """The whole config file, cross-checked.

    >>> Config.model_validate({"timezone": "Europe/Paris"}).windows
    ('15m', '1h', '24h', 'today')
    """

    kafka: Kafka = Kafka()
    http: Http = Http()
    timezone: Timezone = "UTC"
    windows: Annotated[tuple[WindowName, ...], AfterValidator(_check_windows)] = (
        "15m",
        "1h",
        "24h",
        "today",
    )
    # a worker whose newest event time is further behind its wall clock than this reports
    # KPIs as of that event time (it is replaying history), else as of the wall clock
    replay_threshold: PositiveDuration = timedelta(minutes=10)
    # retired (issue 9): it dropped facts windows still held. Still accepted so that old
    # files load; it changes nothing, and the worker logs a warning when it is set
    allowed_lateness: Duration | None = None
    # events stamped further ahead of the worker's clock go to the dead-letter topic: one
    # producer with a wrong clock would otherwise make every later event of its queue "late"
    max_future_skew: PositiveDuration = timedelta(minutes=5)
    kpis: KpiOptions = KpiOptions()
    calendars: dict[str, CalendarConfig] = Field(default_factory=dict)
    sla_policies: tuple[SlaPolicyConfig, ...] = ()
    receivers: tuple[Receiver, ...] = ()
    rules: tuple[Rule, ...] = ()
    inhibit_rules: tuple[InhibitRule, ...] = ()
    silences: tuple[Silence, ...] = ()
    worker: Worker = Worker()
    ingest: Ingest = Ingest()  # the `kpiwatch ingest` service (stream/ingest)
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _cross_references(self) -> Self:
        issues = cross_check(self)
        if issues:
            details = "; ".join(f"{format_loc(loc)}: {message}" for loc, message in issues)
            raise PydanticCustomError(
                CROSS_REFERENCE, "{details}", {"details": details, "issues": issues}
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """Return the timezone of `today` and of local times."""
        return ZoneInfo(self.timezone)

    def window_lengths(self) -> dict[str, timedelta | None]:
        """Return each window's length, None for `today`."""
        return {name: parse_window(name) for name in self.windows}

    def calendar(self, name: str) -> Calendar:
        """Return the runtime calendar `name` (`24x7` is built in)."""
        if name == BUILTIN_CALENDAR:
            return TWENTY_FOUR_SEVEN
        return self.calendars[name].build()

    def build_sla_policies(self) -> list[SlaPolicy]:
        """Return the runtime SLA policies, in match order, each calendar built once."""
        built = {name: self.calendar(name) for name in {p.calendar for p in self.sla_policies}}
        return [policy.build(built[policy.calendar]) for policy in self.sla_policies]


def resolve_config_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Return the config file to use: `explicit`, else $KPIWATCH_CONFIG, else the default."""
    env = os.environ if environ is None else environ
    return Path(explicit or env.get("KPIWATCH_CONFIG") or DEFAULT_CONFIG_PATH)


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read, substitute `${VAR}`s in, and validate a config file; raise ConfigError."""
    source = read_source(Path(path), str(path))
    env = os.environ if environ is None else environ
    data, env_issues = substitute_env(source.data, env)
    issues = source.issues + env_issues
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        env_locs = {loc for loc, _ in env_issues}
        found = issues_from_validation(exc, data, Config)
        if all(e["type"] != CROSS_REFERENCE for e in exc.errors(include_url=False)):
            # field errors stopped pydantic before the cross-checks: run them on the rest
            found += partial_cross_check(data, found, Config.model_validate)
        issues += [
            (loc, message)
            for loc, message in dict.fromkeys(found)
            if loc not in env_locs  # an unset ${VAR} already explains a bad value there
        ]
    if issues:
        secrets = referenced_values(source.data, env)
        located = [source.issue(loc, redact(message, secrets)) for loc, message in issues]
        located.sort(key=lambda issue: issue.line or 0)
        raise ConfigInvalidError(located)
    REDACTOR.add(config_secrets(config, referenced_values(source.data, env)))
    return config


def check_file(path: str | Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the config file's problems as printable lines; empty if it is valid."""
    try:
        load_config(path, environ)
    except ConfigError as exc:
        return [str(issue) for issue in exc.issues]
    return []


def effective_http_port(config: Config, settings: Settings) -> int:
    """Return the HTTP port: KPIWATCH_HTTP_PORT if set, else `http.port`."""
    return config.http.port if settings.http_port is None else settings.http_port


def apply_settings(config: Config, settings: Settings) -> Config:
    """Return `config` with the KPIWATCH_* runtime overrides (port, brokers) applied."""
    http = config.http.model_copy(update={"port": effective_http_port(config, settings)})
    kafka = config.kafka
    if settings.bootstrap_servers is not None:
        kafka = kafka.model_copy(update={"bootstrap_servers": settings.bootstrap_servers})
    return config.model_copy(update={"http": http, "kafka": kafka})
