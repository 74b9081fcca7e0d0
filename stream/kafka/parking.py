"""Records the broker will never take: recognise them, so they are parked, not retried.

    if too_large(exc):      # MessageSizeTooLarge and kin, however faust wrapped it
        dead_letter(truncated copy, reason)

Only size errors are permanent: a timeout or a lost connection is raised as before
(the batch is not acked and is read again), so an outage never turns into parking.
"""

from __future__ import annotations

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


def too_large(exc: BaseException) -> bool:
    """Return whether `exc` (or what it wraps) says a record is too large to write."""
    return size_error(exc) is not None


def size_error(exc: BaseException) -> BaseException | None:
    """Return the size error `exc` is or wraps (faust wraps it in ProducerSendError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _TOO_LARGE):
            found: BaseException = current
            return found
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
