"""The compiled KPI core (stream.native): same results as the pure sources, never stale."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stream import native

ROOT = Path(__file__).resolve().parents[2]


def checksum(pure: bool) -> str:
    """Run bench/core.py on a little traffic; return the checksum of all it produced."""
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "core.py"), "--events", "6000", "--runs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=True,
    ).stdout
    found = re.search(r"checksum: (\w+)", out)
    assert found, out
    return found.group(1)


def test_the_compiled_and_the_pure_core_produce_the_same_bytes() -> None:
    """Views, changelog state, counters and KPIs: byte for byte, both ways."""
    assert checksum(pure=True) == checksum(pure=False)


def test_ci_runs_the_compiled_core() -> None:
    """scripts/test.sh builds the core: CI tests what production runs."""
    if not os.environ.get("CI") or os.environ.get(native.PURE_ENV):
        pytest.skip("only CI must run compiled")
    assert native.status() == "compiled"


def test_pure_env_runs_the_sources() -> None:
    code = "from stream import native; print(native.status())"
    env = {**os.environ, native.PURE_ENV: "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert out.startswith("pure Python"), out


@pytest.mark.parametrize(
    ("manifest", "reason"),
    [
        (None, "stream/_native.json is missing"),
        ("not json", "stream/_native.json is missing"),
        ({"modules": {}}, "the build compiled other modules"),
        (
            {"modules": {m: native.digest(native.source_of(m)) for m in native.MODULES[:3]}},
            "the build compiled other modules",
        ),
        (
            {
                "modules": {
                    m: "0" * 64 if m.endswith(".state") else native.digest(native.source_of(m))
                    for m in native.MODULES
                }
            },
            "stream/entities/state.py changed since the build",
        ),
        ({"modules": {m: native.digest(native.source_of(m)) for m in native.MODULES}}, None),
    ],
)
def test_an_extension_older_than_its_sources_never_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifest: object, reason: str | None
) -> None:
    """One edited source sends the whole group back to pure Python."""
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    path = tmp_path / "_native.json"
    if manifest is not None:
        path.write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    monkeypatch.setattr(native, "MANIFEST", path)
    monkeypatch.setattr(native, "_shims", lambda: set(native.MODULES))
    why = native._why_pure()
    if reason is None:
        assert why is None
    else:
        assert why is not None and why.startswith(reason), why


def test_a_shim_the_build_did_not_make_sends_the_group_back_to_pure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module compiled by an earlier build, then left out, must not import its shim."""
    path = tmp_path / "_native.json"
    path.write_text(
        json.dumps({"modules": {m: native.digest(native.source_of(m)) for m in native.MODULES}})
    )
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    monkeypatch.setattr(native, "MANIFEST", path)
    monkeypatch.setattr(native, "_shims", lambda: {*native.MODULES, "stream.pipeline.batch"})
    assert (native._why_pure() or "").startswith("the build compiled other modules")


def test_the_pure_finder_serves_sources() -> None:
    finder = native._PureFinder(frozenset(native.MODULES))
    spec = finder.find_spec("stream.kpis.windows")
    assert spec is not None and spec.origin == str(ROOT / "stream" / "kpis" / "windows.py")
    assert finder.find_spec("stream.cli") is None
