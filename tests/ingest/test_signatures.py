"""Webhook signatures, bearer tokens and the token bucket (tables, no I/O)."""

from __future__ import annotations

import pytest

from stream.ingest.limits import TokenBucket
from stream.ingest.signatures import (
    bearer_valid,
    twilio_signature,
    twilio_valid,
    zendesk_signature,
    zendesk_valid,
)

# Twilio's documented example (docs/usage/security, the helper libraries' validation docs)
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


def test_twilio_signature_matches_the_documented_example() -> None:
    assert twilio_signature("12345", TWILIO_URL, TWILIO_PARAMS.items()) == (
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


@pytest.mark.parametrize(
    ("token", "url", "params", "signature", "ok"),
    [
        ("12345", TWILIO_URL, TWILIO_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", True),
        ("12346", TWILIO_URL, TWILIO_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", False),
        (
            "12345",
            TWILIO_URL.replace("https", "http"),
            TWILIO_PARAMS,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            False,
        ),
        (
            "12345",
            TWILIO_URL,
            {**TWILIO_PARAMS, "Digits": "1235"},
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            False,
        ),
        ("12345", TWILIO_URL, TWILIO_PARAMS, None, False),
        ("12345", TWILIO_URL, TWILIO_PARAMS, "", False),
    ],
)
def test_twilio_valid(
    token: str, url: str, params: dict[str, str], signature: str | None, ok: bool
) -> None:
    assert twilio_valid(token, url, params.items(), signature) is ok


BODY = b'{"type":"zen:event-type:ticket.created"}'
STAMP = "2026-01-05T10:00:00Z"
GOOD = zendesk_signature("secret", STAMP, BODY)


@pytest.mark.parametrize(
    ("secret", "stamp", "body", "signature", "ok"),
    [
        ("secret", STAMP, BODY, GOOD, True),
        ("other", STAMP, BODY, GOOD, False),
        ("secret", "2026-01-05T10:00:01Z", BODY, GOOD, False),
        ("secret", STAMP, BODY + b" ", GOOD, False),
        ("secret", None, BODY, GOOD, False),
        ("secret", STAMP, BODY, None, False),
    ],
)
def test_zendesk_valid(
    secret: str, stamp: str | None, body: bytes, signature: str | None, ok: bool
) -> None:
    assert zendesk_valid(secret, stamp, body, signature) is ok


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Bearer tok", True),
        ("Bearer tok2", False),
        ("tok", False),
        ("Basic tok", False),
        (None, False),
    ],
)
def test_bearer_valid(header: str | None, ok: bool) -> None:
    assert bearer_valid("tok", header) is ok


def test_token_bucket_admits_a_burst_then_the_rate() -> None:
    clock = [0.0]
    bucket = TokenBucket(per_second=2, burst=3, now=lambda: clock[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert bucket.retry_after() == 1
    clock[0] = 0.5
    assert [bucket.take(), bucket.take()] == [True, False]
    clock[0] = 100.0
    assert sum(bucket.take() for _ in range(10)) == 3
