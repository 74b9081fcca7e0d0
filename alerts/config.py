"""Strict config models of the alerting half of the config file (SPEC §4–5).

The root config (another module) nests these and cross-checks references:
KPI names against the catalogue, windows against `windows`, rule receivers
against the receiver names. Each model here validates its own fields only.

    rule = Rule.model_validate({
        "name": "AbandonRateHigh", "kpi": "abandon_rate", "window": "15m",
        "op": ">", "threshold": 0.05, "recovery_threshold": 0.04, "for": "2m",
        "receivers": ["oncall-slack"],
    })
    rule.for_ == timedelta(minutes=2)
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from alerts.durations import Duration
from alerts.matchers import check_label_name, check_matchers
from alerts.strict import Strict
from alerts.templating import check_template

Op = Literal[">", ">=", "<", "<="]
Stat = Literal["mean", "p50", "p90"]
Matchers = Annotated[dict[str, str], AfterValidator(check_matchers)]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: Labels the engine sets itself; a rule's `labels` must not override them.
RESERVED_LABELS = frozenset({"alertname", "severity"})


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"invalid name {value!r}: expected [A-Za-z_][A-Za-z0-9_.:-]*")
    return value


Name = Annotated[str, AfterValidator(_check_name)]


class Rule(Strict):
    """An alerting rule: a KPI condition and where to send it."""

    name: Name
    kpi: str = Field(min_length=1)
    stat: Stat | None = None
    window: str | None = Field(default=None, min_length=1)
    match: Matchers = Field(default_factory=dict)
    op: Op
    threshold: float
    recovery_threshold: float | None = None
    for_: Duration = Field(default=timedelta(0), alias="for")
    keep_firing_for: Duration = timedelta(0)
    min_samples: int = Field(default=0, ge=0)
    severity: str = Field(default="warning", min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    receivers: list[str] = Field(min_length=1)
    repeat_interval: Duration = timedelta(hours=4)
    group_by: list[str] = Field(default_factory=lambda: ["alertname", "queue"])
    group_wait: Duration = timedelta(seconds=30)
    group_interval: Duration = timedelta(minutes=5)

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            check_label_name(name)
            if name in RESERVED_LABELS:
                raise ValueError(f"label {name!r} is set by kpiwatch and cannot be overridden")
        return value

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            check_label_name(name)
            check_template(text)
        return value

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, value: list[str]) -> list[str]:
        for name in value:
            if name != "...":
                check_label_name(name)
        return value

    @field_validator("receivers")
    @classmethod
    def _receivers(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("receivers must not repeat")
        return value

    @field_validator("repeat_interval", "group_interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be greater than 0s")
        return value

    @model_validator(mode="after")
    def _recovery_on_safe_side(self) -> Self:
        rec = self.recovery_threshold
        if rec is None:
            return self
        if self.op in (">", ">=") and rec > self.threshold:
            raise ValueError(
                f"recovery_threshold {rec} must be <= threshold {self.threshold} for op {self.op!r}"
            )
        if self.op in ("<", "<=") and rec < self.threshold:
            raise ValueError(
                f"recovery_threshold {rec} must be >= threshold {self.threshold} for op {self.op!r}"
            )
        return self

    @property
    def recovery(self) -> float:
        """Return the recovery threshold (defaults to the threshold)."""
        return self.threshold if self.recovery_threshold is None else self.recovery_threshold


class _ReceiverBase(Strict):
    # receiver fields hold URLs with tokens and secrets: never echo inputs in errors
    model_config = ConfigDict(**Strict.model_config, hide_input_in_errors=True)

    name: Name
    url: SecretStr
    timeout: Duration = timedelta(seconds=10)
    max_attempts: int = Field(default=5, ge=1, le=100)
    initial_backoff: Duration = timedelta(seconds=1)
    max_backoff: Duration = timedelta(seconds=60)
    queue_size: int = Field(default=1000, ge=1)
    # deliveries in flight at once: a hanging receiver then costs its timeout per slot
    concurrency: int = Field(default=4, ge=1, le=64)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr) -> SecretStr:
        # never echo the URL: it may hold a token
        raw = value.get_secret_value()
        if not raw.startswith(("http://", "https://")) or len(raw) <= len("https://"):
            raise ValueError("url must be an http:// or https:// URL")
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be greater than 0s")
        return value

    @model_validator(mode="after")
    def _backoff(self) -> Self:
        if self.initial_backoff > self.max_backoff:
            raise ValueError("initial_backoff must be <= max_backoff")
        return self


class WebhookReceiver(_ReceiverBase):
    """POSTs Alertmanager webhook payloads (version 4), optionally HMAC-signed."""

    type: Literal["webhook"]
    send_resolved: bool = True
    hmac_secret: SecretStr | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    max_alerts: int = Field(default=0, ge=0)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name in value:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"invalid header name {name!r}")
        return value


class SlackReceiver(_ReceiverBase):
    """POSTs Block Kit messages to a Slack incoming webhook."""

    type: Literal["slack"]
    send_resolved: bool = False


class AlertmanagerReceiver(_ReceiverBase):
    """Pushes alerts to an Alertmanager's `POST /api/v2/alerts` (`url` = its base URL)."""

    type: Literal["alertmanager"]
    send_resolved: bool = True
    resend_interval: Duration = timedelta(minutes=1)

    @field_validator("resend_interval")
    @classmethod
    def _resend(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be greater than 0s")
        return value


Receiver = Annotated[
    WebhookReceiver | SlackReceiver | AlertmanagerReceiver, Field(discriminator="type")
]


class InhibitRule(Strict):
    """Mute `target` alerts while a `source` alert with the same `equal` labels fires."""

    source: Annotated[Matchers, Field(min_length=1)]
    target: Annotated[Matchers, Field(min_length=1)]
    equal: list[str] = Field(default_factory=list)

    @field_validator("equal")
    @classmethod
    def _equal(cls, value: list[str]) -> list[str]:
        for name in value:
            check_label_name(name)
        return value


class Silence(Strict):
    """Mute alerts matching `matchers` between `starts_at` and `ends_at`."""

    id: str | None = Field(default=None, min_length=1, max_length=128)
    matchers: Annotated[Matchers, Field(min_length=1)]
    starts_at: datetime | None = None
    ends_at: datetime
    created_by: str = Field(min_length=1)
    comment: str = Field(min_length=1)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("timestamp must carry a UTC offset")
        return value

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.starts_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if all(v == "" or (v and re.fullmatch(v, "")) for v in self.matchers.values()):
            raise ValueError("at least one matcher must not match the empty string")
        return self


__all__ = [
    "AlertmanagerReceiver",
    "InhibitRule",
    "Op",
    "Receiver",
    "Rule",
    "Silence",
    "SlackReceiver",
    "Stat",
    "WebhookReceiver",
]
