"""Checkpoint files: what is saved loads back; anything else is refused with a reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stream.kafka import checkpoint
from stream.kafka.checkpoint import CheckpointError, Identity, Snapshot

IDENT = Identity("kpiwatch", "tickets", "kpiwatch-tickets-changelog", 8, 3)
ENTRIES = [(b"t-1", b"\x00state"), (b"", b""), (b"t-2", bytes(range(256)) * 10)]


def _saved(tmp_path: Path) -> Path:
    return checkpoint.save(tmp_path, Snapshot(IDENT, 1234, b"token", ENTRIES))


def test_a_saved_checkpoint_loads_back(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    assert path.name == "kpiwatch-tickets-changelog.8.3.ckpt"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left
    assert checkpoint.load(tmp_path, IDENT) == Snapshot(IDENT, 1234, b"token", ENTRIES)


def test_an_empty_partition_loads_back(tmp_path: Path) -> None:
    checkpoint.save(tmp_path, Snapshot(IDENT, 7, b"t", []))
    assert checkpoint.load(tmp_path, IDENT).entries == []


def _flip(data: bytes) -> bytes:
    return data[:60] + bytes([data[60] ^ 1]) + data[61:]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b[:-1], "corrupt (digest mismatch)"),
        (_flip, "corrupt (digest mismatch)"),
        (lambda b: b"", "not a checkpoint file"),
        (lambda b: b"x" * 100, "not a checkpoint file"),
        (lambda b: b[: len(b) // 2], "corrupt (digest mismatch)"),
    ],
)
def test_a_damaged_file_is_refused(
    tmp_path: Path, damage: Callable[[bytes], bytes], reason: str
) -> None:
    path = _saved(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        checkpoint.load(tmp_path, IDENT)


@pytest.mark.parametrize(
    "other",
    [
        Identity("other-app", "tickets", "kpiwatch-tickets-changelog", 8, 3),
        Identity("kpiwatch", "calls", "kpiwatch-tickets-changelog", 8, 3),
        Identity("kpiwatch", "tickets", "kpiwatch-tickets-changelog", 8, 4),
    ],
)
def test_another_identity_is_refused(tmp_path: Path, other: Identity) -> None:
    path = checkpoint.save(tmp_path, Snapshot(other, 1, b"t", ENTRIES))
    path.rename(tmp_path / IDENT.filename())
    with pytest.raises(CheckpointError, match="belongs to"):
        checkpoint.load(tmp_path, IDENT)


def test_another_partition_count_uses_another_file(tmp_path: Path) -> None:
    _saved(tmp_path)
    with pytest.raises(CheckpointError, match="none"):
        checkpoint.load(tmp_path, Identity("kpiwatch", "tickets", IDENT.topic, 16, 3))


def test_another_format_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint, "FORMAT", 0)
    _saved(tmp_path)
    monkeypatch.undo()
    with pytest.raises(CheckpointError, match="format 0, not 1"):
        checkpoint.load(tmp_path, IDENT)


def test_discard_removes_the_file(tmp_path: Path) -> None:
    _saved(tmp_path)
    checkpoint.discard(tmp_path, IDENT)
    checkpoint.discard(tmp_path, IDENT)  # twice is fine
    assert list(tmp_path.iterdir()) == []
