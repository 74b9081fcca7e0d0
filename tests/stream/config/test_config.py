"""Config loading: the shipped files, located error messages, ${VAR} substitution, settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from stream.config.root import (
    DEFAULT_CONFIG_PATH,
    Config,
    ConfigError,
    ConfigFileError,
    ConfigInvalidError,
    apply_settings,
    check_file,
    effective_http_port,
    load_config,
    load_settings,
    resolve_config_path,
)
from stream.config.source import substitute_env

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).parent / "fixtures"
WINDOWS = "[15m, 1h, 24h, today]"

RECEIVER = """
receivers:
  - {name: oncall, type: slack, url: "https://hooks.slack.example/T0/B0/x"}
"""


def _rule(**fields: str) -> str:
    base = {"name": "R", "op": '">"', "threshold": "1", "receivers": "[oncall]"}
    body = ", ".join(f"{k}: {v}" for k, v in {**base, **fields}.items())
    return f"{RECEIVER}rules:\n  - {{{body}}}\n"


def _issues(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ or {})
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize("name", ["kpiwatch.yaml", "demo.yaml"])
def test_shipped_config_loads_on_a_fresh_machine(name: str) -> None:
    config = load_config(ROOT / "config" / name, environ={})
    assert config.rules and config.receivers and config.sla_policies
    assert check_file(ROOT / "config" / name, environ={}) == []


def test_shipped_config_takes_secrets_from_the_environment() -> None:
    environ = {"SLACK_WEBHOOK_URL": "https://hooks.slack.example/T1/B1/t0k3n"}
    config = load_config(ROOT / "config" / "kpiwatch.yaml", environ)
    slack = next(r for r in config.receivers if r.name == "oncall-slack")
    assert slack.url.get_secret_value() == environ["SLACK_WEBHOOK_URL"]
    assert "t0k3n" not in repr(config) and "t0k3n" not in str(config)


def test_demo_config_routes_every_rule_to_the_local_sink() -> None:
    config = load_config(ROOT / "config" / "demo.yaml", environ={})
    assert [r.name for r in config.rules] == ["AbandonRateHigh", "SlaAtRisk", "FirstResponseSlow"]
    assert {tuple(r.receivers) for r in config.rules} == {("demo-sink",)}
    (sink,) = config.receivers
    assert sink.url.get_secret_value() == "http://127.0.0.1:9095/alerts"
    assert config.kafka.bootstrap_servers == ("127.0.0.1:9092",)
    assert config.windows == ("5m", "15m", "1h", "24h", "today")


def test_minimal_config_gets_the_defaults() -> None:
    config = load_config(FIXTURES / "minimal.yaml", environ={})
    assert config == Config()
    assert config.windows == ("15m", "1h", "24h", "today")
    assert config.replay_threshold == timedelta(minutes=10)
    assert config.allowed_lateness is None  # retired: accepted, ignored
    assert config.kpis.short_abandon == timedelta(seconds=5)
    assert config.kafka.topics.dead_letter == "kpiwatch.dead-letter"
    assert (config.http.host, config.http.port, config.kafka.partitions) == ("0.0.0.0", 8000, 4)


BAD_FILES = [
    (
        "unknown top-level key",
        "windowz: [15m]\n",
        ["windowz: unknown key (did you mean 'windows'?)"],
    ),
    (
        "unknown nested key",
        "kafka:\n  topics: {tickets: t, call: c}\n",
        ["kafka.topics.call: unknown key (did you mean 'calls'?)"],
    ),
    (
        "bad duration",
        "allowed_lateness: 10x\n",
        [
            "allowed_lateness: '10x' is not a duration; expected e.g. '30s', '5m' or '1h30m' "
            "(units: ms, s, m, h, d, w)"
        ],
    ),
    (
        "bare number for a duration",
        "kpis: {short_abandon: 5}\n",
        ["kpis.short_abandon: bare number 5 is not a duration; add a unit, e.g. '5s'"],
    ),
    (
        "bad window name",
        "windows: [15m, 0s]\n",
        ["windows[1]: window '0s' must be longer than 0s"],
    ),
    (
        "unknown KPI",
        _rule(kpi="abandon_rat", window="15m"),
        ["rules[0].kpi: unknown KPI 'abandon_rat' (did you mean 'abandon_rate'?)"],
    ),
    (
        "window not configured",
        _rule(kpi="abandon_rate", window="5m"),
        [f"rules[0].window: window '5m' is not one of the configured windows {WINDOWS}"],
    ),
    (
        "window on a current-state KPI",
        _rule(kpi="sla_at_risk", window="15m"),
        ["rules[0].window: KPI 'sla_at_risk' is a current-state KPI and takes no window"],
    ),
    (
        "windowed KPI without a window",
        _rule(kpi="asa"),
        [f"rules[0].window: KPI 'asa' is windowed: set window to one of {WINDOWS}"],
    ),
    (
        "stat on a KPI without quantiles",
        _rule(kpi="asa", window="1h", stat="p90"),
        ["rules[0].stat: stat applies only to frt and resolution_time, not to 'asa'"],
    ),
    (
        "label the KPI does not have",
        _rule(kpi="abandon_rate", window="1h", match="{channel: chat}"),
        ["rules[0].match.channel: KPI 'abandon_rate' has no label 'channel'; labels: queue"],
    ),
    (
        "undefined receiver",
        _rule(kpi="calls_waiting", receivers="[oncall, pager]"),
        ["rules[0].receivers[1]: receiver 'pager' is not defined; defined: [oncall]"],
    ),
    (
        "duplicate receiver name",
        RECEIVER + "  - {name: oncall, type: webhook, url: 'https://hooks.example.com/kpi'}\n",
        ["receivers[1].name: duplicate receiver name 'oncall' (receivers[0])"],
    ),
    (
        "unknown receiver type",
        "receivers:\n  - {name: pager, type: email, url: 'https://x.example/'}\n",
        [
            "receivers[0].type: unknown type 'email'; "
            "expected one of 'webhook', 'slack', 'alertmanager'"
        ],
    ),
    (
        "missing required key",
        "receivers:\n  - {name: pager, type: slack}\n",
        ["receivers[0].url: missing required key"],
    ),
    (
        "undefined calendar",
        "sla_policies:\n  - {name: std, first_response: 8h, at_risk: 1h, calendar: business}\n",
        ["sla_policies[0].calendar: calendar 'business' is not defined; defined: [24x7]"],
    ),
    (
        "policy without a target",
        "sla_policies:\n  - {name: std, at_risk: 1h}\n",
        ["sla_policies[0]: set at least one target: first_response, next_response, resolution"],
    ),
    (
        "bad timezone",
        "timezone: Europe/Pariss\n",
        [
            "timezone: unknown timezone 'Europe/Pariss'; "
            "use an IANA name such as 'Europe/Paris' or 'UTC'"
        ],
    ),
    (
        "unset environment variable",
        "kafka:\n  bootstrap_servers: ${KAFKA_BROKERS}\n",
        [
            "kafka.bootstrap_servers: environment variable KAFKA_BROKERS is not set "
            "(set it or give a default: ${KAFKA_BROKERS:-...})"
        ],
    ),
    (
        "duplicate YAML key",
        "timezone: UTC\ntimezone: Europe/Paris\n",
        ["timezone: duplicate key 'timezone' (first given at line 1)"],
    ),
    (
        "service level threshold given twice",
        "kpis: {service_level_seconds: 30, service_level_threshold: 20s}\n",
        ["kpis: give service_level_threshold or service_level_seconds, not both"],
    ),
    (
        "service_level_seconds with a unit",
        "kpis: {service_level_seconds: 30s}\n",
        ["kpis: service_level_seconds must be a number of seconds, not '30s'"],
    ),
    (
        "SASL without credentials",
        "kafka:\n  security: {security_protocol: SASL_SSL}\n",
        ["kafka.security: SASL_SSL needs sasl_mechanism, sasl_username and sasl_password"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES]
)
def test_bad_file_is_reported_with_its_location(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text(text)
    assert _issues(path) == [f"{path}: {line}" for line in expected]
    assert check_file(path, environ={}) == [f"{path}: {line}" for line in expected]


def test_all_field_errors_are_reported_together_in_file_order() -> None:
    path = FIXTURES / "field_errors.yaml"
    assert _issues(path) == [
        f"{path}: {line}"
        for line in [
            "kafka.bootstrap_server: unknown key (did you mean 'bootstrap_servers'?)",
            "kafka.partitions: input should be greater than or equal to 1",
            "timezone: unknown timezone 'Europe/Pariss'; use an IANA name such as "
            "'Europe/Paris' or 'UTC'",
            "windows: window '60m' is the same length as '1h'",
            "allowed_lateness: bare number 10 is not a duration; add a unit, e.g. '10s'",
            "kpis.short_abandon: '5x' is not a duration; expected e.g. '30s', '5m' or '1h30m' "
            "(units: ms, s, m, h, d, w)",
            "calendars.business.hours: hours['mon-fri']: bad time '1800', expected HH:MM",
            "sla_policies[0].match.priority: expected 'low', 'normal', 'high' or 'urgent', "
            "got 'urgnet'",
            "receivers[0].type: unknown type 'email'; expected one of 'webhook', 'slack', "
            "'alertmanager'",
        ]
    ]


def test_all_reference_errors_are_reported_together() -> None:
    path = FIXTURES / "reference_errors.yaml"
    with pytest.raises(ConfigInvalidError) as caught:
        load_config(path, environ={})
    assert [(i.line, i.path, i.message) for i in caught.value.issues] == [
        (
            8,
            "sla_policies[0].calendar",
            "calendar 'busines' is not defined; defined: [24x7, business]",
        ),
        (11, "receivers[1].name", "duplicate receiver name 'oncall' (receivers[0])"),
        (13, "rules[0].window", "window '24h' is not one of the configured windows [15m, 1h]"),
        (14, "rules[0].receivers[1]", "receiver 'ops' is not defined; defined: [oncall]"),
        (15, "rules[1].window", "KPI 'calls_waiting' is a current-state KPI and takes no window"),
        (17, "rules[2].kpi", "unknown KPI 'abandon_rat' (did you mean 'abandon_rate'?)"),
    ]
    assert str(caught.value).splitlines()[0] == (
        f"{path}: sla_policies[0].calendar: calendar 'busines' is not defined; "
        "defined: [24x7, business]"
    )


def test_field_errors_do_not_hide_reference_errors() -> None:
    path = FIXTURES / "mixed_errors.yaml"
    with pytest.raises(ConfigInvalidError) as caught:
        load_config(path, environ={})
    assert [(i.line, i.path, i.message) for i in caught.value.issues] == [
        (
            2,
            "timezone",
            "unknown timezone 'Europe/Pariss'; use an IANA name such as 'Europe/Paris' or 'UTC'",
        ),
        (
            6,
            "receivers[1].type",
            "unknown type 'email'; expected one of 'webhook', 'slack', 'alertmanager'",
        ),
        # numbered as in the file, although receivers[1] was left out to cross-check the rest
        (7, "receivers[2].name", "duplicate receiver name 'oncall' (receivers[0])"),
        (9, "rules[0].kpi", "unknown KPI 'abandon_rat' (did you mean 'abandon_rate'?)"),
        (10, "rules[1].op", "expected '>', '>=', '<' or '<=', got '!'"),
        # 'broken' exists (with a field error of its own): only 'nobody' is undefined
        (11, "rules[2].receivers[0]", "receiver 'nobody' is not defined; defined: [oncall]"),
        (11, "rules[2].window", "KPI 'longest_wait' is a current-state KPI and takes no window"),
        (12, "rules[3].window", "window '5m' is not one of the configured windows [15m, 1h]"),
    ]


def test_environment_values_never_appear_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text(
        "timezone: ${TZ_SECRET}\n"
        "kafka: {bootstrap_servers: '${TOKEN}x'}\n"
        "receivers:\n  - {name: r, type: webhook, url: '${HOOK}'}\n"
    )
    env = {"TZ_SECRET": "Xs3cretX", "TOKEN": "tok-4f9a", "HOOK": "ftp://hook-secret/x"}
    lines = check_file(path, environ=env)
    assert len(lines) == 3, lines
    assert all(v not in line for v in env.values() for line in lines), lines
    assert f"{path}: timezone: unknown timezone '${{TZ_SECRET}}'" in lines[0]
    assert "'${TOKEN}x'" in lines[1]


def test_yaml_syntax_error_names_the_line() -> None:
    path = FIXTURES / "syntax_error.yaml"
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == (
        f"{path}: YAML syntax error at line 3, column 13: mapping values are not allowed here"
    )
    assert caught.value.issues[0].line == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("# only a comment\n", "file is empty"),
        (
            "- kafka\n",
            "top level must be a mapping of sections (kafka, windows, rules, ...), not list",
        ),
        (
            "--- {}\n--- {}\n",
            "YAML syntax error at line 2, column 1: "
            "expected a single document in the stream, but found another document",
        ),
        (
            "a: [1, 2\nb: 3\n",
            "YAML syntax error at line 2, column 2: "
            "while parsing a flow sequence, expected ',' or ']', but got ':'",
        ),
    ],
)
def test_unusable_file_is_a_file_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == f"{path}: {message}"


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert check_file(path, environ={}) == [f"{path}: file not found"]


def test_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text("receivers:\n  - {name: r, type: webhook, url: 'ftp://token-s3cr3t@x'}\n")
    assert _issues(path) == [f"{path}: receivers[0].url: url must be an http:// or https:// URL"]
    assert all("s3cr3t" not in line for line in _issues(path))


ENV = {"HOST": "kafka-1", "PORT": "9093", "EMPTY": ""}
SUBSTITUTIONS = [
    ("plain text", "plain text"),
    ("${HOST}", "kafka-1"),
    ("${HOST}:${PORT}", "kafka-1:9093"),
    ("kafka://${HOST}/x", "kafka://kafka-1/x"),
    ("${UNSET:-localhost}", "localhost"),
    ("${EMPTY:-fallback}", "fallback"),
    ("${HOST:-fallback}", "kafka-1"),
    ("${UNSET:-}", ""),
    ("${EMPTY}", ""),
    ("${UNSET:-a:b-c}", "a:b-c"),
    ("$${HOST}", "${HOST}"),
    ("costs $5", "costs $5"),
    ("$$$$", "$$"),
]


@pytest.mark.parametrize(("raw", "expected"), SUBSTITUTIONS)
def test_substitute_env(raw: str, expected: str) -> None:
    assert substitute_env({"k": raw}, ENV) == ({"k": expected}, [])


def test_substitute_env_walks_lists_and_maps_but_not_keys_or_numbers() -> None:
    data = {"${HOST}": [{"a": "${PORT}", "n": 5, "b": True}], "x": None}
    assert substitute_env(data, ENV) == (
        {"${HOST}": [{"a": "9093", "n": 5, "b": True}], "x": None},
        [],
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "${UNSET}",
            "environment variable UNSET is not set (set it or give a default: ${UNSET:-...})",
        ),
        ("${1X}", "bad reference '${1X}': write ${VAR} or ${VAR:-default}"),
        ("${HOST", "unclosed '${': write ${VAR} or ${VAR:-default} ($$ for a '$')"),
        ("${A:-${B}}", "bad reference '${A:-${B}': write ${VAR} or ${VAR:-default}"),
    ],
)
def test_substitute_env_reports_bad_references(raw: str, message: str) -> None:
    _, issues = substitute_env({"rules": [{"url": raw}]}, ENV)
    assert issues == [(("rules", 0, "url"), message)]


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        ("my.yaml", {"KPIWATCH_CONFIG": "env.yaml"}, Path("my.yaml")),
        (None, {"KPIWATCH_CONFIG": "env.yaml"}, Path("env.yaml")),
        (None, {"KPIWATCH_CONFIG": ""}, DEFAULT_CONFIG_PATH),
        (None, {}, Path("config/kpiwatch.yaml")),
    ],
)
def test_resolve_config_path(explicit: str | None, environ: dict[str, str], expected: Path) -> None:
    assert resolve_config_path(explicit, environ) == expected


def test_settings_override_port_and_brokers() -> None:
    config = load_config(ROOT / "config" / "kpiwatch.yaml", environ={})
    settings = load_settings(
        {"KPIWATCH_HTTP_PORT": "9100", "KPIWATCH_BOOTSTRAP_SERVERS": "k1:9092, k2:9092"}
    )
    assert effective_http_port(config, settings) == 9100
    merged = apply_settings(config, settings)
    assert (merged.http.port, merged.kafka.bootstrap_servers) == (9100, ("k1:9092", "k2:9092"))
    assert merged.rules == config.rules
    assert apply_settings(config, load_settings({})) == config


def test_settings_defaults_and_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIWATCH_LOG_LEVEL", "debug")
    monkeypatch.setenv("KPIWATCH_CONFIG", "/etc/kpiwatch.yaml")
    settings = load_settings()
    assert (settings.log_level, settings.config) == ("DEBUG", Path("/etc/kpiwatch.yaml"))
    assert load_settings({}).http_port is None
    assert load_settings({}).data_dir == Path("kpiwatch-data")


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"KPIWATCH_HTTP_PORT": "70000", "KPIWATCH_BOOTSTRAP_SERVERS": "nope"})
    assert str(caught.value).splitlines() == [
        "environment: KPIWATCH_HTTP_PORT: Input should be less than or equal to 65535",
        "environment: KPIWATCH_BOOTSTRAP_SERVERS: 'nope' is not host:port",
    ]


def test_runtime_objects_are_built_from_the_config() -> None:
    config = load_config(ROOT / "config" / "kpiwatch.yaml", environ={})
    urgent, standard = config.build_sla_policies()
    assert urgent.matches("urgent", "billing", "email")
    assert not urgent.matches("low", "billing", "email")
    assert standard.calendar.is_open(datetime.fromisoformat("2026-12-24T10:00:00+01:00"))
    assert not standard.calendar.is_open(datetime.fromisoformat("2026-12-25T10:00:00+01:00"))
    assert config.window_lengths()["today"] is None
    assert str(config.zone) == "Europe/Paris"


def test_models_are_frozen() -> None:
    config = Config()
    with pytest.raises(ValueError, match="frozen"):
        config.timezone = "UTC"  # type: ignore[misc]


def test_kafka_security_is_passed_through_to_aiokafka(tmp_path: Path) -> None:
    path = tmp_path / "kpiwatch.yaml"
    path.write_text(
        "kafka:\n"
        "  security: {security_protocol: SASL_PLAINTEXT, sasl_mechanism: SCRAM-SHA-512,\n"
        "             sasl_username: kpiwatch, sasl_password: '${KAFKA_PASSWORD}'}\n"
    )
    config = load_config(path, {"KAFKA_PASSWORD": "pa55"})
    assert config.kafka.security is not None
    assert config.kafka.security.aiokafka_kwargs() == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "kpiwatch",
        "sasl_plain_password": "pa55",
    }
    assert "pa55" not in repr(config)


def test_service_level_seconds_is_the_threshold_in_seconds() -> None:
    """SPEC §2 names it `service_level_seconds`; the §5 example `service_level_threshold`."""
    options = Config.model_validate({"kpis": {"service_level_seconds": 30}}).kpis
    assert options.service_level_threshold == timedelta(seconds=30)
