"""Webhook authentication: Zendesk and Twilio signatures, bearer tokens (constant-time).

zendesk_valid(secret, timestamp_header, body, signature_header)
twilio_valid(auth_token, "https://ingest.example.com/ingest/twilio/taskrouter", form, sig)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return Zendesk's signature: base64 HMAC-SHA256 of timestamp + body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def zendesk_valid(secret: str, timestamp: str | None, body: bytes, signature: str | None) -> bool:
    """Return whether a Zendesk webhook request is signed with `secret`."""
    if not timestamp or not signature:
        return False
    return hmac.compare_digest(zendesk_signature(secret, timestamp, body), signature.strip())


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Return Twilio's signature: base64 HMAC-SHA1 of the URL + sorted name/value pairs."""
    data = url + "".join(name + value for name, value in sorted(params))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def twilio_valid(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None
) -> bool:
    """Return whether a Twilio request to `url` with form `params` is signed."""
    if not signature:
        return False
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(expected, signature.strip())


def bearer_valid(token: str, authorization: str | None) -> bool:
    """Return whether an Authorization header carries `Bearer <token>`."""
    if not authorization or not authorization.startswith("Bearer "):
        return False
    return hmac.compare_digest(authorization.removeprefix("Bearer ").strip(), token)
