"""The committed Alertmanager config runs in a real Alertmanager and routes and
inhibits what it is sent (kpiwatch's own `alertmanager` receiver is tested in
tests/alerts)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from stream.broker import free_port
from tests.deploy.tools import DEPLOY, Server, require

pytestmark = pytest.mark.integration


def _alert(name: str, severity: str, queue: str = "billing") -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": severity, "queue": queue},
        "annotations": {"summary": f"{name} on {queue}"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=5)).isoformat(),
        "generatorURL": "http://kpiwatch.example/api/v1/alerts",
    }


def test_alertmanager_runs_the_config_routes_and_inhibits(tmp_path: Path) -> None:
    binary = require("prometheus-alertmanager", "alertmanager", apt="prometheus-alertmanager")
    config = tmp_path / "alertmanager.yml"
    shutil.copy(DEPLOY / "alertmanager" / "alertmanager.yml", config)  # used as committed
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]  # fmt: skip
    with Server(argv, f"{url}/-/ready", tmp_path / "alertmanager.log") as am:
        alerts = [_alert("AbandonRateHigh", "critical"), _alert("SlaAtRisk", "warning"),
                  _alert("SlaAtRisk", "warning", queue="sales")]  # fmt: skip
        r = httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5)
        assert r.status_code == 200, r.text
        got = httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
        by_key = {(a["labels"]["alertname"], a["labels"]["queue"]): a for a in got}
        assert by_key.keys() == {("AbandonRateHigh", "billing"), ("SlaAtRisk", "billing"),
                                 ("SlaAtRisk", "sales")}, am.tail()  # fmt: skip
        assert all(a["receivers"] == [{"name": "oncall-webhook"}] for a in got)
        # the critical alert mutes the warning of the same queue, not of another
        assert by_key["SlaAtRisk", "billing"]["status"]["inhibitedBy"]
        assert by_key["SlaAtRisk", "billing"]["status"]["state"] == "suppressed"
        assert by_key["SlaAtRisk", "sales"]["status"]["state"] == "active"
