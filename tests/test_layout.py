"""Package boundaries: who may import faust, aiokafka, stream.config and stream."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KAFKA_LIBS = {"faust", "aiokafka"}
KPIS_FORBIDDEN = {"stream.config", "faust", "aiokafka", "prometheus_client"}


def module_name(path: Path) -> str:
    """Return the dotted module name of a file under ROOT."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """Return what `source` imports anywhere in it (`from m import x` as m.x), resolved."""
    out: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def within(name: str, roots: set[str]) -> bool:
    """Return whether module `name` is one of `roots` or inside one."""
    return any(name == r or name.startswith(r + ".") for r in roots)


def violations(module: str, imports: set[str]) -> list[str]:
    """Return the boundary rules `module` breaks by importing `imports`."""
    bad = []
    if not (within(module, {"stream.kafka"}) or module == "stream.app"):
        bad += [
            f"{module} imports {i} (only stream.kafka and stream.app may)"
            for i in sorted(imports)
            if within(i, KAFKA_LIBS)
        ]
    if within(module, {"stream.kpis"}):
        bad += [
            f"{module} imports {i} (stream.kpis is pure)"
            for i in sorted(imports)
            if within(i, KPIS_FORBIDDEN)
        ]
    if within(module, {"alerts"}):
        bad += [
            f"{module} imports {i} (alerts never imports stream)"
            for i in sorted(imports)
            if within(i, {"stream"})
        ]
    return bad


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("stream.web.v2", "import faust", 1),
        ("stream.dev.generator", "from aiokafka.errors import KafkaError", 1),
        ("stream.web.v2", "def f():\n    from faust.web import View", 1),
        ("stream.kafka.web", "import faust\nfrom aiokafka import AIOKafkaProducer", 0),
        ("stream.app", "import faust", 0),
        ("stream.kpis.core", "from stream.config import Config", 1),
        ("stream.kpis.core", "from ..config import Config", 1),
        ("stream.kpis.core", "from prometheus_client import Gauge", 1),
        ("stream.kpis.core", "from stream.kpis.windows import Window", 0),
        ("alerts.engine", "from stream.alerting import Alerting", 1),
        ("alerts.engine", "from alerts.config import Rule", 0),
        ("stream.faustish", "import faustish", 0),
    ],
)
def test_rules_catch_what_they_should(module: str, source: str, broken: int) -> None:
    assert len(violations(module, imported(source, module))) == broken


def test_the_tree_keeps_the_boundaries() -> None:
    bad = []
    files = sorted([*ROOT.joinpath("stream").rglob("*.py"), *ROOT.joinpath("alerts").rglob("*.py")])
    assert len(files) > 20
    for path in files:
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        bad += violations(module, imported(source, module, path.name == "__init__.py"))
    assert not bad, "\n".join(bad)
