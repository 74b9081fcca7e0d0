"""Secret tracking and reading the config file safely (FIFO, timeout)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from alerts.redaction import REDACTOR
from stream.config.errors import ConfigFileError
from stream.config.offloop import load_off_loop, run_off_loop
from stream.config.root import load_config
from stream.config.secrets import config_secrets

CONFIG = """
http: {auth_token: "${API_TOKEN}"}
receivers:
  - {name: a, type: webhook, url: "https://h.example/hook/${PATH_TOKEN}?k=${QUERY_TOKEN}",
     hmac_secret: "${HMAC_KEY}", headers: {X-Key: "${HEADER_KEY}"}}
kafka: {client_id: "${CLIENT_ID}"}
"""
ENV = {
    "API_TOKEN": "api-T0KEN-1",
    "PATH_TOKEN": "path-T0KEN-2",
    "QUERY_TOKEN": "query-T0KEN-3",
    "HMAC_KEY": "hmac-T0KEN-4",
    "HEADER_KEY": "header-T0KEN-5",
    "CLIENT_ID": "kpiwatch-test",
}


def test_every_secret_of_the_config_is_known_by_its_reference(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG)
    config = load_config(path, ENV)
    refs = {v: f"${{{k}}}" for k, v in ENV.items()}
    found = config_secrets(config, refs)
    for name in ("API_TOKEN", "PATH_TOKEN", "QUERY_TOKEN", "HMAC_KEY", "HEADER_KEY"):
        assert found[ENV[name]] == f"${{{name}}}"
    assert "kpiwatch-test" not in found  # referenced, but not used as a secret
    # load_config taught the process-wide redactor
    assert REDACTOR.redact("echo path-T0KEN-2 header-T0KEN-5") == "echo ${PATH_TOKEN} ${HEADER_KEY}"


def test_a_fifo_at_the_config_path_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    os.mkfifo(path)
    began = time.monotonic()
    with pytest.raises(ConfigFileError, match="not a regular file \\(a FIFO\\)"):
        load_config(path, {})
    assert time.monotonic() - began < 1.0


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="not a regular file"):
        load_config(tmp_path, {})


async def test_a_hanging_read_times_out_without_blocking_the_loop(tmp_path: Path) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    with pytest.raises(ConfigFileError, match=r"no answer within 0\.3s"):
        await load_off_loop(lambda: time.sleep(2), tmp_path / "c.yaml", timeout_s=0.3)
    task.cancel()
    assert ticks >= 10  # the loop kept running while the read hung
    assert await run_off_loop(lambda: 42, 1.0) == 42
    with pytest.raises(ValueError, match="boom"):
        await run_off_loop(lambda: int("boom"), 1.0)
