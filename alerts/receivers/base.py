"""The receiver boundary: one POST, httpx errors translated, one retry policy.

    await post_json(client, url, body, headers={}, timeout_s=10.0)

`check_response` is the only place that decides what is retryable: 2xx ok;
429 (honouring Retry-After) and 5xx retryable; any other status final.
Timeouts, connection and protocol errors are retryable.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

import httpx

from alerts.config import AlertmanagerReceiver, SlackReceiver, WebhookReceiver
from alerts.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from alerts.notification import Notification
from alerts.redaction import redact

C = TypeVar("C", WebhookReceiver, SlackReceiver, AlertmanagerReceiver)
JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": "kpiwatch"}


class Notifier(Protocol):
    """Sends notifications to one receiver; raises `DeliveryError` on failure."""

    name: str
    send_resolved: bool

    def repeat_interval(self, rule_repeat: timedelta) -> timedelta:
        """Return how often a still-firing alert is re-sent to this receiver."""
        ...

    def payload(self, notification: Notification) -> object:
        """Return the JSON payload for a notification (also kept in dead letters)."""
        ...

    async def notify(self, notification: Notification) -> None:
        """Deliver one notification."""
        ...


class HttpNotifier(Generic[C]):
    """What every HTTP receiver shares: its config, name, resolved policy and client."""

    def __init__(self, cfg: C, client: httpx.AsyncClient) -> None:
        self.cfg: C = cfg
        self.name: str = cfg.name
        self.send_resolved: bool = cfg.send_resolved
        self._client = client

    def repeat_interval(self, rule_repeat: timedelta) -> timedelta:
        """Return the rule's repeat interval (receivers with their own cadence override)."""
        return rule_repeat


def check_response(response: httpx.Response) -> None:
    """Return if 2xx; raise a retryable or permanent DeliveryError otherwise."""
    code = response.status_code
    if 200 <= code < 300:
        return
    detail = f"HTTP {code} {response.reason_phrase}: {_excerpt(response)}"
    if code == 429:
        after = parse_retry_after(response.headers.get("Retry-After"))
        raise RetryableDeliveryError("http_429", detail, retry_after=after)
    if code >= 500:
        raise RetryableDeliveryError("http_5xx", detail)
    raise PermanentDeliveryError("http_4xx" if code >= 400 else "http_other", detail)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return the wait a Retry-After header asks for, in seconds (None if absent/invalid)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
) -> None:
    """POST a JSON body; translate every failure into a DeliveryError."""
    try:
        response = await client.post(
            url, content=body, headers={**JSON_HEADERS, **headers}, timeout=timeout_s
        )
    except httpx.TimeoutException as exc:
        raise RetryableDeliveryError("timeout", f"no response within {timeout_s:g}s") from exc
    except httpx.TransportError as exc:
        # the message of a transport error may contain the URL: keep only the type
        raise RetryableDeliveryError("connection", type(exc).__name__) from exc
    except httpx.HTTPError as exc:
        raise PermanentDeliveryError("request", type(exc).__name__) from exc
    check_response(response)


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    try:
        text = response.text
    except (UnicodeDecodeError, httpx.HTTPError):
        return "<undecodable body>"
    # a receiver may echo its URL (a token in the query) or a header: redact first
    return redact(text)[:limit].strip() or "<empty body>"


__all__ = ["DeliveryError", "Notifier", "check_response", "parse_retry_after", "post_json"]
