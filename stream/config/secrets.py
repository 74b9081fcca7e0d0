"""The secrets of a config: every `SecretStr` value and the `${VAR}`s resolved into one.

    secrets = config_secrets(config, referenced_values(source.data, os.environ))
    REDACTOR.add(secrets)      # value → what it is replaced by ("${SLACK_URL}" or "<secret>")

A secret is what the config models type as `SecretStr` (receiver URLs, HMAC keys,
headers, the API token, the SASL password). An environment value the config
references is a secret when it is used inside one (a token in a webhook URL's
path), so redacting the URL's echo of its path hides it too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pydantic import BaseModel, SecretStr

from alerts.redaction import SECRET


def secret_values(model: object) -> Iterator[str]:
    """Yield every `SecretStr` value held anywhere in a (nested) pydantic model."""
    if isinstance(model, SecretStr):
        yield model.get_secret_value()
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            yield from secret_values(getattr(model, name))
    elif isinstance(model, Mapping):
        for value in model.values():
            yield from secret_values(value)
    elif isinstance(model, list | tuple | set | frozenset):
        for value in model:
            yield from secret_values(value)


def config_secrets(model: object, references: Mapping[str, str]) -> dict[str, str]:
    """Return value → replacement for the secrets of `model` (`references`: value → ${VAR})."""
    values = [v for v in secret_values(model) if v]
    found = {v: references.get(v, SECRET) for v in values}
    for value, name in references.items():
        if any(value in secret for secret in values):
            found[value] = name
    return found
