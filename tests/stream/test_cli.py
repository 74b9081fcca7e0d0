"""The `kpiwatch` command: version, help with defaults, one-line errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from stream.dev.broker import free_port
from tests.support.worker import Topics, write_config


def _kpiwatch(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "stream", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_version() -> None:
    res = _kpiwatch("--version")
    assert res.returncode == 0 and res.stdout.startswith("kpiwatch "), res


def test_help_shows_defaults_and_no_metavar_for_flags() -> None:
    out = _kpiwatch("generate", "--help").stdout
    assert "<bool>" not in out
    assert "--incident / --no-incident" in out
    assert "[default: 2.0]" in out
    assert "127.0.0.1:9092" in " ".join(out.split())
    assert "$KPIWATCH_CONFIG or config/kpiwatch.yaml" in " ".join(
        _kpiwatch("run", "--help").stdout.split()
    )


def test_generate_refuses_an_incident_that_does_not_fit() -> None:
    res = _kpiwatch("generate", "--incident", "--duration", "15")
    assert res.returncode == 2
    assert "ends at 420 s, past --duration 15 s" in " ".join(res.stderr.split()), res.stderr


def test_generate_without_a_broker_is_one_line() -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    began = time.monotonic()
    res = _kpiwatch("generate", "--bootstrap", bootstrap, "--duration", "5")
    assert res.returncode == 1
    assert time.monotonic() - began < 30
    lines = res.stderr.splitlines()
    assert lines[-1] == (
        f"kpiwatch generate: cannot reach Kafka at {bootstrap} (KafkaConnectionError):"
        " start one with `kpiwatch broker` or pass --bootstrap"
    ), res.stderr
    assert len(lines) == 2 and "Traceback" not in res.stderr  # the plan line, the problem


def test_run_on_a_busy_port_is_one_line_naming_it(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        cfg = write_config(tmp_path / "w.yaml", f"127.0.0.1:{free_port()}", Topics(), port)
        res = _kpiwatch("run", "--config", str(cfg))
    assert res.returncode == 1
    assert res.stderr.splitlines() == [
        f"kpiwatch run: port {port} on 127.0.0.1 is already in use: stop what holds it"
        f" (ss -ltnp 'sport = :{port}') or choose another port (http.port or KPIWATCH_HTTP_PORT)"
    ]


def test_config_check_says_where_checkpoints_go(tmp_path: Path) -> None:
    on = tmp_path / "on.yaml"
    on.write_text("worker: {checkpoint_interval: 5s}\n")
    env = {"PATH": "", "KPIWATCH_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "stream", "config", "check"]
    res = subprocess.run([*cmd, str(on)], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 0, res.stderr
    assert f"checkpoints: {tmp_path / 'data' / 'checkpoints'} (every 5 s or longer)" in res.stdout
    off = tmp_path / "off.yaml"
    off.write_text("worker: {checkpoints: false}\n")
    res = subprocess.run([*cmd, str(off)], capture_output=True, text=True, timeout=60, env=env)
    assert "checkpoints: off" in res.stdout, res
    bad = tmp_path / "bad.yaml"
    bad.write_text("worker: {checkpoint_interval: 0s}\n")
    res = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 1 and "checkpoint_interval" in res.stderr, res
