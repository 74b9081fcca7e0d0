"""The mute stage: leave out of a flushing group the alerts silenced or inhibited.

    flush = Mute(muter, store).run(flush, now)   # flush.unmuted is set

It runs once per group for all its receivers; inhibition looks at every
alert firing on this worker.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from alerts.mute import Muter
from alerts.stages.group import Flush
from alerts.store import AlertStore


class Mute:
    """Set a flush's unmuted members."""

    def __init__(self, muter: Muter, store: AlertStore) -> None:
        self._muter = muter
        self._store = store

    def run(self, flush: Flush, now: datetime) -> Flush:
        """Return `flush` with `unmuted` = the members neither silenced nor inhibited."""
        firing = self._store.firing_labels()
        status = self._muter.status
        unmuted = tuple(
            s for s in flush.members if not status(s.labels, s.fingerprint, firing, now).muted
        )
        return dataclasses.replace(flush, unmuted=unmuted)
