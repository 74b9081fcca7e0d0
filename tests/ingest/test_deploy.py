"""The ingest service's deploy entries: compose service, Kubernetes objects, their configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stream.config.root import check_file, load_config
from tests.deploy.tools import DEPLOY, require_module

K8S = sorted((DEPLOY / "k8s" / "ingest").glob("*.yaml"))
SECRETS = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9093",
    "KAFKA_SASL_PASSWORD": "x",
    "ZENDESK_WEBHOOK_SECRET": "z",
    "TWILIO_AUTH_TOKEN": "t",
    "CONNECT_INGEST_TOKEN": "c",
    "KPIWATCH_INGEST_TOKEN": "e",
}


def _docs() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for p in K8S for d in yaml.safe_load_all(p.read_text()) if d}


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_ingest_manifests_match_the_kubernetes_schemas(path: Path) -> None:
    kv = require_module("kubernetes_validate", pip="kubernetes-validate")
    for doc in yaml.safe_load_all(path.read_text()):
        kv.validate(doc, kv.latest_version(), strict=True)


def test_ingest_deployment_service_and_config_fit_together(tmp_path: Path) -> None:
    r = _docs()
    pod = r["Deployment"]["spec"]["template"]
    assert (
        r["Deployment"]["spec"]["selector"]["matchLabels"].items()
        <= pod["metadata"]["labels"].items()
    )
    assert r["Service"]["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    worker = yaml.safe_load((DEPLOY / "k8s" / "deployment.yaml").read_text())
    worker_pods = worker["spec"]["template"]["metadata"]["labels"]
    assert not r["Service"]["spec"]["selector"].items() <= worker_pods.items()
    (c,) = pod["spec"]["containers"]
    assert c["args"][0] == "ingest"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    mount = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}["config"]
    config_file = Path(c["args"][c["args"].index("--config") + 1])
    assert config_file.parent.as_posix() == mount
    (data,) = r["ConfigMap"]["data"].items()
    assert data[0] == config_file.name
    path = tmp_path / data[0]
    path.write_text(data[1])
    assert check_file(path, SECRETS) == []
    cfg = load_config(path, SECRETS)
    assert c["ports"][0]["containerPort"] == cfg.ingest.port
    referenced = {e["name"] for e in c["env"]}
    assert set(SECRETS) <= referenced
    workers_cfg = yaml.safe_load(
        yaml.safe_load((DEPLOY / "k8s" / "configmap.yaml").read_text())["data"]["kpiwatch.yaml"]
    )
    assert yaml.safe_load(data[1])["kafka"] == workers_cfg["kafka"]


def test_compose_ingest_service_runs_the_image_with_a_valid_config() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    ingest = services["ingest"]
    assert ingest["image"] == "kpiwatch:local"
    assert ingest["command"][0] == "ingest"
    config = ingest["command"][ingest["command"].index("--config") + 1]
    (volume,) = [v for v in ingest["volumes"] if v.split(":")[1] == config]
    local = DEPLOY / volume.split(":")[0]
    env = {k: v for k, v in ingest["environment"].items() if "${" not in v}
    assert check_file(local, env) == []
    cfg = load_config(local, env)
    assert ingest["ports"] == [f"{cfg.ingest.port}:{cfg.ingest.port}"]
    assert str(cfg.ingest.port) in " ".join(ingest["healthcheck"]["test"])
    workers = yaml.safe_load((DEPLOY / "kpiwatch" / "kpiwatch.yaml").read_text())
    assert yaml.safe_load(local.read_text())["kafka"] == workers["kafka"]
    prom = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "kpiwatch-ingest"]
    assert job["static_configs"][0]["targets"] == [f"ingest:{cfg.ingest.port}"]
