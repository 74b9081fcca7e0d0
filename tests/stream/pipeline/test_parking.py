"""Parking: a dead letter always fits the broker (truncated, with its size and source);
only size errors park a record, anything else is raised as before."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)

from stream.kafka.parking import size_error, too_large
from stream.pipeline.batch import DEAD_LETTER_MAX_BYTES, parked

BIG = DEAD_LETTER_MAX_BYTES + 1


@pytest.mark.parametrize(
    ("key", "value", "kept_key", "kept_value", "size"),
    [
        (b"t1", b"{}", b"t1", b"{}", None),
        (b"t1", b"x" * DEAD_LETTER_MAX_BYTES, b"t1", b"x" * DEAD_LETTER_MAX_BYTES, None),
        (b"t1", b"x" * 1_200_000, b"t1", b"x" * DEAD_LETTER_MAX_BYTES, b"1200000"),
        (b"k" * BIG, b"{}", b"k" * DEAD_LETTER_MAX_BYTES, b"{}", b"2"),
        (None, None, None, None, None),
    ],
)
def test_parked_records_fit(
    key: bytes | None,
    value: bytes | None,
    kept_key: bytes | None,
    kept_value: bytes | None,
    size: bytes | None,
) -> None:
    d = parked("support.tickets", 3, 17, key, value, "record is too large")
    headers = dict(d.headers)
    assert (d.key, d.value) == (kept_key, kept_value)
    assert headers.get("kpiwatch.original_size") == size
    assert headers["kpiwatch.reason"] == b"record is too large"
    assert headers["kpiwatch.source.topic"] == b"support.tickets"
    assert (headers["kpiwatch.source.partition"], headers["kpiwatch.source.offset"]) == (
        b"3",
        b"17",
    )


class SendError(Exception):
    """Like faust's ProducerSendError, which wraps the client's error."""


def _wrapped(inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except Exception as exc:
            raise SendError(f"Error while sending: {exc!r}") from exc
    except SendError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "parks"),
    [
        (MessageSizeTooLargeError(), True),
        (RecordTooLargeError(), True),
        (_wrapped(MessageSizeTooLargeError()), True),
        (KafkaTimeoutError(), False),  # an outage is retried (not acked), never parked
        (_wrapped(KafkaConnectionError()), False),
        (ValueError("bad"), False),
    ],
)
def test_only_size_errors_park(exc: BaseException, parks: bool) -> None:
    assert too_large(exc) is parks


def test_the_size_error_is_found_inside_faust_s_wrapper() -> None:
    inner = MessageSizeTooLargeError()
    assert size_error(_wrapped(inner)) is inner
    assert size_error(_wrapped(KafkaConnectionError())) is None
