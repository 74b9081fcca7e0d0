"""The mute stage: silences and inhibition, applied once for all receivers.

    muter = Muter(silences, inhibit_rules)
    muter.muted_by(labels, fingerprint, firing, now)   # ("silenced", [ids]) or None

Inhibition works as in Alertmanager: an alert matching a rule's `target` is
muted while another *firing* alert matches its `source` and both have equal
values (absent counts as empty) for every label in `equal`; an alert never
inhibits itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.config import InhibitRule
from alerts.matchers import LabelMatchers
from alerts.silences import SilenceStore

Labels = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Inhibition:
    source: LabelMatchers
    target: LabelMatchers
    equal: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MuteStatus:
    """Why an alert is muted (empty lists: it is not)."""

    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()

    @property
    def muted(self) -> bool:
        """Return whether the alert is silenced or inhibited."""
        return bool(self.silenced_by or self.inhibited_by)


class Muter:
    """Decide whether an alert is silenced or inhibited."""

    def __init__(self, silences: SilenceStore, inhibit_rules: Sequence[InhibitRule]) -> None:
        self.silences = silences
        self.set_inhibit_rules(inhibit_rules)

    def set_inhibit_rules(self, rules: Sequence[InhibitRule]) -> None:
        """Replace the inhibition rules."""
        self._rules = [
            _Inhibition(LabelMatchers.of(r.source), LabelMatchers.of(r.target), tuple(r.equal))
            for r in rules
        ]

    def status(
        self, labels: Labels, fp: str, firing: Mapping[str, Labels], now: datetime
    ) -> MuteStatus:
        """Return the mute status of one alert; `firing` maps fingerprint → labels."""
        return MuteStatus(
            tuple(self.silences.silenced_by(labels, now)),
            tuple(self.inhibited_by(labels, fp, firing)),
        )

    def inhibited_by(self, labels: Labels, fp: str, firing: Mapping[str, Labels]) -> list[str]:
        """Return the fingerprints of the firing alerts that inhibit this one."""
        sources: set[str] = set()
        for rule in self._rules:
            if not rule.target.matches(labels):
                continue
            sources.update(
                src_fp
                for src_fp, src in firing.items()
                if src_fp != fp
                and rule.source.matches(src)
                and all(src.get(n, "") == labels.get(n, "") for n in rule.equal)
            )
        return sorted(sources)
