"""Alertmanager API v2 shapes for kpiwatch's alerts and silences (pure).

    alert_v2(alert_json, receivers=["oncall"], now=now)   # a gettableAlert
    silence_v2(stored, now)                               # a gettableSilence
    silence_from_v2(body_bytes)                           # postableSilence → Silence
    Filter.parse(["queue=~\"bill.*\"", "severity!=info"]).matches(labels)

Only firing alerts are Alertmanager alerts (pending ones are Prometheus's
business, resolved ones have ended). kpiwatch silences hold `=` and `=~`
matchers; a literal value with regex metacharacters is stored escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.config import Silence
from alerts.matchers import is_regex
from alerts.silences import StoredSilence
from stream.web.errors import RequestError, problems_of

ENDS_AFTER = timedelta(minutes=5)  # a firing alert's endsAt: when it would go stale
_MATCHER = re.compile(
    r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(.*?))\s*$'
)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def alert_v2(alert: Mapping[str, Any], receivers: Sequence[str], now: datetime) -> dict[str, Any]:
    """Return a gettableAlert for one `alerts_json()` entry (a firing alert)."""
    silenced, inhibited = list(alert["silencedBy"]), list(alert["inhibitedBy"])
    return {
        "labels": dict(alert["labels"]),
        "annotations": dict(alert["annotations"]),
        "fingerprint": alert["fingerprint"],
        "receivers": [{"name": r} for r in receivers],
        "startsAt": _iso(datetime.fromisoformat(alert["startsAt"] or alert["activeAt"])),
        "updatedAt": _iso(now),
        "endsAt": _iso(now + ENDS_AFTER),
        "generatorURL": "",
        "status": {
            "state": "suppressed" if silenced or inhibited else "active",
            "silencedBy": silenced,
            "inhibitedBy": inhibited,
            "mutedBy": [],
        },
    }


@dataclass(frozen=True, slots=True)
class Filter:
    """Alertmanager-style label matchers (`=`, `!=`, `=~`, `!~`), all must hold."""

    items: tuple[tuple[str, str, str], ...]

    @classmethod
    def parse(cls, texts: Sequence[str]) -> Filter:
        """Parse `name op "value"` strings; raise RequestError naming each bad one."""
        items, bad = [], []
        for text in texts:
            for part in _split(text):
                m = _MATCHER.match(part)
                if m is None:
                    bad.append(f'filter {part!r}: expected name=value, name!=value, name=~"re"')
                    continue
                value = m.group(3) if m.group(3) is not None else m.group(4)
                value = re.sub(r"\\(.)", r"\1", value)
                if "~" in m.group(2):
                    try:
                        re.compile(value)
                    except re.error as exc:
                        bad.append(f"filter {part!r}: invalid regex: {exc}")
                        continue
                items.append((m.group(1), m.group(2), value))
        if bad:
            raise RequestError(*bad)
        return cls(tuple(items))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return whether every matcher holds for `labels` (missing label = "")."""
        for name, op, value in self.items:
            actual = labels.get(name, "")
            hit = re.fullmatch(value, actual) is not None if "~" in op else actual == value
            if hit != op.startswith("="):
                return False
        return True


def _split(text: str) -> list[str]:
    # amtool sends one matcher per `filter`; a `{a="x",b="y"}` set is accepted too
    inner = text.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
        return [p for p in re.findall(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+', inner) if p.strip()]
    return [inner]


def silence_v2(stored: StoredSilence, now: datetime) -> dict[str, Any]:
    """Return a gettableSilence."""
    s = stored.silence
    starts = s.starts_at or now
    return {
        "id": stored.id,
        "status": {"state": stored.status(now)},
        "updatedAt": _iso(starts),
        "matchers": [
            {"name": k, "value": v, "isRegex": is_regex(v), "isEqual": True}
            for k, v in sorted(s.matchers.items())
        ],
        "startsAt": _iso(starts),
        "endsAt": _iso(s.ends_at),
        "createdBy": s.created_by,
        "comment": s.comment,
        "annotations": {"origin": stored.origin},
    }


class _Matcher(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    value: str
    isRegex: bool  # Alertmanager's field names
    isEqual: bool = True


class _PostableSilence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str | None = None
    matchers: list[_Matcher] = Field(min_length=1)
    startsAt: datetime | None = None
    endsAt: datetime
    createdBy: str = Field(min_length=1)
    comment: str = Field(min_length=1)
    annotations: dict[str, str] = Field(default_factory=dict)


def silence_from_v2(body: bytes) -> Silence:
    """Return the kpiwatch Silence for a postableSilence body; raise RequestError."""
    try:
        post = _PostableSilence.model_validate_json(body)
    except ValidationError as exc:
        raise RequestError(*problems_of(exc)) from None
    matchers: dict[str, str] = {}
    bad = []
    for i, m in enumerate(post.matchers):
        if not m.isEqual:
            op = "!~" if m.isRegex else "!="
            bad.append(f"matchers.{i}: {m.name}{op}{m.value!r}: only = and =~ matchers can mute")
        elif m.name in matchers:
            bad.append(f"matchers.{i}: label {m.name!r} appears twice")
        else:
            literal = not m.isRegex and is_regex(m.value)
            matchers[m.name] = re.escape(m.value) if literal else m.value
    if bad:
        raise RequestError(*bad)
    try:
        return Silence(
            id=post.id or None,
            matchers=matchers,
            starts_at=post.startsAt,
            ends_at=post.endsAt,
            created_by=post.createdBy,
            comment=post.comment,
        )
    except ValidationError as exc:
        raise RequestError(*problems_of(exc)) from None


def query_bool(query: Mapping[str, str], name: str, default: bool) -> bool:
    """Return a boolean query parameter; raise RequestError on anything but true/false."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise RequestError(f"{name}: expected true or false, got {raw!r}")
