"""History files: plain and gzip, the stream from the type, bad lines, event-time order."""

from __future__ import annotations

import gzip
from pathlib import Path

from stream.backtest.sources import Bad, file_records, in_time_order, stream_of
from tests.backtest.helpers import abandoned, answered, write_jsonl


def test_stream_of() -> None:
    assert stream_of(b'{"type": "ticket.created"}') == "tickets"
    assert stream_of(b'{"type": "call.queued"}') == "calls"
    assert stream_of(b'{"type": "agent.status_changed"}') == "agents"
    assert stream_of(b'{"type": "survey.responded", "ticket_id": "t"}') == "tickets"
    assert stream_of(b'{"type": "survey.responded", "call_id": "c"}') == "calls"
    assert stream_of(b'{"type": "nope"}') is None
    assert stream_of(b"[1]") is None
    assert stream_of(b"{") is None


def test_gzip_bad_lines_and_order(tmp_path: Path) -> None:
    evs = abandoned("x", 5) + answered("a", 2)  # out of order across calls
    plain = write_jsonl(tmp_path / "a.jsonl", evs, [b"", b"not json", b'{"type": "nope"}'])
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, gz):
        out = list(in_time_order(file_records([path]), reorder=600))
        bad = [o for o in out if isinstance(o, Bad)]
        good = [o for o in out if not isinstance(o, Bad)]
        assert [b.origin for b in bad] == [f"{path.name}:6", f"{path.name}:7"]
        assert bad[0].reason.startswith("invalid JSON")
        assert "unknown event type 'nope'" in bad[1].reason
        assert [e.ts for e in good] == sorted(e.ts for e in good)
        assert len(good) == 4


def test_reorder_window_bounds_what_is_held(tmp_path: Path) -> None:
    # with a 60 s window, minute 40 releases minute 20; minute 10 then comes too late to be
    # put before them: it is yielded as it comes (the KPI core judges it late or not)
    evs = answered("m20", 20) + answered("m40", 40) + answered("m10", 10)
    path = write_jsonl(tmp_path / "b.jsonl", evs)
    out = [e for e in in_time_order(file_records([path]), reorder=60) if not isinstance(e, Bad)]
    ids = ["m20-q", "m20-a", "m10-q", "m10-a", "m40-q", "m40-a"]
    assert [e.event_id for e in out] == ids
