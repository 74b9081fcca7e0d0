"""The `kafka:` section of the config: brokers, topic names, TLS/SASL, internal topics.

Kafka.model_validate({"bootstrap_servers": "k1:9092,k2:9092"}).topics.calls
"""

from __future__ import annotations

import re
import ssl
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, FilePath, SecretStr, model_validator

from alerts.strict import Strict
from stream.config.settings import Servers

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def _check_topic(name: str) -> str:
    if not _TOPIC.match(name):
        raise ValueError(f"invalid topic name '{name}': use 1-249 of [A-Za-z0-9._-]")
    return name


Topic = Annotated[str, AfterValidator(_check_topic)]


class KafkaTopics(Strict):
    """Names of the input topics and of the dead-letter topic."""

    tickets: Topic = "support.tickets"
    calls: Topic = "support.calls"
    agents: Topic = "support.agents"
    dead_letter: Topic = "kpiwatch.dead-letter"

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        names = list(self.model_dump().values())
        if len(set(names)) != len(names):
            raise ValueError("topics must all be different")
        return self


class KafkaSecurity(Strict):
    """TLS / SASL settings, passed through to aiokafka."""

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: FilePath | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        sasl = (self.sasl_mechanism, self.sasl_username, self.sasl_password)
        if self.security_protocol.startswith("SASL_") and None in sasl:
            raise ValueError(
                f"{self.security_protocol} needs sasl_mechanism, sasl_username and sasl_password"
            )
        if not self.security_protocol.startswith("SASL_") and any(v is not None for v in sasl):
            raise ValueError("sasl_* settings need a SASL_* security_protocol")
        if self.ssl_cafile is not None and not self.security_protocol.endswith("SSL"):
            raise ValueError("ssl_cafile needs security_protocol SSL or SASL_SSL")
        return self

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments for an aiokafka client (secrets revealed)."""
        kwargs: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.sasl_mechanism is not None:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            if self.sasl_password is not None:
                kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value()
        if self.security_protocol.endswith("SSL"):
            cafile = None if self.ssl_cafile is None else str(self.ssl_cafile)
            kwargs["ssl_context"] = ssl.create_default_context(cafile=cafile)
        return kwargs


class Kafka(Strict):
    """The Kafka cluster, topics, and partitions of internal topics."""

    bootstrap_servers: Servers = ("localhost:9092",)
    client_id: str = Field(default="kpiwatch", min_length=1)
    topics: KafkaTopics = KafkaTopics()
    security: KafkaSecurity | None = None
    partitions: int = Field(default=4, ge=1, le=10_000)
    replication_factor: int = Field(default=1, ge=1, le=16)
