"""Shared by the ingest tests: the `ingest:` section, fixtures, signing, form encoding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from stream.ingest.signatures import twilio_signature, zendesk_signature

FIXTURES = Path(__file__).parent / "fixtures"
ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rz"
TWILIO_TOKEN = "0123456789abcdef0123456789abcdef"
CONNECT_TOKEN = "connect-test-token-1234"
EVENTS_TOKEN = "events-test-token-5678"
CONNECT_QUEUE = (
    "arn:aws:connect:us-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111"
    "/queue/55555555-5555-5555-5555-555555555555"
)
AGENT_QUEUE = (
    "arn:aws:connect:us-west-2:012345678901:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111"
    "/queue/queue-ARN"
)

INGEST: dict[str, Any] = {
    "zendesk": {
        "signing_secret": ZENDESK_SECRET,
        "queue": {"names": {"8447320466078": "billing", "8447320466079": "tech"}},
    },
    "twilio": {"auth_token": TWILIO_TOKEN},
    "connect": {
        "token": CONNECT_TOKEN,
        "queue": {"names": {CONNECT_QUEUE: "billing", AGENT_QUEUE: "billing"}},
    },
    "events": {"token": EVENTS_TOKEN},
}


def fixture(vendor: str, name: str) -> dict[str, Any]:
    """Return a fixture as a dict."""
    data: dict[str, Any] = json.loads((FIXTURES / vendor / f"{name}.json").read_text())
    return data


def zendesk_headers(body: bytes, secret: str = ZENDESK_SECRET) -> dict[str, str]:
    """Return the headers Zendesk sends with `body`."""
    stamp = "2026-01-05T10:00:00Z"
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": zendesk_signature(secret, stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def twilio_form(
    params: dict[str, str], url: str, token: str = TWILIO_TOKEN
) -> tuple[bytes, dict[str, str]]:
    """Return a TaskRouter callback body and its headers for `url`."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(token, url, params.items()),
    }
    return urlencode(params).encode(), headers
