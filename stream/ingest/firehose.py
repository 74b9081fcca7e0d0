"""Amazon Data Firehose HTTP endpoint deliveries: the envelope in, the answer out.

A Firehose stream reading Connect's agent-event Kinesis stream can deliver straight to
`/ingest/connect` (no forwarding Lambda):

    envelope = unwrap(payload)        # None when the body is not a Firehose delivery
    envelope.request_id, envelope.records   # each record's data, base64-decoded
    firehose_answer(envelope.request_id, status, error)   # the JSON Firehose expects
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any

from stream.ingest.mapping import Unmappable, items, obj, text

ACCESS_KEY_HEADER = "X-Amz-Firehose-Access-Key"


@dataclass(frozen=True)
class Envelope:
    """One Firehose delivery: its request id and the decoded records."""

    request_id: str
    records: list[bytes]


def unwrap(payload: Any) -> Envelope | None:
    """Return the delivery in `payload`, None if it is not one; raise Unmappable if broken."""
    data = obj(payload)
    if "requestId" not in data or "records" not in data:
        return None
    request_id = text(data.get("requestId")) or ""
    records = []
    for index, record in enumerate(items(data.get("records"))):
        raw = obj(record).get("data")
        try:
            records.append(base64.b64decode(raw if isinstance(raw, str) else "", validate=True))
        except (binascii.Error, ValueError):
            raise Unmappable(f"records[{index}].data: not base64") from None
    return Envelope(request_id, records)


def firehose_answer(request_id: str, error: str | None) -> dict[str, Any]:
    """Return the JSON body Firehose expects (with `errorMessage` on a failure)."""
    body: dict[str, Any] = {"requestId": request_id, "timestamp": int(time.time() * 1000)}
    if error is not None:
        body["errorMessage"] = error
    return body
