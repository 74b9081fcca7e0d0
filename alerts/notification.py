"""What receivers are handed: a group of alert views for one receiver.

n = Notification(receiver="ops-webhook", group_key='{}/{alertname="X"}:{queue="b"}',
                 group_labels={"alertname": "X", "queue": "b"}, alerts=(view,), now=now)
n.status            # "firing" if any alert fires, else "resolved"
n.common_labels     # labels shared by every alert, as in Alertmanager
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

AlertStatus = Literal["firing", "resolved"]


@dataclass(frozen=True, slots=True)
class AlertView:
    """One alert as a receiver renders it."""

    fingerprint: str
    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    rule: str
    kpi: str
    window: str | None
    op: str
    threshold: float
    value: float | None
    samples: int | None


@dataclass(frozen=True, slots=True)
class Notification:
    """A group of alerts due for one receiver."""

    receiver: str
    group_key: str
    group_labels: Mapping[str, str]
    alerts: tuple[AlertView, ...]
    now: datetime
    external_url: str = ""
    group_interval: timedelta = field(default=timedelta(minutes=5))

    @property
    def status(self) -> AlertStatus:
        """Return "firing" if any alert fires, else "resolved"."""
        return "firing" if any(a.status == "firing" for a in self.alerts) else "resolved"

    @property
    def common_labels(self) -> dict[str, str]:
        """Return the labels every alert shares."""
        return _common([a.labels for a in self.alerts])

    @property
    def common_annotations(self) -> dict[str, str]:
        """Return the annotations every alert shares."""
        return _common([a.annotations for a in self.alerts])


def _common(maps: list[Mapping[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def go_time(value: datetime | None) -> str:
    """Format a time as Go's RFC3339Nano in UTC; None is Go's zero time."""
    if value is None:
        return "0001-01-01T00:00:00Z"
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
