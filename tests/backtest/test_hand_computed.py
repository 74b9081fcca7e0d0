"""A rule on an abandon rate computed by hand fires and resolves at the hand-computed instants.

Queue billing, 15m window (buckets of 15 s: a fact at minute m leaves at m + 15m15s).
7 calls answered at T0+6m; abandons (60 s waits) at 7, 8, 9, 10m; answers at 11, 13..20m.

    minute  7     8     9     10    11    13    14    15 … 19  20    21:15  22:15
    rate    1/8   2/9   3/10  4/11  4/12  4/13  4/14  … 4/19  4/20  4/13   3/12
    n       8     9     10    11    12    13    14          20    13     12

Rule: > 0.3, recovery 0.2, for 2m, min_samples 10, group_wait 30s, group_interval 5m.
- 7–8m: fewer than 10 samples: unknown. 9m: 0.3 is not > 0.3.
- 10m: 0.364 → pending; 12m: still > 0.3 for 2m → firing; notified 12m30s (group_wait).
- 14m: 0.286 is under the threshold but over the recovery: still firing (hysteresis).
- 20m: 0.2 is not > 0.2 → resolved; the group's next flush is 12m30s + 2 × 5m = 22m30s.
- 21m15s: the 7 answers of 6m leave the window: 4/13 = 0.308 → pending;
  22m15s: the 7m abandon leaves: 3/12 = 0.25 → back to inactive: a pending span that
  never fired.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from stream.backtest.run import Plan, backtest
from stream.backtest.sources import file_records
from tests.backtest.helpers import T0, abandoned, answered, at, config, write_jsonl


def events() -> list[dict[str, object]]:
    evs = [e for i in range(7) for e in answered(f"a{i}", 6)]
    for i, m in enumerate((7, 8, 9, 10)):
        evs += abandoned(f"x{i}", m)
    for i, m in enumerate((11, 13, 14, 15, 16, 17, 18, 19, 20)):
        evs += answered(f"b{i}", m)
    return evs


def test_fires_and_resolves_at_the_hand_computed_instants(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "day.jsonl", events())
    plan = Plan(config(), T0, T0 + timedelta(minutes=30), lambda _since: file_records([path]))
    doc = backtest(plan)
    (rule,) = doc["rules"]
    (alert,) = [a for a in rule["alerts"] if a["firing"] or a["pending"]]
    assert alert["labels"] == {"queue": "billing"}
    (span,) = alert["firing"]
    assert (span["start"], span["end"]) == (at(12), at(20))
    assert span["duration_s"] == 8 * 60
    assert span["peak"] == 4 / 12  # the worst value while firing (4/11 was pending)
    assert alert["pending"] == [{"start": at(21.25), "end": at(22.25), "duration_s": 60.0}]
    assert alert["notifications"] == {"hook": {"firing": 1, "repeat": 0, "resolved": 1}}
    sent = [(n["at"], n["alerts"][0]["kind"]) for n in doc["notifications"]]
    assert sent == [(at(12.5), "firing"), (at(22.5), "resolved")]
    assert rule["totals"]["pages"] == 1
    assert doc["replay"]["events"]["accepted"] == len(events())
