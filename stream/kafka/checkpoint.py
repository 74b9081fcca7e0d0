"""Checkpoint files: one changelog partition's table contents and the offset they reflect.

A checkpoint holds every key of one partition of one table as of a changelog
marker (`MARK_KEY`) at `offset`, plus that marker's value (a random token), so
a restarted worker loads it and replays only the changelog after `offset`.
Files are written atomically (temp file, fsync, rename); a file whose magic,
digest, identity (app, table, changelog topic, partition count, partition) or
format does not match is refused with a reason, and the caller replays the
whole changelog instead.

    ident = Identity("kpiwatch", "tickets", "kpiwatch-tickets-changelog", 8, 3)
    save(Path("data/checkpoints"), Snapshot(ident, 1234, b"token", [(b"k", b"v")]))
    snap = load(Path("data/checkpoints"), ident)   # Snapshot, or raises CheckpointError
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import msgspec
import orjson

FORMAT = 1
MAGIC = b"KPIWATCH-CHECKPOINT\n"
_SIZE = struct.Struct(">I")
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(list[tuple[bytes, bytes]])
_DIGEST = 32


class CheckpointError(Exception):
    """A checkpoint file that must not be used (missing, corrupt, or someone else's)."""


@dataclass(frozen=True)
class Identity:
    """Which table partition a checkpoint belongs to."""

    app_id: str
    table: str
    topic: str  # the changelog topic
    partitions: int  # of the changelog topic
    partition: int

    def filename(self) -> str:
        """Return the file name of this partition's checkpoint."""
        return f"{self.topic}.{self.partitions}.{self.partition}.ckpt"


@dataclass(frozen=True)
class Snapshot:
    """A table partition's contents as of the changelog marker at `offset`."""

    ident: Identity
    offset: int
    token: bytes  # the value of the marker at `offset`
    entries: list[tuple[bytes, bytes]]


def save(directory: Path, snap: Snapshot) -> Path:
    """Write `snap` atomically into `directory` and return the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / snap.ident.filename()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    header = orjson.dumps(
        {
            "format": FORMAT,
            "ident": snap.ident.__dict__,
            "offset": snap.offset,
            "token": snap.token.hex(),
            "count": len(snap.entries),
        }
    )
    head = MAGIC + _SIZE.pack(len(header)) + header
    body = _ENCODER.encode(snap.entries)
    digest = hashlib.blake2b(head, digest_size=_DIGEST)
    digest.update(body)
    with open(tmp, "wb") as out:
        out.write(head)
        out.write(body)
        out.write(digest.digest())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return path


def save_all(directory: Path, snaps: list[Snapshot]) -> None:
    """Write each of `snaps` atomically into `directory`."""
    for snap in snaps:
        save(directory, snap)


def load(directory: Path, ident: Identity) -> Snapshot:
    """Read and check the checkpoint of `ident`; raise CheckpointError if unusable."""
    path = directory / ident.filename()
    try:
        data = memoryview(path.read_bytes())
    except FileNotFoundError:
        raise CheckpointError("none") from None
    except OSError as exc:
        raise CheckpointError(f"unreadable: {exc.strerror}") from None
    at = len(MAGIC) + _SIZE.size
    if len(data) < at + _DIGEST or data[: len(MAGIC)] != MAGIC:
        raise CheckpointError("not a checkpoint file")
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if hashlib.blake2b(body, digest_size=_DIGEST).digest() != digest:
        raise CheckpointError("corrupt (digest mismatch)")
    (size,) = _SIZE.unpack_from(body, len(MAGIC))
    head = orjson.loads(body[at : at + size])
    if head.get("format") != FORMAT:
        raise CheckpointError(f"format {head.get('format')}, not {FORMAT}")
    if head.get("ident") != ident.__dict__:
        raise CheckpointError(f"belongs to {head.get('ident')}")
    try:
        entries = _DECODER.decode(body[at + size :])
    except msgspec.DecodeError as exc:
        raise CheckpointError(f"bad entries: {exc}") from None
    if len(entries) != head["count"]:
        raise CheckpointError("entry count mismatch")
    return Snapshot(ident, int(head["offset"]), bytes.fromhex(head["token"]), entries)


def discard(directory: Path, ident: Identity) -> None:
    """Delete the checkpoint of `ident`, if any."""
    (directory / ident.filename()).unlink(missing_ok=True)
