"""Load the config file off the event loop, with a timeout.

    config = await load_off_loop(lambda: load_config(path), path, timeout_s=5.0)

The read runs in a daemon thread: a file system that hangs (a stale NFS mount)
costs that thread, never the event loop, and never blocks the process's exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from stream.config.errors import ConfigFileError, ConfigIssue

T = TypeVar("T")
READ_TIMEOUT_S = 5.0


async def run_off_loop(fn: Callable[[], T], timeout_s: float) -> T:
    """Run a blocking call in a daemon thread; raise TimeoutError after `timeout_s`."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # timed out meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (fn(), None)
        except BaseException as exc:  # handed to the awaiting task
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name="kpiwatch-config-read", daemon=True).start()
    return await asyncio.wait_for(asyncio.shield(future), timeout_s)


async def load_off_loop(load: Callable[[], T], path: Path, timeout_s: float = READ_TIMEOUT_S) -> T:
    """Run a config load off the loop; a read slower than `timeout_s` is a ConfigFileError."""
    try:
        return await run_off_loop(load, timeout_s)
    except TimeoutError:
        message = f"cannot read: no answer within {timeout_s:g}s (is it a FIFO or a hung mount?)"
        raise ConfigFileError([ConfigIssue(str(path), "", message)]) from None
