"""Every kpiwatch config that deploy/ mounts passes `kpiwatch config check` with the
environment its container gets, and the compose stack's config stays the default
config plus the route to the stack's Alertmanager."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.tools import DEPLOY, ROOT

COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
K8S = [doc for p in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in yaml.safe_load_all(
    p.read_text()) if doc]  # fmt: skip
CONFIG_PATH = "/etc/kpiwatch/kpiwatch.yaml"
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def kpiwatch_services() -> dict[str, dict[str, Any]]:
    """Return the compose services that run the kpiwatch image."""
    return {n: s for n, s in COMPOSE["services"].items() if s["image"].startswith("kpiwatch:")}


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    """Return the container's environment as compose sets it when the host exports nothing."""
    return {k: _INTERPOLATION.sub(lambda m: m[2] or "", str(v))
            for k, v in service.get("environment", {}).items()}  # fmt: skip


def k8s_env() -> dict[str, str]:
    """Return the Deployment's environment: literal values, placeholders for required secrets."""
    (dep,) = [d for d in K8S if d["kind"] == "Deployment"]
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    env = {}
    for e in container["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "fieldRef" in e["valueFrom"]:
            env[e["name"]] = "kpiwatch-0"  # the pod's name
        elif not e["valueFrom"].get("secretKeyRef", {}).get("optional", False):
            env[e["name"]] = "https://secret.example/" + e["name"].lower()
    return env


def mounted_configs(tmp: Path) -> dict[str, tuple[Path, dict[str, str]]]:
    """Return where → (file, environment) of every kpiwatch config deploy/ mounts."""
    out = {}
    for name, service in kpiwatch_services().items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if target == CONFIG_PATH:
                out[f"compose {name}: {source}"] = (DEPLOY / source, compose_env(service))
    (cm,) = [d for d in K8S if d["kind"] == "ConfigMap"]
    for key, text in cm["data"].items():
        (tmp / key).write_text(text)
        out[f"k8s ConfigMap {cm['metadata']['name']}: {key}"] = (tmp / key, k8s_env())
    return out


def test_every_mounted_config_passes_kpiwatch_config_check(tmp_path: Path) -> None:
    configs = mounted_configs(tmp_path)
    assert any(k.startswith("compose kpiwatch-1") for k in configs)
    failed = {}
    for where, (path, env) in configs.items():
        assert path.is_file(), f"{where}: {path} does not exist"
        proc = run_check(path, env)
        if proc.returncode != 0:
            failed[where] = proc.stderr
    assert not failed, failed


def run_check(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the real CLI, `kpiwatch config check`, with only `env` (and PATH) set."""
    return subprocess.run(
        [sys.executable, "-m", "stream", "config", "check", str(path)],
        cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_compose_workers_and_generator_share_the_config_and_a_buildable_image() -> None:
    services = kpiwatch_services()
    assert {"kpiwatch-1", "kpiwatch-2", "generator"} <= services.keys()
    for name, s in services.items():
        assert s.get("build", {}).get("context") == "..", f"{name}: no build section"
        assert (DEPLOY / s["build"]["context"] / s["build"]["dockerfile"]).is_file()
        assert f"./kpiwatch/kpiwatch.yaml:{CONFIG_PATH}:ro" in s["volumes"], name
    assert CONFIG_PATH in services["generator"]["command"]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_compose_config_is_the_default_plus_the_stack_alertmanager() -> None:
    ours, default = _load(DEPLOY / "kpiwatch/kpiwatch.yaml"), _load(ROOT / "config/kpiwatch.yaml")
    for key in ("windows", "kpis", "calendars", "sla_policies", "inhibit_rules", "silences"):
        assert ours[key] == default[key], f"{key} differs from config/kpiwatch.yaml"
    receivers = {r["name"]: r for r in ours["receivers"]}
    assert [r for r in ours["receivers"] if r["name"] != "alertmanager"] == default["receivers"]
    am = receivers["alertmanager"]
    assert am["type"] == "alertmanager"
    # the compose service, on the port Alertmanager listens on
    assert am["url"].endswith("http://alertmanager:9093}")
    assert "alertmanager" in COMPOSE["services"]
    assert "9093:9093" in COMPOSE["services"]["alertmanager"]["ports"]
    assert len(ours["rules"]) == len(default["rules"])
    for rule, base in zip(ours["rules"], default["rules"], strict=True):
        assert rule["receivers"] == [*base["receivers"], "alertmanager"], rule["name"]
        assert {**rule, "receivers": base["receivers"]} == base, rule["name"]


def test_kafka_init_creates_the_topics_of_the_compose_config() -> None:
    init = " ".join(COMPOSE["services"]["kafka-init"]["command"])
    topics = _load(DEPLOY / "kpiwatch/kpiwatch.yaml")["kafka"]["topics"].values()
    assert all(t in init for t in topics), f"kafka-init does not create all of {list(topics)}"
