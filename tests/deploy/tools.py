"""Find the external tools the deploy tests need, and run servers by PID.

In CI (`CI` set in the environment) a missing tool fails the test with the
package to install; on a developer machine it skips.

    promtool = require("promtool", apt="prometheus")
    with Server([prometheus, ...], ready_url, log) as server: ...
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType, TracebackType
from typing import IO

import pytest

from stream.dev.children import stop_process
from tests.support.worker import wait_ready

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
_VENV_BIN = Path(sys.executable).parent


def require(*names: str, apt: str = "", pip: str = "") -> str:
    """Return the path of the first of `names` found; fail in CI, skip elsewhere."""
    for name in names:
        found = shutil.which(name) or shutil.which(name, path=str(_VENV_BIN))
        if found:
            return found
    how = f"apt-get install {apt}" if apt else f"pip install {pip}"
    message = f"{' / '.join(names)} not found: {how}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_module(name: str, pip: str) -> ModuleType:
    """Import and return module `name`; fail in CI, skip elsewhere, if it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"Python module {name} not found: pip install {pip}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a command to completion and return it (stdout and stderr captured)."""
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


class Server:
    """A server child process in its own session; stopped by PID even on failure."""

    def __init__(self, argv: list[str], ready_url: str, log: Path) -> None:
        self.argv, self.ready_url, self.log = argv, ready_url, log
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    def __enter__(self) -> Server:
        self._out = open(self.log, "ab")  # closed in stop()
        self.proc = subprocess.Popen(
            self.argv, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )
        if wait_ready(self.proc, self.ready_url, 30.0, self.tail):
            return self
        self.stop()
        raise TimeoutError(f"{self.argv[0]} not ready in 30s:\n{self.tail()}")

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL if it does not exit in 10 s."""
        proc, self.proc = self.proc, None
        stop_process(proc, timeout=10)
        if self._out is not None:
            self._out.close()
            self._out = None

    def tail(self, n: int = 30) -> str:
        """Return the last lines of the server's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
