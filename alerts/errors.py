"""The exception tree of `alerts/`.

    AlertsError
    ├── DeliveryError               a notification could not be delivered
    │   ├── RetryableDeliveryError  timeout, connection error, 429, 5xx
    │   └── PermanentDeliveryError  any other 4xx, unusable response
    └── SilenceError
        └── SilenceNotFound         no silence with that id

httpx errors are translated into `DeliveryError`s at one boundary,
`alerts.receivers.base.post_json`; nothing above it sees httpx exceptions.
`reason` is a short, bounded token (used as a metric label); `detail` is a
readable message that never contains the receiver URL (it may hold a token).
"""

from __future__ import annotations


class AlertsError(Exception):
    """Base class of every error raised by `alerts/`."""


class DeliveryError(AlertsError):
    """A notification could not be delivered."""

    retryable = False

    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


class RetryableDeliveryError(DeliveryError):
    """A failure worth retrying: timeout, connection error, 429 or 5xx."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """A failure that retrying cannot fix: a 4xx other than 429."""


class SilenceError(AlertsError):
    """A silence operation failed."""


class SilenceNotFound(SilenceError, KeyError):
    """No silence has the given id."""

    def __str__(self) -> str:
        return f"silence {self.args[0]!r} not found"
