"""The redaction helper: secret values, URL userinfo and query strings (table-driven)."""

from __future__ import annotations

import logging

import pytest

from alerts.redaction import Redactor, install_log_redaction, redact_urls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no url here", "no url here"),
        ("see https://h.example/x", "see https://h.example/x"),
        ("https://h/x?token=abc&b=2 then", "https://h/x?*** then"),
        ("http://user:pa55@h:8080/p", "http://***@h:8080/p"),
        ('{"url": "http://u:p@h/p?t=1"}', '{"url": "http://***@h/p?***"}'),
        ("POST /hook?token=abc HTTP/1.1", "POST /hook?*** HTTP/1.1"),
        ("what? really?", "what? really?"),
        ("mail me at ops@example.com", "mail me at ops@example.com"),
    ],
)
def test_urls(text: str, expected: str) -> None:
    assert redact_urls(text) == expected


def test_secret_values_in_every_echoed_form() -> None:
    r = Redactor()
    r.add({"s3cret/key+1": "${HMAC}", "abc": "${SHORT}", "sl4ck-T0KEN": ""})
    assert r.redact("key s3cret/key+1.") == "key ${HMAC}."
    assert r.redact("key s3cret%2Fkey%2B1") == "key ${HMAC}"  # URL-encoded
    assert r.redact("abc stays") == "abc stays"  # too short to be worth hiding
    assert r.redact("slack sl4ck-T0KEN") == "slack <secret>"
    assert r.redact_secrets("https://h/p?x=sl4ck-T0KEN&q=1") == "https://h/p?x=<secret>&q=1"


def test_log_records_are_redacted_whatever_the_handler(caplog: pytest.LogCaptureFixture) -> None:
    r = Redactor()
    r.add({"L0G-secret-42": "${TOKEN}"})
    previous = logging.getLogRecordFactory()
    install_log_redaction(r)
    try:
        with caplog.at_level(logging.INFO):
            logging.getLogger("any.where").info("sent to %s", "https://h/x?t=L0G-secret-42")
            try:
                raise ValueError("L0G-secret-42")
            except ValueError:
                logging.getLogger("x").exception("failed")
    finally:
        logging.setLogRecordFactory(previous)
    text = caplog.text
    assert "L0G-secret-42" not in text
    assert "https://h/x?***" in text and "${TOKEN}" in text


def test_redacted_records_survive_formatters_that_rewrap_args() -> None:
    from mode.utils.logging import ExtensionFormatter  # faust's, which wraps a None args

    previous = logging.getLogRecordFactory()
    install_log_redaction(Redactor())
    try:
        record = logging.getLogger("x").makeRecord(
            "x", logging.INFO, __file__, 1, "topics %s, 100%% ok", ({"a"},), None
        )
    finally:
        logging.setLogRecordFactory(previous)
    assert ExtensionFormatter().format(record).endswith("topics {'a'}, 100% ok")
