"""The compiled KPI core: the pure modules on the hot path, built with mypyc.

    kpiwatch core build     # compile MODULES in place (gcc, ~1-2 min)
    kpiwatch core status    # which core this checkout runs, and why
    kpiwatch core clean     # back to pure Python

The same source runs either way: mypyc compiles the typed Python of `MODULES` to C
(one extension, `stream/_core__mypyc…so`, and a small shim beside each source), and
the reference checks run against both. `build` also writes `stream/_native.json`,
the sha256 of every source it compiled.

At import (`stream/__init__`), `guard()` serves the pure sources instead of the
extension when `KPIWATCH_PURE=1` is set, or when any compiled source changed since
the build: the modules of one build call each other natively, so one edited source
sends the whole group back to pure Python (a stale extension never runs). A checkout
that never ran `build` simply has no extension. Only the standard library is imported
here: this runs before any other part of `stream`.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
MANIFEST = PACKAGE / "_native.json"
GROUP = "stream._core"  # the extension holding the compiled code: stream/_core__mypyc…so
PURE_ENV = "KPIWATCH_PURE"

# The pure core, in dependency order. A module here must keep to what mypyc compiles
# (no class attribute read through `__slots__`, no dataclass inheriting a declared
# field); tests/stream/test_native.py runs the core both ways on the same traffic.
MODULES = (
    "stream.sla.weekly_hours",
    "stream.sla.calendars",
    "stream.sla.policy",
    "stream.entities.state",
    "stream.entities.ticket_sla",
    "stream.entities.tickets",
    "stream.entities.calls",
    "stream.entities.agents",
    "stream.kpis.sketch",
    "stream.kpis.windows",
    "stream.kpis.facts",
    "stream.kpis.current",
    "stream.kpis.queue",
    "stream.pipeline.stages",
)

_state: dict[str, str] = {}  # why the pure sources run, if they do ("reason")


def source_of(module: str) -> Path:
    """Return the source file of one of `MODULES` (a package's is its `__init__.py`)."""
    path = PACKAGE.joinpath(*module.split(".")[1:])
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def digest(path: Path) -> str:
    """Return the sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _built() -> dict[str, str] | None:
    """Return the manifest of the last build, None if there is none (or it is unreadable)."""
    try:
        data = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return None
    modules = data.get("modules") if isinstance(data, dict) else None
    return modules if isinstance(modules, dict) else None


def _is_extension(path: Path) -> bool:
    return path.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _extensions() -> list[Path]:
    """Return every compiled file in the package (the group and the shims; all ours)."""
    return sorted(p for p in PACKAGE.rglob("*.*") if _is_extension(p))


def _shims() -> set[str]:
    """Return the modules that have a compiled shim beside their source."""
    out = set()
    for path in _extensions():
        if path.parent == PACKAGE and path.name.startswith("_core__mypyc"):
            continue
        parts = path.relative_to(PACKAGE).parts
        out.add(".".join(("stream", *parts[:-1], path.name.split(".")[0])))
    return out


def _why_pure() -> str | None:
    """Return why the pure sources must run although an extension exists, None if not."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return f"{PURE_ENV} is set"
    built = _built()
    if built is None:
        return "stream/_native.json is missing: run `kpiwatch core build`"
    if set(built) != set(MODULES) or _shims() != set(MODULES):
        return "the build compiled other modules than this source lists: run `kpiwatch core build`"
    for module in MODULES:
        src = source_of(module)
        if built.get(module) != digest(src):
            rel = src.relative_to(PACKAGE.parent)
            return f"{rel} changed since the build: run `kpiwatch core build`"
    return None


class _PureFinder(importlib.abc.MetaPathFinder):
    """Find the listed modules as their `.py` sources, ahead of any extension."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, source_of(fullname))


def guard() -> None:
    """Make the core modules import as pure Python when their extension must not run."""
    if not _extensions():
        _state["reason"] = "not built (`kpiwatch core build` compiles it)"
        return
    reason = _why_pure()
    if reason is None:
        return
    _state["reason"] = reason
    if not any(isinstance(f, _PureFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PureFinder(frozenset(_shims() | set(MODULES))))


def status() -> str:
    """Return "compiled", or "pure Python (reason)", for the core this process runs."""
    for module in MODULES:
        importlib.import_module(module)
    pure = [m for m in MODULES if str(sys.modules[m].__file__).endswith(".py")]
    if not pure:
        return "compiled"
    if len(pure) < len(MODULES):
        return f"partly compiled ({len(pure)} of {len(MODULES)} modules pure Python)"
    return f"pure Python ({_state.get('reason', 'no extension loaded')})"


def clean() -> list[Path]:
    """Delete the extension and the manifest; return what was deleted."""
    gone = _extensions()
    for path in gone:
        path.unlink()
    MANIFEST.unlink(missing_ok=True)
    return gone


def build(work: Path | None = None) -> None:
    """Compile `MODULES` in place and write the manifest (raises if the build fails)."""
    from mypyc.build import mypycify  # the `native` extra: mypy, setuptools
    from setuptools import setup

    root = PACKAGE.parent
    work = work or root / "build" / "native"
    clean()
    here = Path.cwd()
    os.chdir(root)  # mypyc names modules after their paths from here
    try:
        sources = [str(source_of(m).relative_to(root)) for m in MODULES]
        digests = {m: digest(source_of(m)) for m in MODULES}
        extensions = mypycify(sources, opt_level="3", group_name=GROUP, target_dir=str(work))
        setup(
            name="kpiwatch-core",
            ext_modules=extensions,
            script_args=["-q", "build_ext", "--inplace", "--build-temp", str(work / "temp")],
        )
    finally:
        os.chdir(here)
    shutil.rmtree(work, ignore_errors=True)
    MANIFEST.write_text(json.dumps({"group": GROUP, "modules": digests}, indent=1) + "\n")
