"""Read a config file: YAML with line numbers, duplicate keys, `${VAR}` substitution.

YAML and OS errors become `ConfigFileError` here (see `stream.config.errors`).

    source = read_source(Path("config/kpiwatch.yaml"))
    data, env_issues = substitute_env(source.data, os.environ)
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stream.config.errors import ConfigFileError, ConfigIssue, Loc, LocIssue, format_loc


@dataclass(frozen=True)
class Source:
    """A parsed config file: its data, its YAML node tree, and YAML-level issues."""

    file: str
    data: dict[str, Any]
    root: yaml.Node
    issues: list[LocIssue] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        """Return the 1-based line of the deepest key or item of `loc` present in the file."""
        node, line = self.root, self.root.start_mark.line
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            node, line = found
        return line + 1

    def issue(self, loc: Loc, message: str) -> ConfigIssue:
        """Tie a located problem to this file."""
        return ConfigIssue(self.file, format_loc(loc), message, self.line_of(loc))


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, int] | None:
    """Return the node at `part` below `node`, and the line of its key or item."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value, key.start_mark.line
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line
    return None


def read_source(path: Path, file: str | None = None) -> Source:
    """Read and parse a YAML config file; raise ConfigFileError if that is impossible."""
    name = str(path) if file is None else file
    try:
        text = _read_regular_file(path).decode("utf-8")
    except FileNotFoundError:
        raise ConfigFileError([ConfigIssue(name, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigFileError([ConfigIssue(name, "", f"not UTF-8 text: {exc.reason}")]) from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigFileError([ConfigIssue(name, "", f"cannot read: {reason}")]) from None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise ConfigFileError([_syntax_issue(name, exc)]) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError([ConfigIssue(name, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if root is None or data is None:
        raise ConfigFileError([ConfigIssue(name, "", "file is empty")])
    if not isinstance(data, dict):
        kind = type(data).__name__
        message = (
            f"top level must be a mapping of sections (kafka, windows, rules, ...), not {kind}"
        )
        raise ConfigFileError([ConfigIssue(name, "", message, 1)])
    return Source(name, data, root, list(_duplicate_keys(root, ())))


MAX_CONFIG_BYTES = 16 << 20


def _read_regular_file(path: Path) -> bytes:
    """Read a regular file; refuse FIFOs, devices and directories without blocking on them."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"not a regular file ({_kind(info.st_mode)})")
        if info.st_size > MAX_CONFIG_BYTES:
            raise OSError(f"larger than {MAX_CONFIG_BYTES >> 20} MiB")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_CONFIG_BYTES:
                raise OSError(f"larger than {MAX_CONFIG_BYTES >> 20} MiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return kind
    return "a device or socket"


def _syntax_issue(file: str, exc: yaml.MarkedYAMLError) -> ConfigIssue:
    mark = exc.problem_mark or exc.context_mark
    problem = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
    if mark is None:
        return ConfigIssue(file, "", f"YAML syntax error: {problem}")
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return ConfigIssue(file, "", f"YAML syntax error at {where}: {problem}", mark.line + 1)


def _duplicate_keys(node: yaml.Node, loc: Loc) -> list[LocIssue]:
    """Find keys given twice in one mapping (safe_load would keep the last silently)."""
    found: list[LocIssue] = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in first_line:
                message = f"duplicate key '{name}' (first given at line {first_line[name]})"
                found.append(((*loc, name), message))
            else:
                first_line[name] = key.start_mark.line + 1
            found.extend(_duplicate_keys(value, (*loc, name)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.extend(_duplicate_keys(item, (*loc, index)))
    return found


_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{")
_NAME_DEFAULT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)


def substitute_env(data: Any, environ: Mapping[str, str]) -> tuple[Any, list[LocIssue]]:
    """Replace `${VAR}` and `${VAR:-default}` in string values; `$$` is a literal `$`."""
    issues: list[LocIssue] = []
    return _substitute(data, environ, (), issues), issues


def _substitute(value: Any, environ: Mapping[str, str], loc: Loc, issues: list[LocIssue]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, environ, (*loc, k), issues) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, environ, (*loc, i), issues) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _REFERENCE.sub(lambda m: _expand(m, environ, loc, issues), value)
    return value


def _expand(
    match: re.Match[str], environ: Mapping[str, str], loc: Loc, issues: list[LocIssue]
) -> str:
    token, inner = match.group(0), match.group(1)
    if token == "$$":
        return "$"
    if inner is None:
        issues.append((loc, "unclosed '${': write ${VAR} or ${VAR:-default} ($$ for a '$')"))
        return token
    parsed = _NAME_DEFAULT.fullmatch(inner)
    if parsed is None or "${" in (parsed.group(2) or ""):
        issues.append((loc, f"bad reference '{token}': write ${{VAR}} or ${{VAR:-default}}"))
        return token
    name, default = parsed.group(1), parsed.group(2)
    value = environ.get(name)
    if default is not None and not value:
        return default
    if value is None:
        hint = f"set it or give a default: ${{{name}:-...}}"
        issues.append((loc, f"environment variable {name} is not set ({hint})"))
        return token
    return value


def referenced_values(data: Any, environ: Mapping[str, str]) -> dict[str, str]:
    """Return the values of the environment variables `data` references, each → `${NAME}`.

    Any of them may be a secret (a webhook URL, an HMAC key, a token): error messages
    show the reference, never the value (see `redact`).
    """
    found: dict[str, str] = {}
    for text in _strings(data):
        for match in _REFERENCE.finditer(text):
            parsed = _NAME_DEFAULT.fullmatch(match.group(1) or "")
            value = environ.get(parsed.group(1)) if parsed else None
            if parsed and value and len(value) >= MIN_REDACTED:
                found[value] = f"${{{parsed.group(1)}}}"
    return found


MIN_REDACTED = 3  # shorter values ("1", "on") would mangle messages and hide nothing


def redact(message: str, values: Mapping[str, str]) -> str:
    """Replace each referenced environment value in `message` by its `${NAME}`."""
    # longest first: one value may contain another
    for value in sorted(values, key=len, reverse=True):
        message = message.replace(value, values[value])
    return message


def _strings(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return [data] if isinstance(data, str) and "${" in data else []
