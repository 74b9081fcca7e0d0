"""`kpiwatch backtest` end to end on a file: tables, JSON, HTML, bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from stream.cli import app
from tests.backtest.helpers import RULE, write_jsonl
from tests.backtest.test_hand_computed import events

RECEIVER = {"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/x", "send_resolved": True}


def _config(path: Path, **rule: object) -> Path:
    path.write_text(yaml.safe_dump({"receivers": [RECEIVER], "rules": [{**RULE, **rule}]}))
    return path


def test_command_writes_tables_json_and_html(tmp_path: Path) -> None:
    history = write_jsonl(tmp_path / "h.jsonl", events(), [b"garbage"])
    cand = _config(tmp_path / "cand.yaml")
    base = _config(tmp_path / "base.yaml", threshold=0.35, recovery_threshold=0.25)
    out = tmp_path / "r.json"
    args = ["backtest", "--config", str(cand), "--baseline", str(base), "--events", str(history)]
    args += ["--from", "2026-11-02T09:00:00Z", "--to", "2026-11-02T09:30:00Z"]
    args += ["--sweep", "AbandonRateHigh.for=0s:2m:1m", "--json", str(out)]
    args += ["--html", str(tmp_path / "r.html")]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "AbandonRateHigh billing: 0 → 1 pages, 0 s → 8 m firing" in r.output
    assert "1 bad records" in r.output and "h.jsonl:41: invalid JSON" in r.output
    doc = json.loads(out.read_text())
    assert doc["version"] == 1 and doc["period"]["exact"] is True
    assert [row["label"] for row in doc["sweeps"][0]["rows"]] == ["0s", "1m", "2m"]
    assert doc["sweeps"][0]["current"] == 120.0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    cfg = _config(tmp_path / "c.yaml")
    base = ["backtest", "--config", str(cfg), "--events", str(tmp_path / "none.jsonl")]
    cases = [
        (["--from", "2026-11-02T09:00:00", "--to", "2026-11-02T10:00:00Z"], "give an offset"),
        (["--from", "2026-11-02T10:00:00Z", "--to", "2026-11-02T09:00:00Z"], "must be after"),
        (["--from", "2026-11-02T09:00:00Z", "--to", "2026-11-02T10:00:00Z"], "no such file"),
    ]
    for extra, message in cases:
        r = CliRunner().invoke(app, base + extra)
        assert r.exit_code == 2, r.output
        assert message in r.output
