"""Config models of business-hours calendars and SLA policies (SPEC §2, §5).

policy = SlaPolicyConfig.model_validate({
    "name": "urgent", "match": {"priority": "urgent"},
    "first_response": "30m", "resolution": "4h", "at_risk": "10m",
})
policy.calendar == "24x7"
policy.build(TWENTY_FOUR_SEVEN)   # -> stream.sla.SlaPolicy
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from alerts.durations import PositiveDuration
from alerts.strict import Strict
from stream.events.models import Channel, Priority
from stream.sla.calendars import BusinessHours, Calendar
from stream.sla.policy import TARGETS, SlaPolicy
from stream.sla.weekly_hours import check_weekly, parse_hours

BUILTIN_CALENDAR = "24x7"
"""The calendar that is always open; it exists without being configured."""

PauseStatus = Literal["new", "open", "pending", "on_hold"]
"""Statuses that may pause an SLA clock (solved and closed end it instead)."""


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone '{name}'; use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from None
    return name


Timezone = Annotated[str, AfterValidator(_check_timezone)]
"""An IANA timezone name, checked against the tz database."""


def _check_hours(hours: dict[str, str]) -> dict[str, str]:
    check_weekly(parse_hours(hours))
    return hours


class CalendarConfig(Strict):
    """Weekly business hours in one timezone, closed on holidays.

    `hours` maps days (`mon`, `mon-fri`, `sat,sun`) to ranges (`"08:00-18:00"`,
    `"08:00-12:00,13:00-18:00"`); `country` (and `subdiv`) add the public
    holidays of the `holidays` package to the listed `holidays`.
    """

    timezone: Timezone
    hours: Annotated[dict[str, str], AfterValidator(_check_hours)]
    holidays: tuple[date, ...] = ()
    country: str | None = None
    subdiv: str | None = None

    @model_validator(mode="after")
    def _country_known(self) -> Self:
        if self.country is None:
            if self.subdiv is not None:
                raise ValueError("subdiv needs a country")
            return self
        try:
            holidays_lib.country_holidays(self.country, subdiv=self.subdiv)
        except NotImplementedError:
            where = self.country if self.subdiv is None else f"{self.country}/{self.subdiv}"
            raise ValueError(f"the holidays package has no calendar for '{where}'") from None
        return self

    def build(self) -> BusinessHours:
        """Return the runtime calendar."""
        return BusinessHours.from_config(
            self.timezone, self.hours, self.holidays, country=self.country, subdiv=self.subdiv
        )


def _as_tuple(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and not value:
        raise ValueError("must not be empty; omit the key to match any value")
    return value


class PolicyMatch(Strict):
    """Which tickets a policy applies to; each key is a value or a list, absent = any."""

    priority: Annotated[tuple[Priority, ...] | None, BeforeValidator(_as_tuple)] = None
    queue: Annotated[tuple[str, ...] | None, BeforeValidator(_as_tuple)] = None
    channel: Annotated[tuple[Channel, ...] | None, BeforeValidator(_as_tuple)] = None

    @property
    def matches_all(self) -> bool:
        """Return whether this match selects every ticket."""
        return self.priority is None and self.queue is None and self.channel is None


class SlaPolicyConfig(Strict):
    """An SLA policy: targets for the tickets it matches (the first match wins)."""

    name: str = Field(min_length=1)
    match: PolicyMatch = PolicyMatch()
    first_response: PositiveDuration | None = None
    next_response: PositiveDuration | None = None
    resolution: PositiveDuration | None = None
    at_risk: PositiveDuration
    calendar: str = BUILTIN_CALENDAR
    pause_on: tuple[PauseStatus, ...] = ("pending", "on_hold")
    frt_excludes_paused: bool = False

    @model_validator(mode="after")
    def _has_target(self) -> Self:
        if all(getattr(self, target) is None for target in TARGETS):
            raise ValueError(f"set at least one target: {', '.join(TARGETS)}")
        return self

    def build(self, calendar: Calendar) -> SlaPolicy:
        """Return the runtime policy on `calendar` (resolved from `self.calendar`)."""

        def allowed(values: tuple[str, ...] | None) -> frozenset[str] | None:
            return None if values is None else frozenset(values)

        return SlaPolicy(
            self.name,
            match_priority=allowed(self.match.priority),
            match_queue=allowed(self.match.queue),
            match_channel=allowed(self.match.channel),
            first_response=self.first_response,
            next_response=self.next_response,
            resolution=self.resolution,
            at_risk=self.at_risk,
            calendar=calendar,
            pause_on=frozenset(self.pause_on),
            frt_excludes_paused=self.frt_excludes_paused,
        )
