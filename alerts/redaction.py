"""Redact secrets from text: configured secret values, URL userinfo and query strings.

    REDACTOR.add({"s3cr3t-key": "${HMAC_KEY}"})     # fed by the config loader
    REDACTOR.redact("key s3cr3t-key at https://u:p@h/x?token=1")
    # -> 'key ${HMAC_KEY} at https://***@h/x?***'
    install_log_redaction()                          # every log record, every logger

One process-wide `Redactor` is applied at the boundaries: log records (the record
factory, so no handler can miss it), delivery error details, dead letters and HTTP
API replies. It only learns secrets, never forgets them: a rotated secret stays
redacted in what the process still says about the old one.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MIN_SECRET = 4  # shorter values ("1", "on") would mangle messages and hide nothing
SECRET = "<secret>"

# scheme://[userinfo@]rest[?query]; stops at whitespace, quotes and angle brackets
_URL = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s/?#@\"'<>\\]*@)?"
    r"(?P<rest>[^\s?#\"'<>]*)(?P<query>\?[^\s#\"'<>]*)?"
)
# a bare path with a query (an echoed request line: "POST /hook?token=...")
_PATH_QUERY = re.compile(r"(?P<pre>(?:^|[\s\"'(=]))(?P<path>/[^\s?#\"'<>]*)\?[^\s#\"'<>]+")


def _url(match: re.Match[str]) -> str:
    userinfo = "***@" if match.group("userinfo") else ""
    query = "?***" if match.group("query") else ""
    return f"{match.group('scheme')}{userinfo}{match.group('rest')}{query}"


def redact_urls(text: str) -> str:
    """Replace URL userinfo and query strings in `text` by `***`."""
    if "?" not in text and "@" not in text:
        return text
    text = _URL.sub(_url, text)
    return _PATH_QUERY.sub(lambda m: f"{m.group('pre')}{m.group('path')}?***", text)


def _forms(value: str) -> set[str]:
    """Return the ways a secret may be echoed: as is, URL-encoded, JSON-escaped."""
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


class Redactor:
    """Known secret values, each with the name it is replaced by."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._ordered: list[str] = []
        self._lock = threading.Lock()

    def add(self, secrets: Mapping[str, str]) -> None:
        """Learn secret values (value → replacement, e.g. `${SLACK_URL}`)."""
        with self._lock:
            for value, name in secrets.items():
                if len(value) < MIN_SECRET:
                    continue
                for form in _forms(value):
                    self._names.setdefault(form, name or SECRET)
            # longest first: one value may contain another
            self._ordered = sorted(self._names, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return `text` without secret values, URL userinfo or query strings."""
        for value in self._ordered:
            if value in text:
                text = text.replace(value, self._names[value])
        return redact_urls(text)

    def redact_secrets(self, text: str) -> str:
        """Return `text` without secret values and URL userinfo (query strings kept)."""
        for value in self._ordered:
            if value in text:
                text = text.replace(value, self._names[value])
        return _URL.sub(lambda m: _url_userinfo_only(m), text) if "@" in text else text


def _url_userinfo_only(match: re.Match[str]) -> str:
    userinfo = "***@" if match.group("userinfo") else ""
    return f"{match.group('scheme')}{userinfo}{match.group('rest')}{match.group('query') or ''}"


REDACTOR = Redactor()


def redact(text: str) -> str:
    """Redact `text` with the process-wide redactor."""
    return REDACTOR.redact(text)


def install_log_redaction(redactor: Redactor = REDACTOR) -> None:
    """Redact every log record as it is created, whatever logger or handler it goes to."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "kpiwatch_redacting", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for logging to report
            return record
        record.msg, record.args = redactor.redact(message), ()  # () not None: mode re-wraps None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redactor.redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redactor.redact(record.stack_info)
        return record

    make.kpiwatch_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
