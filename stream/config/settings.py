"""Runtime settings from `KPIWATCH_*` environment variables.

They say where things run, not what is computed: the config file path, the
HTTP port and Kafka brokers (overriding the file's), the log level and the
data directory.

    settings = load_settings()                      # reads os.environ
    settings = load_settings({"KPIWATCH_HTTP_PORT": "9000"})
    settings.http_port == 9000
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from stream.config.errors import ConfigError, ConfigIssue

ENV_PREFIX = "KPIWATCH_"
_SERVER = re.compile(r"^[A-Za-z0-9._\[\]:-]+:\d{1,5}$")


def split_servers(value: Any) -> Any:
    """Split `host:port,host:port` into a tuple and check each entry."""
    servers = value.split(",") if isinstance(value, str) else value
    if not isinstance(servers, list | tuple):
        return servers
    servers = tuple(str(s).strip() for s in servers if str(s).strip())
    if not servers:
        raise ValueError("give at least one host:port")
    for server in servers:
        if not _SERVER.match(server):
            raise ValueError(f"'{server}' is not host:port")
    return servers


Servers = Annotated[tuple[str, ...], BeforeValidator(split_servers)]
"""Kafka bootstrap servers, written as a list or as `host:port,host:port`."""


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class Settings(BaseSettings):
    """Runtime settings; each field is read from `KPIWATCH_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    config: Path | None = None
    http_port: int | None = Field(default=None, ge=0, le=65535)
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)
    ] = "INFO"
    bootstrap_servers: Annotated[Servers | None, NoDecode] = None
    data_dir: Path = Path("kpiwatch-data")


class _GivenSettings(Settings):
    """Settings read from the init arguments only, so tests can inject an environ."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from `environ` (default os.environ); raise ConfigError if bad."""
    try:
        if environ is None:
            return Settings()
        given = {
            name: environ[ENV_PREFIX + name.upper()]
            for name in Settings.model_fields
            if ENV_PREFIX + name.upper() in environ
        }
        return _GivenSettings.model_validate(given)
    except ValidationError as exc:
        issues = [
            ConfigIssue(
                "environment",
                f"{ENV_PREFIX}{str(e['loc'][0]).upper()}",
                e["msg"].removeprefix("Value error, "),
            )
            for e in exc.errors(include_url=False)
            if e["loc"]
        ]
        raise ConfigError(issues) from None
