"""The `ingest:` config section: defaults, and errors with file and path."""

from __future__ import annotations

from pathlib import Path

from stream.config.root import check_file, load_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text(text)
    return path


def test_defaults_serve_own_events_only(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "timezone: UTC\n")).ingest
    assert (cfg.port, cfg.zendesk, cfg.twilio, cfg.connect, cfg.events.token) == (
        8080,
        None,
        None,
        None,
        None,
    )
    assert cfg.ack_timeout.total_seconds() == 4


def test_a_full_section_is_valid_and_secrets_come_from_the_environment(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
ingest:
  port: 8081
  rate_limit: {per_second: 50, burst: 100}
  zendesk:
    signing_secret: ${ZD_SECRET}
    queue: {names: {"360001": billing}, default: general}
    channels: {email: email, voice: phone}
  twilio:
    auth_token: ${TW_TOKEN}
    public_url: https://ingest.example.com/ingest/twilio/taskrouter
    queue_field: attributes.queue
    activities: {Available: available, Lunch: away, Offline: offline}
  connect:
    token: ${CONNECT_TOKEN}
    queue: {names: {"arn:aws:connect:eu-west-1:1:instance/i/queue/q": billing}}
    states: {Available: available, Offline: offline, Training: away}
""",
    )
    env = {"ZD_SECRET": "zsecret", "TW_TOKEN": "twtoken", "CONNECT_TOKEN": "ctoken"}
    ingest = load_config(path, env).ingest
    assert ingest.zendesk is not None and ingest.twilio is not None
    assert ingest.zendesk.queue.resolve("360001") == "billing"
    assert ingest.zendesk.queue.resolve("7") == "general"
    assert ingest.twilio.queue.resolve("any-queue") == "any-queue"  # kept by default
    assert "zsecret" not in repr(ingest)


def test_errors_name_the_file_the_path_and_the_problem(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
ingest:
  port: 70000
  zendesk:
    signing_secret: s
    priorities: {low: low}
    queue: {names: {"1": billing}, fallback: x}
  twilio:
    auth_token: t
    activities: {Available: ready}
    public_url: not-a-url
  connect: {queue: {}}
  surprise: 1
""",
    )
    problems = [line.split(": ", 1)[1] for line in check_file(path)]
    assert [p.split(":")[0] for p in problems] == [
        "ingest.port",
        "ingest.zendesk.priorities",
        "ingest.zendesk.queue.fallback",
        "ingest.twilio.activities.Available",
        "ingest.twilio.public_url",
        "ingest.connect.token",
        "ingest.surprise",
    ], problems
    assert "upper-case" in problems[1]
    assert all(str(path) in line for line in check_file(path))


def test_an_unset_secret_is_reported_not_revealed(tmp_path: Path) -> None:
    path = _write(tmp_path, "ingest:\n  connect:\n    token: ${CONNECT_TOKEN}\n")
    (problem,) = check_file(path, {})
    assert "ingest.connect.token" in problem and "CONNECT_TOKEN is not set" in problem


def test_an_empty_events_token_means_none_not_an_empty_password(tmp_path: Path) -> None:
    path = _write(tmp_path, "ingest:\n  events:\n    token: ${T:-}\n")
    assert load_config(path, {}).ingest.events.token is None
