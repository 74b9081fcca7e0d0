"""A faust consumer whose fetch loop hands records to the conductor directly.

faust's `Consumer._drain_messages` wraps every record's delivery in
`wait_first(callback(message), suspend_flow.wait())`: four tasks and an
`asyncio.wait` per record, ~40 % of faust's per-record cost on this stack
(MEASURED.md). Here the callback is awaited directly; a flow suspension
(rebalance) is checked between records instead, and the rest of the fetched
batch is dropped: faust seeks back to the committed offsets before resuming,
so those records are fetched again.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from faust.transport.drivers import aiokafka as driver


class FastConsumer(driver.Consumer):
    """faust's aiokafka consumer without the per-record wait_first."""

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - exercised e2e
        callback = self.callback
        getmany = self.getmany
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set
        suspended = self.suspend_flow.is_set
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        commit_every = self._commit_every
        since_yield = 0
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                await asyncio.sleep(0)
                if self.should_stop:
                    break
                async for tp, message in getmany(timeout=1.0):
                    if suspended():
                        break
                    since_yield += 1
                    if since_yield > 100:  # let the agents run, as faust's loop does
                        since_yield = 0
                        await asyncio.sleep(0)
                    offset = message.offset
                    r_offset = read_offset[tp]
                    if r_offset is not None and offset < r_offset:
                        continue  # already delivered (a re-fetch after a seek)
                    if r_offset and offset - r_offset > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, r_offset + 1, offset)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    await callback(message)
                    read_offset[tp] = offset
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise


def enabled() -> bool:
    """Return False when KPIWATCH_FASTPATH=0 asks for faust's stock paths (an escape hatch)."""
    return os.environ.get("KPIWATCH_FASTPATH", "1") != "0"


def install() -> None:
    """Make faust's aiokafka transport build `FastConsumer`s."""
    driver.Transport.Consumer = FastConsumer
