from datetime import timedelta

import pytest

from alerts.config import InhibitRule, Silence
from alerts.errors import SilenceError, SilenceNotFound
from alerts.mute import Muter
from alerts.silences import SilenceStore

from .conftest import T0

HOUR = timedelta(hours=1)


def silence(**kw: object) -> Silence:
    base = {
        "matchers": {"queue": "billing"},
        "ends_at": T0 + HOUR,
        "created_by": "ana",
        "comment": "maintenance",
    }
    return Silence.model_validate({**base, **kw})


def test_silence_window_and_matching() -> None:
    store = SilenceStore()
    sid = store.add(silence(starts_at=T0 + HOUR, ends_at=T0 + 2 * HOUR), T0)
    labels = {"queue": "billing", "alertname": "X"}
    assert store.silenced_by(labels, T0) == []  # pending
    assert store.silenced_by(labels, T0 + HOUR) == [sid]
    assert store.silenced_by({"queue": "sales"}, T0 + HOUR) == []
    assert store.silenced_by(labels, T0 + 2 * HOUR) == []  # expired
    assert [s.status(T0 + HOUR) for s in store.all(T0 + HOUR)] == ["active"]


def test_expire_persist_restore_and_config_silences() -> None:
    store = SilenceStore([silence(id="freeze")])
    sid = store.add(silence(matchers={"queue": "sales|refunds"}), T0)
    store.expire(sid, T0 + timedelta(minutes=1))
    assert store.silenced_by({"queue": "sales"}, T0 + timedelta(minutes=2)) == []
    with pytest.raises(SilenceError, match="config file"):
        store.expire("freeze", T0)
    with pytest.raises(SilenceNotFound):
        store.expire("nope", T0)
    again = SilenceStore([silence(id="freeze")])
    again.restore(store.to_dicts())
    assert sorted(s.id for s in again.all(T0)) == sorted(["freeze", sid])
    assert [s.id for s in again.all(T0 + timedelta(days=2))] == ["freeze"]  # gc'd


def test_inhibition_needs_equal_labels_and_never_self_inhibits() -> None:
    rule = InhibitRule.model_validate(
        {
            "source": {"severity": "critical"},
            "target": {"severity": "warning|critical"},
            "equal": ["queue"],
        }
    )
    muter = Muter(SilenceStore(), [rule])
    crit = {"alertname": "A", "severity": "critical", "queue": "billing"}
    firing = {"c1": crit}
    warn = {"alertname": "B", "severity": "warning", "queue": "billing"}
    other = {"alertname": "B", "severity": "warning", "queue": "sales"}
    assert muter.status(warn, "w1", firing, T0).inhibited_by == ("c1",)
    assert not muter.status(other, "w2", firing, T0).muted
    assert not muter.status(crit, "c1", firing, T0).muted
