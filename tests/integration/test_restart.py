"""Restart from table checkpoints: only the changelog tail is replayed, counts stay exact.

A SIGKILLed worker restarted on its own disk loads its checkpoints and replays only
what was written since; on an empty disk, or with corrupt or foreign checkpoints,
it replays the whole changelog. Every count equals what was produced.
"""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stream.dev.broker import EmbeddedBroker
from stream.kafka import checkpoint
from stream.kafka.checkpoint import Identity
from tests.integration.load import Load, caught_up, exact, totals, want
from tests.support.worker import Topics, WorkerProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

# this test is about checkpoints: a short interval so one is taken within the test
EXTRA = {"worker": {"checkpoint_interval": "1s"}}
_REPLAYED = re.compile(r"rebuilt (\w+) from (\d+) records \((\d+) changelog records replayed\)")


def _replayed(w: WorkerProcess, since: int) -> dict[str, tuple[int, int]]:
    """Return table → (records rebuilt, changelog records replayed) logged after `since`."""
    text = w.log.read_text(errors="replace")[since:]
    return {m[1]: (int(m[2]), int(m[3])) for m in _REPLAYED.finditer(text)}


def _restart(w: WorkerProcess) -> int:
    """SIGKILL the worker, start it again; return where its log of the new run starts."""
    w.kill()
    since = len(w.log.read_text(errors="replace"))
    w.start()
    return since


def _wait_checkpoints(directory: Path, timeout: float = 60) -> list[Path]:
    """Wait until there is a checkpoint of every table partition and none changes for 3 s."""
    deadline = time.monotonic() + timeout
    last: dict[Path, float] = {}
    while time.monotonic() < deadline:
        now = {p: p.stat().st_mtime for p in directory.glob("*.ckpt")}
        if len(now) == 8 and now == last:  # 4 tables × 2 partitions
            return sorted(now)
        last = now
        time.sleep(3)
    raise AssertionError(f"no settled checkpoints in {directory}: {last}")


def test_restart_replays_only_the_tail_and_falls_back_to_a_full_replay(
    broker: EmbeddedBroker, topics: Topics, start_worker: Callable[..., WorkerProcess]
) -> None:
    seed = random.randrange(1 << 30)
    w = start_worker(extra=EXTRA)
    ckpts = w.data_dir / "checkpoints"
    with Load(broker.bootstrap, topics.names, seed) as load:
        time.sleep(12)
    truth = load.produced
    text = caught_up(w, truth, timeout=300)
    files = _wait_checkpoints(ckpts)
    full = exact(text)

    since = _restart(w)  # nothing written since the checkpoints: almost nothing to replay
    got = _replayed(w, since)
    text = caught_up(w, truth, timeout=300)
    assert exact(text) == full, f"seed {seed}"
    rebuilt = sum(n for n, _ in got.values())
    assert rebuilt > 500, got  # the state came back (from the checkpoints)
    replayed_tail = sum(r for _, r in got.values())
    assert replayed_tail <= 4 * len(files) + 100, got  # a marker or so each, a timer's write

    shutil.rmtree(w.data_dir)  # an empty disk: the whole changelog again
    since = _restart(w)
    got_all = _replayed(w, since)
    assert caught_up(w, truth, timeout=300) and exact(w.metrics()) == full, f"seed {seed}"
    replayed_all = sum(r for _, r in got_all.values())
    assert replayed_all > max(rebuilt, 10 * replayed_tail), (got_all, got)

    files = _wait_checkpoints(ckpts)
    tickets = [p for p in files if "-tickets-" in p.name]
    calls = [p for p in files if "-calls-" in p.name]
    bad = tickets[0].read_bytes()
    tickets[0].write_bytes(bad[:100] + bytes([bad[100] ^ 1]) + bad[101:])  # corrupt
    shutil.copy(calls[0], calls[1])  # another partition's checkpoint under this one's name
    since = _restart(w)
    log = w.log.read_text(errors="replace")[since:]
    assert "digest mismatch" in log and "belongs to" in log, w.tail()
    assert caught_up(w, truth, timeout=300) and exact(w.metrics()) == full, f"seed {seed}"
    assert totals(w.metrics()) == want(truth)


@pytest.mark.parametrize("wrong", ["token", "offset"])
def test_a_checkpoint_of_another_log_is_deleted_and_its_partition_rebuilt_in_process(
    broker: EmbeddedBroker,
    topics: Topics,
    start_worker: Callable[..., WorkerProcess],
    wrong: str,
) -> None:
    """A broker that lost its data leaves checkpoints whose marker is not in the new log."""
    seed = random.randrange(1 << 30)
    w = start_worker(extra=EXTRA)
    with Load(broker.bootstrap, topics.names, seed) as load:
        time.sleep(5)
    truth = load.produced
    full = exact(caught_up(w, truth, timeout=300))
    files = _wait_checkpoints(w.data_dir / "checkpoints")
    w.kill()
    path = next(p for p in files if "-tickets-" in p.name)
    name = path.name.split(".")
    ident = Identity(topics.client_id, "tickets", name[0], int(name[1]), int(name[2]))
    snap = checkpoint.load(path.parent, ident)
    if wrong == "token":  # a marker at that offset, but another one
        snap = dataclasses.replace(snap, token=b"another")
    else:  # past the end of the log
        snap = dataclasses.replace(snap, offset=snap.offset + 1_000_000)
    checkpoint.save(path.parent, snap)
    since = len(w.log.read_text(errors="replace"))
    w.start()
    log = w.log.read_text(errors="replace")[since:]
    assert f"{path.name} does not match the changelog" in log, w.tail()
    assert _replayed(w, since)["tickets"][1] > 2
    assert exact(caught_up(w, truth, timeout=300)) == full, f"seed {seed}"
