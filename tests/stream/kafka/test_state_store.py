"""The checkpointed store: a snapshot holds only confirmed state of owned, changed partitions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import faust
import pytest

from stream.kafka import checkpoint, internals
from stream.kafka.app import StateTable
from stream.kafka.markers import MARK_KEY, Place
from stream.kafka.state_store import CheckpointStore, Snapshot


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CheckpointStore]:
    internals.install()
    app = faust.App("unit", broker="kafka://127.0.0.1:1", store="memory://", autodiscover=False)
    table = StateTable(
        app, name="tickets", partitions=2, on_recovered=_nothing, checkpoint_dir=str(tmp_path)
    )
    yield table.store
    if app._consumer is not None:  # faust's consumer thread made its own event loop
        app._consumer._thread.thread_loop.close()


async def _nothing(table: StateTable) -> None:
    pass


def _snaps(store: CheckpointStore, owned: set[int]) -> list[Snapshot]:
    taken = store.snapshot(owned)
    return [] if taken is None else taken.split()


def _put(store: CheckpointStore, key: bytes, value: bytes, part: int) -> None:
    data, where = internals.memory_maps(store)
    data[key], where[key] = value, part


def test_snapshot_takes_owned_partitions_changed_since_their_last_checkpoint(
    store: CheckpointStore,
) -> None:
    _put(store, b"a", b"1", 0)
    _put(store, b"b", b"2", 1)
    _put(store, MARK_KEY, b"tok", 1)  # a recovered marker is not state
    store.confirmed({0: (10, b"t0"), 1: (7, b"t1")})
    store.confirmed({0: (4, b"old")})  # an older marker never moves the mark back
    snaps = {s.ident.partition: s for s in _snaps(store, {0, 1})}
    assert snaps[0].offset == 10 and snaps[0].token == b"t0" and snaps[0].entries == [(b"a", b"1")]
    assert snaps[1].offset == 7 and snaps[1].entries == [(b"b", b"2")]
    assert snaps[0].ident.topic == "unit-tickets-changelog" and snaps[0].ident.partitions == 2
    store.saved_at(snaps[0])
    assert [s.ident.partition for s in _snaps(store, {0, 1})] == [1]
    assert _snaps(store, {0}) == []  # 1 is not ours


def test_no_snapshot_while_a_write_is_in_flight_or_one_failed_until_it_is_rewritten(
    store: CheckpointStore,
) -> None:
    store.confirmed({0: (10, b"t0")})
    with store.writing([(b"a", 0)]):
        assert _snaps(store, {0}) == []
    assert len(_snaps(store, {0})) == 1
    _put(store, b"a", b"1", 0)
    with pytest.raises(RuntimeError), store.writing([(b"a", 0), (b"b", 0)]):
        raise RuntimeError("broker down")
    assert store.suspect == {b"a": 0, b"b": 0} and _snaps(store, {0}) == []
    # the next write sends them again, with the value held now (b: deleted since)
    assert sorted(store.repairs({b"c"}), key=str) == [(b"a", b"1", 0), (b"b", None, 0)]
    assert store.repairs({b"a"}) == [(b"b", None, 0)]  # a is in the write already
    with store.writing([(b"a", 0)]):
        pass
    assert store.suspect == {b"b": 0} and _snaps(store, {0}) == []
    with store.writing([(b"b", 0), (b"c", 0)]):
        pass
    assert store.suspect == {} and len(_snaps(store, {0})) == 1


async def test_a_loaded_checkpoint_sets_where_recovery_starts(
    store: CheckpointStore, tmp_path: Path
) -> None:
    _put(store, b"a", b"1", 0)
    store.confirmed({0: (10, b"t0")})
    checkpoint.save_all(tmp_path, _snaps(store, {0}))
    _put(store, b"a", b"changed", 0)
    store._drop({0})
    assert internals.memory_maps(store) == ({}, {})
    await _load(store, {0, 1})
    assert internals.memory_maps(store) == ({b"a": b"1"}, {b"a": 0})
    assert store.persisted_offset(faust.types.TP("unit-tickets-changelog", 0)) == 9
    assert store.persisted_offset(faust.types.TP("unit-tickets-changelog", 1)) is None
    assert store.unverified == {0: (10, b"t0")}


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.ckpt"))


async def _load(store: CheckpointStore, partitions: set[int]) -> None:
    for snap in (await store._checkpoints(partitions)).values():
        store._apply(snap)


def test_a_snapshot_is_the_state_when_taken_not_when_split(store: CheckpointStore) -> None:
    _put(store, b"a", b"1", 0)
    store.confirmed({0: (10, b"t0")})
    taken = store.snapshot({0})
    _put(store, b"a", b"2", 0)
    _put(store, b"b", b"3", 0)
    assert taken is not None and taken.split()[0].entries == [(b"a", b"1")]


async def test_checkpoints_are_read_at_start_and_checked_against_the_log(
    store: CheckpointStore, tmp_path: Path
) -> None:
    _put(store, b"a", b"1", 0)
    _put(store, b"b", b"2", 1)
    store.confirmed({0: (10, b"t0"), 1: (7, b"t1")})
    checkpoint.save_all(tmp_path, _snaps(store, {0, 1}))
    asked: list[dict[Place, int]] = []

    async def log(wanted: dict[Place, int]) -> dict[Place, bytes | None]:
        asked.append(wanted)
        return {("unit-tickets-changelog", 0): b"t0", ("unit-tickets-changelog", 1): b"other"}

    store.read_markers = log
    store._drop({0, 1})
    await store.on_start()
    await _load(store, {0, 1})
    assert asked == [{("unit-tickets-changelog", 0): 10, ("unit-tickets-changelog", 1): 7}]
    assert internals.memory_maps(store) == ({b"a": b"1"}, {b"a": 0})  # 1: whole changelog
    assert store.persisted_offset(faust.types.TP("unit-tickets-changelog", 1)) is None
    assert _files(tmp_path) == ["unit-tickets-changelog.2.0.ckpt"]


async def test_a_checkpoint_the_broker_cannot_confirm_is_checked_by_recovery(
    store: CheckpointStore, tmp_path: Path
) -> None:
    _put(store, b"a", b"1", 0)
    store.confirmed({0: (10, b"t0")})
    checkpoint.save_all(tmp_path, _snaps(store, {0}))

    async def down(wanted: dict[Place, int]) -> dict[Place, bytes | None]:
        raise ConnectionError("broker down")

    store.read_markers = down
    store._drop({0})
    await _load(store, {0})
    assert internals.memory_maps(store) == ({b"a": b"1"}, {b"a": 0})
    assert store.unverified == {0: (10, b"t0")}  # apply_changelog_batch checks it
