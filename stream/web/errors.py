"""One JSON shape for every request error: a summary line and one line per problem.

    {"error": "endsAt: Field required; comment: Field required",
     "problems": ["endsAt: Field required", "comment: Field required"]}

`error` is every problem on one line; `problems` lists them one per item.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class RequestError(ValueError):
    """A request the API refuses; `problems` holds one readable line each."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def problems_of(exc: ValidationError) -> list[str]:
    """Return one `path: message` line per pydantic error."""
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(f"{path}: {msg}" if path else msg)
    return out


def error_body(problems: list[str]) -> dict[str, Any]:
    """Return the JSON body for a refused request."""
    return {"error": "; ".join(problems), "problems": problems}
