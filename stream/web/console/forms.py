"""The console's silence form: fields in, a silence JSON body out, or readable problems."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

import orjson
from pydantic import ValidationError

from alerts.config import Silence
from alerts.durations import parse_duration
from alerts.matchers import is_regex
from stream.web.errors import RequestError, problems_of


def silence_from_form(form: Mapping[str, str], now: datetime) -> bytes:
    """Return the /api/v1 silence body for the form; raise RequestError (one line each)."""
    problems: list[str] = []
    matchers: dict[str, str] = {}
    for n, line in enumerate(form.get("matchers", "").splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        regex = value.startswith("~")
        value = (value[1:] if regex else value).strip().strip('"')
        if not sep or not name.strip():
            problems.append(f"matchers line {n}: expected label=value or label=~regex")
        else:  # a literal with regex metacharacters is stored escaped (see alerts.matchers)
            matchers[name.strip()] = value if regex or not is_regex(value) else re.escape(value)
    try:
        ends = now + parse_duration(form.get("duration", "").strip())
    except ValueError as exc:
        problems.append(f"duration: {exc}")
        ends = now
    if problems:
        raise RequestError(*problems)
    try:
        silence = Silence(
            matchers=matchers,
            starts_at=now,
            ends_at=ends,
            created_by=form.get("created_by", "").strip(),
            comment=form.get("comment", "").strip(),
        )
    except ValidationError as exc:
        raise RequestError(*problems_of(exc)) from None
    return orjson.dumps(silence.model_dump(mode="json"))
