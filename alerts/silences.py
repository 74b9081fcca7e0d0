"""The silence store: silences from the config and from the API, matched by labels.

    store = SilenceStore(config_silences)
    sid = store.add(Silence(matchers={"queue": "billing"}, ends_at=..., created_by="ana",
                            comment="maintenance"), now)
    store.silenced_by({"queue": "billing", "alertname": "X"}, now)   # [sid]

Config silences are replaced on reload and cannot be deleted through the API.
API silences persist through `to_dicts`/`restore`; deleting one expires it
(`ends_at = now`), as in Alertmanager, and expired ones are dropped after
`retention`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from alerts.config import Silence
from alerts.errors import SilenceError, SilenceNotFound
from alerts.matchers import LabelMatchers

Origin = Literal["config", "api"]
Status = Literal["pending", "active", "expired"]


@dataclass(frozen=True, slots=True)
class StoredSilence:
    """A silence with its id, origin and compiled matchers."""

    silence: Silence
    origin: Origin
    matchers: LabelMatchers

    @property
    def id(self) -> str:
        """Return the silence id (always set once stored)."""
        assert self.silence.id is not None
        return self.silence.id

    def status(self, now: datetime) -> Status:
        """Return whether the silence is pending, active or expired at `now`."""
        if self.silence.ends_at <= now:
            return "expired"
        starts = self.silence.starts_at
        return "pending" if starts is not None and starts > now else "active"

    def to_json(self, now: datetime) -> dict[str, Any]:
        """Return the API representation."""
        return {
            **self.silence.model_dump(mode="json"),
            "origin": self.origin,
            "status": self.status(now),
        }


class SilenceStore:
    """Config and API silences; mutable, owned by the engine."""

    def __init__(
        self, config: Iterable[Silence] = (), retention: timedelta = timedelta(days=1)
    ) -> None:
        self.retention = retention
        self._items: dict[str, StoredSilence] = {}
        self.replace_config(config)

    def replace_config(self, silences: Iterable[Silence]) -> None:
        """Swap the config silences, keeping the API ones."""
        kept = {k: v for k, v in self._items.items() if v.origin == "api"}
        for index, silence in enumerate(silences):
            sid = silence.id or f"config-{index}"
            kept[sid] = _stored(silence.model_copy(update={"id": sid}), "config")
        self._items = kept

    def add(self, silence: Silence, now: datetime) -> str:
        """Add (or replace, same id) an API silence; return its id."""
        existing = self._items.get(silence.id or "")
        if existing is not None and existing.origin == "config":
            raise SilenceError(f"silence {existing.id!r} is defined in the config file")
        sid = silence.id or str(uuid.uuid4())
        starts = silence.starts_at or now
        if silence.ends_at <= starts:
            raise SilenceError("ends_at must be after starts_at")
        self._items[sid] = _stored(
            silence.model_copy(update={"id": sid, "starts_at": starts}), "api"
        )
        return sid

    def expire(self, sid: str, now: datetime) -> None:
        """End an API silence now."""
        item = self._items.get(sid)
        if item is None:
            raise SilenceNotFound(sid)
        if item.origin == "config":
            raise SilenceError(f"silence {sid!r} is defined in the config file")
        if item.status(now) != "expired":
            ended = item.silence.model_copy(update={"ends_at": now})
            if item.silence.starts_at is not None and item.silence.starts_at > now:
                ended = ended.model_copy(update={"starts_at": now - timedelta(microseconds=1)})
            self._items[sid] = _stored(ended, "api")

    def get(self, sid: str) -> StoredSilence:
        """Return one silence."""
        try:
            return self._items[sid]
        except KeyError:
            raise SilenceNotFound(sid) from None

    def all(self, now: datetime) -> list[StoredSilence]:
        """Return all silences not yet garbage-collected, after dropping old expired ones."""
        self.gc(now)
        return sorted(self._items.values(), key=lambda s: (s.silence.ends_at, s.id))

    def gc(self, now: datetime) -> None:
        """Drop API silences expired for longer than `retention`."""
        self._items = {
            k: v
            for k, v in self._items.items()
            if v.origin == "config" or v.silence.ends_at + self.retention > now
        }

    def silenced_by(self, labels: Mapping[str, str], now: datetime) -> list[str]:
        """Return the ids of the active silences that match `labels`."""
        return sorted(
            s.id
            for s in self._items.values()
            if s.status(now) == "active" and s.matchers.matches(labels)
        )

    def to_dicts(self) -> list[dict[str, Any]]:
        """Return the API silences as JSON-able dicts, for persistence."""
        return [
            s.silence.model_dump(mode="json") for s in self._items.values() if s.origin == "api"
        ]

    def restore(self, dicts: Iterable[Mapping[str, Any]]) -> None:
        """Replace the API silences with persisted ones."""
        kept = {k: v for k, v in self._items.items() if v.origin == "config"}
        for data in dicts:
            silence = Silence.model_validate(data)
            assert silence.id is not None
            kept[silence.id] = _stored(silence, "api")
        self._items = kept


def _stored(silence: Silence, origin: Origin) -> StoredSilence:
    return StoredSilence(silence, origin, LabelMatchers.of(silence.matchers))
