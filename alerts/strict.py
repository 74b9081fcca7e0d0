"""The base of every config model, alert side and stream side alike.

    class Receiver(Strict):
        name: str

    Receiver.model_validate({"name": "ops", "nme": 1})   # ValidationError: extra input

Unknown keys are errors (a typo must not silently fall back to a default),
instances are immutable, and a field with an alias (`for`) may also be given
by its Python name (`for_`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Refuse unknown keys; freeze instances; accept field names beside aliases."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
