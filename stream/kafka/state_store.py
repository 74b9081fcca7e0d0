"""The tables' store: faust's memory store that starts from a checkpoint and keeps one.

Checkpoint files (`stream.kafka.checkpoint`) are read in a thread as soon as the
store starts, while the consumer group forms, and each is checked against the
broker: the record at its offset must be the marker it names (`markers.py`),
else it is deleted and its partition is rebuilt from the whole changelog. At
assignment each active partition starts from its checkpoint, and faust's
recovery reads the changelog only from the checkpoint's marker on
(`persisted_offset`). Recovery checks that marker again; a mismatch there (the
broker could not be asked at start) stops the worker after deleting the file.

The writer tells the store which flushes the broker confirmed (`writing`,
`confirmed`); `snapshot` copies the partitions that changed only while no write
is in flight, so a checkpoint never holds state that is not in the changelog.

    store = table.data                     # a CheckpointStore
    with store.writing(keys):
        ...                                # store_put + send + seal
        store.confirmed({0: (1234, token)})
    taken = store.snapshot(owned={0, 1})   # copies, on the loop
    snaps = await asyncio.to_thread(save, store.directory, taken)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faust.stores.memory import Store as MemoryStore
from faust.types import TP

from stream.kafka import checkpoint, internals
from stream.kafka.checkpoint import CheckpointError, Identity, Snapshot
from stream.kafka.markers import MARK_KEY, Place

log = logging.getLogger("kpiwatch.checkpoint")

Marker = tuple[int, bytes]  # offset, value of a changelog marker
MarkerReader = Callable[[dict[Place, int]], Awaitable[dict[Place, bytes | None]]]


class CheckpointMismatch(SystemExit):
    """A loaded checkpoint does not match the changelog it claims to be a prefix of.

    A SystemExit: faust retries a recovery that raises an Exception forever, and the
    partition's data is already wrong; the worker must stop and start afresh.
    """


class CheckpointStore(MemoryStore[bytes, bytes]):
    """A memory store that loads checkpoints at assignment and snapshots confirmed state."""

    directory: Path | None = None  # set by the table before the worker starts
    read_markers: MarkerReader | None = None  # idem; None: checkpoints are not checked first

    def __post_init__(self) -> None:
        super().__post_init__()
        self.loaded: dict[int, Marker] = {}  # partition → checkpoint marker its data starts at
        self.unverified: dict[int, Marker] = {}  # checkpoint markers not yet read back
        self.marks: dict[int, Marker] = {}  # partition → last marker confirmed or recovered
        self.saved: dict[int, int] = {}  # partition → offset of its last checkpoint file
        self.replayed = 0  # changelog records applied since the last assignment
        self.inflight = 0
        # key → partition of the keys whose value here may not be the log's last
        self.suspect: dict[bytes, int] = {}
        self._preload: asyncio.Future[tuple[dict[int, Snapshot], set[int]]] | None = None

    async def on_start(self) -> None:
        await super().on_start()
        if self.directory is not None:  # read while the consumer group forms
            self._preload = asyncio.ensure_future(self._read_checkpoints(None))

    def ident(self, partition: int) -> Identity:
        """Return the checkpoint identity of one partition of this table."""
        topic = self.table.changelog_topic
        count = topic.partitions or self.app.conf.topic_partitions
        return Identity(self.app.conf.id, self.table.name, topic.get_topic_name(), count, partition)

    def persisted_offset(self, tp: TP) -> int | None:
        """Return where recovery starts reading: one before the checkpoint's marker."""
        mark = self.loaded.get(tp.partition)
        return None if mark is None else mark[0] - 1

    async def on_rebalance(
        self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP], generation_id: int = 0
    ) -> None:
        topic = self.table.changelog_topic.get_topic_name()
        actives = self.app.assignor.assigned_actives()
        for tp in revoked:
            if tp.topic == topic:
                self._forget(tp.partition)
        fresh = {tp.partition for tp in newly_assigned if tp.topic == topic and tp in actives}
        self.replayed = 0
        if fresh:
            log.info("%s: assigned partitions %s", self.table.name, sorted(fresh))
            self._drop(fresh)
            snaps = await self._checkpoints(fresh)
            for p in sorted(snaps):
                self._apply(snaps[p])

    def _forget(self, partition: int) -> None:
        for d in (self.loaded, self.unverified, self.marks, self.saved):
            d.pop(partition, None)

    def _drop(self, partitions: set[int]) -> None:
        data, where = internals.memory_maps(self)
        for key in [k for k, p in where.items() if p in partitions]:
            data.pop(key, None)
            where.pop(key, None)
        for p in partitions:
            self._forget(p)

    async def _checkpoints(self, partitions: set[int]) -> dict[int, Snapshot]:
        """Return the usable checkpoints of `partitions`: read at start, else now."""
        snaps: dict[int, Snapshot] = {}
        looked: set[int] = set()
        if self._preload is not None:
            preload, self._preload = self._preload, None
            try:
                snaps, looked = await preload
            except Exception:
                log.exception("reading %s checkpoints at start failed", self.table.name)
        if rest := partitions - looked:
            snaps.update((await self._read_checkpoints(rest))[0])
        return {p: snap for p, snap in snaps.items() if p in partitions}

    async def _read_checkpoints(
        self, partitions: set[int] | None
    ) -> tuple[dict[int, Snapshot], set[int]]:
        """Load the checkpoints of `partitions` (None: every one on disk) in a thread.

        Return them, less those whose marker the broker does not have at its offset
        (deleted: their partitions are rebuilt from the whole changelog), and the
        partitions looked at.
        """
        directory = self.directory
        if directory is None:
            return {}, set()
        if partitions is None:
            pattern = f"{self.ident(0).filename().rsplit('.', 2)[0]}.*.ckpt"
            found = (p.name.rsplit(".", 2)[1] for p in directory.glob(pattern))
            partitions = {int(n) for n in found if n.isdigit()}
        idents = [self.ident(p) for p in sorted(partitions)]
        snaps = await asyncio.to_thread(_load_all, directory, idents)
        return await self._verified(snaps), partitions

    async def _verified(self, snaps: dict[int, Snapshot]) -> dict[int, Snapshot]:
        """Drop (and delete) the checkpoints whose marker is not in the log."""
        if self.read_markers is None or not snaps:
            return snaps
        topic = self.table.changelog_topic.get_topic_name()
        try:
            found = await self.read_markers({(topic, p): s.offset for p, s in snaps.items()})
        except Exception as exc:  # checked again as recovery reads the marker
            log.warning("could not read %s markers back: %r", self.table.name, exc)
            return snaps
        out = {}
        for p, snap in snaps.items():
            value = found.get((topic, p))
            if value == snap.token:
                out[p] = snap
                continue
            why = "past the log's end" if value is None else "another marker"
            checkpoint.discard(self.directory or Path(), snap.ident)
            log.warning(
                "checkpoint %s does not match the changelog (offset %d: %s): deleted it; "
                "partition %d is rebuilt from the whole changelog",
                snap.ident.filename(),
                snap.offset,
                why,
                p,
            )
        return out

    def _apply(self, snap: Snapshot) -> None:
        partition = snap.ident.partition
        data, where = internals.memory_maps(self)
        data.update(snap.entries)
        where.update(dict.fromkeys((key for key, _ in snap.entries), partition))
        self.loaded[partition] = self.unverified[partition] = (snap.offset, snap.token)
        self.saved[partition] = snap.offset
        log.info(
            "loaded %s partition %d from checkpoint: %d keys at offset %d",
            self.table.name,
            partition,
            len(snap.entries),
            snap.offset,
        )

    def apply_changelog_batch(
        self, batch: Iterable[Any], to_key: Callable[[Any], Any], to_value: Callable[[Any], Any]
    ) -> None:
        events = list(batch)
        for event in events:
            message = event.message
            part, offset = message.partition, message.offset
            mark = (offset, message.value) if message.key == MARK_KEY else None
            want = self.unverified.get(part)
            if want is not None and offset >= want[0]:
                if mark != want:
                    self._mismatch(part, f"offset {want[0]} is not its marker")
                del self.unverified[part]
            if mark is not None:
                self.marks[part] = mark
        self.replayed += len(events)
        super().apply_changelog_batch(events, to_key, to_value)

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        actives = {tp.partition for tp in active_tps}
        for part in list(self.unverified):
            self._mismatch(part, "the changelog ends before its marker")
        for part in {*self.loaded, *self.marks} - actives:
            self._forget(part)  # the memory store dropped its keys

    def _mismatch(self, partition: int, why: str) -> None:
        ident = self.ident(partition)
        if self.directory is not None:
            checkpoint.discard(self.directory, ident)
        message = (
            f"checkpoint {ident.filename()} does not match the changelog ({why}): deleted it; "
            "restart the worker to rebuild this partition from the whole changelog"
        )
        log.critical("%s", message)
        raise CheckpointMismatch(f"kpiwatch: {message}")

    @contextmanager
    def writing(self, keys: list[tuple[bytes, int]]) -> Iterator[None]:
        """Mark a write of `keys` (key, partition) in flight; if it fails they are suspect.

        A failed write may have reached the log or not: until a later write of the same
        key is confirmed, the store's value may not be the log's, and no checkpoint is
        taken. The table's next write sends them again (`repairs`).
        """
        self.inflight += 1
        try:
            yield
        except BaseException:
            self.suspect.update(keys)
            raise
        else:
            for key, _ in keys:
                self.suspect.pop(key, None)
        finally:
            self.inflight -= 1

    def repairs(self, fresh: set[bytes]) -> list[tuple[bytes, bytes | None, int]]:
        """Return (key, value held now, partition) of the suspect keys not in `fresh`.

        A batch whose write failed is read again, but its events are then duplicates:
        nothing rewrites their keys, and checkpoints would stop for good. The next
        write of the table sends them again with the value held now (None: deleted).
        """
        data = internals.memory_maps(self)[0]
        return [(k, data.get(k), part) for k, part in self.suspect.items() if k not in fresh]

    def confirmed(self, marks: dict[int, Marker]) -> None:
        """Note the markers the broker confirmed at the end of a flush."""
        for part, mark in marks.items():
            if mark[0] > self.marks.get(part, (-1, b""))[0]:
                self.marks[part] = mark

    def snapshot(self, owned: set[int]) -> Taken | None:
        """Copy the owned partitions changed since their last checkpoint (None: nothing due).

        Only the maps are copied here, on the loop (C speed, atomic); `Taken.split`
        builds the snapshots off it.
        """
        if self.inflight or self.suspect or self.directory is None:
            return None
        due = {p: m for p, m in self.marks.items() if p in owned and self.saved.get(p) != m[0]}
        if not due:
            return None
        data, where = internals.memory_maps(self)
        marks = {p: (self.ident(p), m) for p, m in due.items()}
        return Taken(marks, data.copy(), where.copy())

    def saved_at(self, snap: Snapshot) -> None:
        """Note that `snap` is on disk."""
        self.saved[snap.ident.partition] = snap.offset


@dataclass(frozen=True)
class Taken:
    """Copies of a store's maps and the markers due, taken on the loop, split off it."""

    marks: dict[int, tuple[Identity, Marker]]
    data: dict[bytes, bytes]
    where: dict[bytes, int]

    def split(self) -> list[Snapshot]:
        """Return one snapshot per partition due."""
        entries: dict[int, list[tuple[bytes, bytes]]] = {p: [] for p in self.marks}
        data = self.data
        for key, part in self.where.items():
            bucket = entries.get(part)
            if bucket is not None and key != MARK_KEY and (value := data.get(key)) is not None:
                bucket.append((key, value))
        return [Snapshot(ident, m[0], m[1], entries[p]) for p, (ident, m) in self.marks.items()]


def save(directory: Path, taken: Taken) -> list[Snapshot]:
    """Split `taken` and write its checkpoints; return them (run in a thread)."""
    snaps = taken.split()
    checkpoint.save_all(directory, snaps)
    return snaps


def _load_all(directory: Path, idents: list[Identity]) -> dict[int, Snapshot]:
    """Return the usable checkpoints of `idents` by partition; log why others are not."""
    out = {}
    for ident in idents:
        try:
            out[ident.partition] = checkpoint.load(directory, ident)
        except CheckpointError as exc:
            if str(exc) != "none":
                log.warning("ignored checkpoint %s: %s", ident.filename(), exc)
    return out
