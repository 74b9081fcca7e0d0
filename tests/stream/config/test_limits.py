"""The `limits` section, as `kpiwatch config check` reports it."""
# ruff: noqa: E501  (one case per line)

from __future__ import annotations

from pathlib import Path

import pytest

from stream.config.limits import DEFAULT_MAX_QUEUES, Limits
from stream.config.root import check_file, load_config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("limits: {max_queues: 0}\n", "limits.max_queues: input should be greater than or equal to 1"),
        ("limits: {max_queues: lots}\n", "limits.max_queues: input should be a valid integer"),
        ("limits: {max_labels: 3}\n", "limits.max_labels: unknown key"),
        ("kafka: {partitions: 8}\nlimits: {max_queues: 4}\n", "limits.max_queues: must be at least kafka.partitions (8)"),
    ],
)  # fmt: skip
def test_bad_limits_are_reported(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text(text)
    issues = check_file(path, environ={})
    assert len(issues) == 1 and expected in issues[0], issues


def test_default_and_share(tmp_path: Path) -> None:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text("timezone: UTC\n")
    assert load_config(path, {}).limits.max_queues == DEFAULT_MAX_QUEUES == 500
    assert [Limits(max_queues=500).per_partition(n) for n in (1, 4, 3, 500)] == [500, 125, 167, 1]
