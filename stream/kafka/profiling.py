"""Profile the worker's event loop with cProfile when KPIWATCH_PROFILE names a file.

A development aid (py-spy is not installed here): the stats of the main thread
(agents, fetch loop, writer) are dumped every `DUMP_EVERY` seconds, so a
SIGKILLed worker still leaves a profile behind. `bench/throughput.py --profile`
sets the variable and prints the top functions.

    KPIWATCH_PROFILE=/tmp/worker.prof kpiwatch run
    python -m pstats /tmp/worker.prof   # then: sort tottime, stats 30
"""

from __future__ import annotations

import cProfile
import logging
import os

import faust

ENV = "KPIWATCH_PROFILE"
DUMP_EVERY = 5.0

log = logging.getLogger("kpiwatch.profiling")


class Profiler:
    """cProfile of the event loop thread, dumped to `path` on demand."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.profile = cProfile.Profile()

    async def dump(self) -> None:
        """Write the stats so far to `path` and go on profiling."""
        self.profile.disable()  # dump_stats snapshots and leaves the profiler off
        self.profile.dump_stats(self.path)
        self.profile.enable()


def install(app: faust.App) -> Profiler | None:
    """Start profiling and dump on a timer if KPIWATCH_PROFILE is set; else do nothing."""
    path = os.environ.get(ENV)
    if not path:
        return None
    profiler = Profiler(path)
    profiler.profile.enable()
    log.warning("profiling the event loop into %s (every %.0f s)", path, DUMP_EVERY)
    app.timer(DUMP_EVERY)(profiler.dump)
    return profiler
